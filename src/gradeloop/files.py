"""Atomic file writes: a reader (or a crash) never sees half a file.

Everything gradeloop writes for users or for itself (suites, reports, policies, state,
registry pointers) goes through here: written beside the target, then renamed over it.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO


@contextmanager
def atomic_open(path: str | Path) -> Iterator[TextIO]:
    """A text handle whose content replaces `path` only if the block finishes without error."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write `text` to `path` atomically; returns the path."""
    with atomic_open(path) as handle:
        handle.write(text)
    return Path(path)
