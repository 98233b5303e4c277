"""`gradeloop store migrate SOURCE DEST`: copy a results store (a SQLite file into PostgreSQL, typically)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    store_app = typer.Typer(no_args_is_help=True, help="Results stores: copy a SQLite store into PostgreSQL.")
    app.add_typer(store_app, name="store")

    @store_app.command("migrate")
    def migrate_cmd(
        source: str = typer.Argument(..., help="The store to copy: a SQLite file (or a postgresql:// URL)"),
        dest: str = typer.Argument(..., help="Where to: a postgresql://user:pw@host:port/db URL (or a SQLite file)"),
        run: Optional[list[str]] = typer.Option(None, "--run", help="Copy only this run id (repeatable)"),
    ) -> None:
        """Copy runs, cases, samples, labels and the cache; rows already there are kept, so reruns are safe."""

        from gradeloop.errors import InputError
        from gradeloop.run.sql import is_url, redact_url
        from gradeloop.run.store import Store
        from gradeloop.run.transfer import copy_store

        if not is_url(source) and not Path(source).is_file():
            raise InputError("no results store here (a SQLite file or a postgresql:// URL)", file=source)
        if _same_store(source, dest):
            raise InputError("source and destination are the same store", file=redact_url(dest) if is_url(dest) else dest)
        src = Store(source)
        try:
            if run:
                missing = [r for r in run if src.run_meta(r) is None]
                if missing:
                    raise InputError(f"no run {missing[0]!r} in the source store", file=redact_url(source),
                                     field="run")
            dst = Store(dest)
            try:
                report = copy_store(src, dst, run)
            finally:
                dst.close()
        finally:
            src.close()
        name = redact_url(dest) if is_url(dest) else dest
        typer.echo(f"{report.summary()} into {name}")


def _same_store(source: str, dest: str) -> bool:
    """Whether two store names point at one store: the same file, or the same server's database."""
    from urllib.parse import urlsplit

    from gradeloop.run.sql import is_url, store_location

    if is_url(source) != is_url(dest):
        return False
    if not is_url(dest):
        return Path(dest).resolve() == Path(source).resolve()

    def where(url: str) -> tuple:
        try:
            parts = urlsplit(str(store_location(url)))
            return (parts.hostname or "", parts.port or 5432, parts.path.strip("/"))
        except ValueError:  # a malformed URL: opening it says what is wrong
            return (url,)

    return where(source) == where(dest)
