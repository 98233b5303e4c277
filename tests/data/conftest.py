"""Fixtures for the data package: suites written on the fly, a registry per test, the CLI."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
import typer
import yaml


def write_suite(path: Path, name: str, cases: dict[str, str], split: str = "dev") -> Path:
    """A YAML suite of `{id: input}` cases."""
    doc = {"name": name, "split": split, "cases": [{"id": k, "input": v} for k, v in cases.items()]}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A clean working folder whose default registry is ./.gradeloop/data.db."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADELOOP_DATA_DB", raising=False)
    return tmp_path


@pytest.fixture
def run_cli(workdir, monkeypatch, capsys) -> Callable[..., tuple[int, str, str]]:
    """`gradeloop ...` through cli.main with the data commands registered: (exit code, stdout, stderr)."""
    import gradeloop.cli as cli

    monkeypatch.setattr(cli, "app", typer.Typer(no_args_is_help=True, add_completion=False,
                                                pretty_exceptions_enable=False))
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("data", "contam", "synth"))

    def run(*args: str) -> tuple[int, str, str]:
        rc = cli.main([str(a) for a in args])
        captured = capsys.readouterr()
        return rc, captured.out, captured.err

    return run
