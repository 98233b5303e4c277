"""What every command module shares, kept light: importing a command must not import its work.

`gradeloop --help` and every command start by importing all command modules, so these
modules import their packages (numpy, scipy, torch…) inside the commands, not at the top.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from gradeloop.files import atomic_write_text

if TYPE_CHECKING:
    from gradeloop.run.store import Store

def _store_or_default(value: Optional[Path]) -> Path:
    """--store, else $GRADELOOP_STORE, else the project file's `store:`, else .gradeloop/gradeloop.db:
    every command reads the store `eval` wrote."""
    from gradeloop.api import default_store_path
    from gradeloop.project import load_project

    return value if value is not None else default_store_path(load_project())


STORE_OPT = typer.Option(None, "--store", callback=_store_or_default,
                         help="Results store: a SQLite file or a postgresql:// URL; default $GRADELOOP_STORE, "
                              "the project's store:, or .gradeloop/gradeloop.db")


def open_store(path: Optional[Path]) -> "Store":
    """The results store at `path` (a file or a postgresql:// URL), else $GRADELOOP_STORE, else the project
    file's `store:`, else .gradeloop/gradeloop.db: every command reads the store `eval` wrote."""
    from gradeloop.run.store import Store

    return Store(_store_or_default(path))


def write_json(path: Path, data: dict) -> None:
    """Atomic write: a reader never sees half a file."""
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False))
