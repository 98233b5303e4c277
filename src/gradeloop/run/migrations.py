"""Schema versions of the results store: which migrations a store has had, and running the rest.

A store records its version in `schema_version` (one row). Opening a store runs every migration
above that version, in order, under a lock (SQLite's write lock, PostgreSQL's advisory lock), so
many processes may open the same new or old store at once. Stores from before this table (version
0) get every step; the steps are written to be idempotent, as they may find tables or columns that
an earlier release created. A store written by a newer gradeloop is refused rather than misread.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from gradeloop.errors import InputError

_VERSION_TABLE = ("CREATE TABLE IF NOT EXISTS schema_version ("
                  "id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)")


def _columns(db: Any, table: str) -> set[str]:
    if hasattr(db, "columns"):  # PgConnection
        return db.columns(table)
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _script(db: Any, script: str) -> None:
    if getattr(db, "dialect", "sqlite") == "postgresql":
        from gradeloop.run.sql import pg_ddl

        db.executescript(pg_ddl(script))
    else:
        for statement in (s.strip() for s in script.split(";")):  # executescript would commit mid-transaction
            if statement and not all(line.strip().startswith("--") for line in statement.splitlines()):
                db.execute(statement)


def add_columns(columns: Sequence[tuple[str, str, str]]) -> Callable[[Any], None]:
    """A step adding (table, column, type) columns that are not there yet."""
    def step(db: Any) -> None:
        for table, column, kind in columns:
            if column not in _columns(db, table):
                if getattr(db, "dialect", "sqlite") == "postgresql":
                    from gradeloop.run.sql import pg_ddl

                    kind = pg_ddl(kind)
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    return step


def create_tables(script: str) -> Callable[[Any], None]:
    """A step running CREATE TABLE / INDEX IF NOT EXISTS statements."""
    return lambda db: _script(db, script)


def stored_version(db: Any) -> int:
    row = db.execute("SELECT version FROM schema_version WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def migrate(db: Any, steps: Sequence[Callable[[Any], None]], *, where: str) -> int:
    """Bring the store at `db` to version len(steps); returns the version it had."""
    current = len(steps)
    pg = getattr(db, "dialect", "sqlite") == "postgresql"
    if pg:
        with db.schema_lock():  # concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog
            db.execute(_VERSION_TABLE)
            return _apply(db, steps, current, where)
    db.execute(_VERSION_TABLE)
    if stored_version(db) == current:  # the common case: nothing to do, no write lock taken
        return current
    db.execute("BEGIN IMMEDIATE")  # one writer migrates; the others wait (busy timeout) and find it done
    try:
        had = _apply(db, steps, current, where)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return had


def _apply(db: Any, steps: Sequence[Callable[[Any], None]], current: int, where: str) -> int:
    had = stored_version(db)
    if had > current:
        raise InputError(f"this store has schema version {had}, newer than this gradeloop knows ({current}); "
                         "upgrade gradeloop to use it", file=where)
    for step in steps[had:]:
        step(db)
    if had < current:
        db.execute("INSERT OR IGNORE INTO schema_version (id, version) VALUES (1, ?)", (current,))
        db.execute("UPDATE schema_version SET version = ? WHERE id = 1", (current,))
    return had


__all__ = ["add_columns", "create_tables", "migrate", "stored_version"]
