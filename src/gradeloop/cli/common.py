"""What every command module shares, kept light: importing a command must not import its work.

`gradeloop --help` and every command start by importing all command modules, so these
modules import their packages (numpy, scipy, torch…) inside the commands, not at the top.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from gradeloop.files import atomic_write_text

if TYPE_CHECKING:
    from gradeloop.run.store import Store

STORE_OPT = typer.Option(None, "--store", help="Results store: a SQLite file or a postgresql:// URL; "
                         "default .gradeloop/gradeloop.db")


def open_store(path: Optional[Path]) -> "Store":
    """The results store at `path` (a file or a postgresql:// URL), $GRADELOOP_STORE, or .gradeloop/gradeloop.db."""
    from gradeloop.run.store import DEFAULT_STORE, Store

    return Store(path or Path(os.environ.get("GRADELOOP_STORE", DEFAULT_STORE)))


def write_json(path: Path, data: dict) -> None:
    """Atomic write: a reader never sees half a file."""
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False))
