"""Helpers for suite tests: write a suite file and expect an InputError at a place."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest

from gradeloop.errors import InputError
from gradeloop.suite import load_suite


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(name, text) -> path; text is dedented, bytes are written as they are."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


def load_error(path: Path, **kwargs) -> InputError:
    """The InputError that loading `path` raises (fails the test when it loads)."""
    with pytest.raises(InputError) as info:
        load_suite(path, **kwargs)
    assert info.value.file == str(path)
    return info.value
