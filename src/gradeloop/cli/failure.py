"""One line for an exception that escaped a command: what went wrong and with which file.

The loaders raise InputError for every bad input they know; this is the net under them, so a
case nobody foresaw (a full disk in the middle of a run, a store path that is a folder, input
nested past the interpreter's recursion limit) still ends in one readable line and exit code 2,
not a traceback and exit 1 (which means "threshold failed"). GRADELOOP_DEBUG=1 re-raises instead.
"""
from __future__ import annotations

import sqlite3
import sys

from gradeloop.files import last_input

_MAX = 400


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX else text[:_MAX - 3] + "..."


def _store_name() -> str:
    from gradeloop.run.store import open_store_paths

    paths = open_store_paths()
    return paths[-1] if paths else "results store"


def describe_failure(exc: BaseException) -> str:
    """`FILE: what happened` for the user; unexpected errors say so and how to see the traceback."""
    where = last_input()
    suffix = f" (last input read: {where})" if where else ""
    if isinstance(exc, sqlite3.Error):
        msg = str(exc)
        hint = ""
        if "readonly" in msg or "read-only" in msg:
            hint = "; the store's folder or file is read-only"
        elif "disk is full" in msg or "disk I/O" in msg:
            hint = "; free some space and rerun: finished samples are kept and the run resumes"
        elif "unable to open" in msg:
            hint = "; --store must be a file path whose folder exists and is writable"
        return _one_line(f"{_store_name()}: results store error: {msg}{hint}")
    psycopg = sys.modules.get("psycopg")  # a PostgreSQL store (gradeloop[postgres]): loaded only when used
    if psycopg is not None and isinstance(exc, psycopg.Error):
        return _one_line(f"{_store_name()}: results store error (PostgreSQL): {exc}")
    if isinstance(exc, OSError):
        name = exc.filename or where or "file"
        return _one_line(f"{name}: {exc.strerror or exc}")
    if isinstance(exc, RecursionError):
        return _one_line(f"input nested too deeply to process{suffix}")
    if isinstance(exc, MemoryError):
        return _one_line(f"out of memory{suffix}")
    if isinstance(exc, UnicodeError):
        return _one_line(f"text that is not valid Unicode (a lone surrogate escape such as \\ud800?){suffix}: {exc}")
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        return _one_line(f"an integer with too many digits{suffix}")
    return _one_line(f"unexpected {type(exc).__name__}: {exc}{suffix} "
                     "(run with GRADELOOP_DEBUG=1 for the traceback, and please report it)")
