"""Copying a results store into another: `gradeloop store migrate SQLITE_PATH POSTGRES_URL`.

Rows are streamed table by table in batches (a store of millions of samples never sits in memory)
and inserted with INSERT OR IGNORE on the primary keys, so a copy interrupted half-way is simply
run again, and copying into a shared store that already holds other runs merges without duplicates.
A run is copied as unfinished and marked done once its samples are in, so nobody reading the
destination meanwhile (compare, gate, the viewer) takes a half-copied run for a whole one.
Labels have no natural key (a review may be repeated), so one is copied only when no label with the
same content is there yet. Works in any direction (SQLite ↔ PostgreSQL, or two files).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from gradeloop.run.store import Store

_BATCH = 2000
# Tables with primary keys, parents first; every column the destination has is copied.
_KEYED = ("runs", "cases", "samples", "cache")
_LABEL_COLUMNS = ("run_id", "suite", "case_id", "sample_index", "grader", "grade_passed", "label", "note", "who",
                  "created")


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What a copy found and wrote: rows read from the source and rows new in the destination per table."""

    read: dict[str, int]
    written: dict[str, int]

    def summary(self) -> str:
        parts = [f"{self.written.get(t, 0):,} of {n:,} {t}" for t, n in self.read.items()]
        return "copied " + ", ".join(parts) + " (the rest were already there)"


def _columns(store: Store, table: str) -> list[str]:
    cur = store.db.execute(f"SELECT * FROM {table} WHERE 1 = 0")
    return [d[0] for d in cur.description]


def _batches(store: Store, sql: str, params: tuple = ()) -> Iterator[list[tuple]]:
    cur = store.db.execute(sql, params)
    while True:
        rows = cur.fetchmany(_BATCH)
        if not rows:
            return
        yield [tuple(r) for r in rows]


def _count(store: Store, table: str, where: str = "", params: tuple = ()) -> int:
    return int(store.db.execute(f"SELECT COUNT(*) FROM {table} {where}", params).fetchone()[0])


def copy_store(source: Store, dest: Store, runs: Iterable[str] | None = None) -> CopyReport:
    """Copy every run (or the runs named), their cases, samples and labels, and the cache, into `dest`."""
    wanted = None if runs is None else list(dict.fromkeys(runs))
    read: dict[str, int] = {}
    written: dict[str, int] = {}
    for table in _KEYED:
        have = set(_columns(dest, table))
        cols = [c for c in _columns(source, table) if c in have]
        names = ", ".join(cols)
        marks = ",".join("?" * len(cols))
        scopes: list[tuple[str, tuple]] = [("", ())]
        if wanted is not None:
            if table == "cache":
                continue  # the cache belongs to no run; copied with whole stores only
            scopes = [("WHERE run_id = ?", (rid,)) for rid in wanted]
        before = _count(dest, table)
        n = 0
        for where, params in scopes:
            for rows in _batches(source, f"SELECT {names} FROM {table} {where}", params):
                n += len(rows)
                if table == "runs":
                    rows = _opened(rows, cols)
                with dest.db:
                    dest.db.executemany(f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})", rows)
        read[table] = n
        written[table] = _count(dest, table) - before
    _finish_runs(source, dest, wanted)
    read["labels"], written["labels"] = _copy_labels(source, dest, wanted)
    if getattr(dest, "dialect", "sqlite") == "postgresql":
        dest.db.execute("ANALYZE")  # fresh statistics: the planner's first queries on the copy use the indexes
    return CopyReport(read, written)


def _opened(rows: list[tuple], cols: list[str]) -> list[tuple]:
    """Run rows as unfinished: a run is marked done in the destination only once its samples are there,
    so a reader of a shared store never takes a half-copied run for a finished one."""
    if "status" not in cols:
        return rows
    status = cols.index("status")
    finished = cols.index("finished") if "finished" in cols else None
    out = []
    for row in rows:
        row = list(row)
        row[status] = "running"
        if finished is not None:
            row[finished] = None
        out.append(tuple(row))
    return out


def _finish_runs(source: Store, dest: Store, wanted: list[str] | None) -> None:
    """A run finished in the source but still open in the destination (an earlier partial copy) is finished."""
    rows = source.db.execute("SELECT run_id, finished FROM runs WHERE status = 'done'").fetchall()
    with dest.db:
        for run_id, finished in rows:
            if wanted is None or run_id in wanted:
                dest.db.execute("UPDATE runs SET status = 'done', finished = ? WHERE run_id = ? AND status <> 'done'",
                                (finished, run_id))


def _copy_labels(source: Store, dest: Store, wanted: list[str] | None) -> tuple[int, int]:
    names = ", ".join(_LABEL_COLUMNS)
    read = wrote = 0
    for rows in _batches(source, f"SELECT {names} FROM labels ORDER BY label_id"):
        with dest.db:
            for row in rows:
                if wanted is not None and row[0] not in wanted:
                    continue
                read += 1
                if _label_exists(dest, row):
                    continue
                dest.db.execute(f"INSERT INTO labels ({names}) VALUES ({','.join('?' * len(row))})", row)
                wrote += 1
    return read, wrote


def _label_exists(dest: Store, row: tuple[Any, ...]) -> bool:
    conds, params = [], []
    for col, value in zip(_LABEL_COLUMNS, row):
        if value is None:
            conds.append(f"{col} IS NULL")
        else:
            conds.append(f"{col} = ?")
            params.append(value)
    found = dest.db.execute(f"SELECT 1 FROM labels WHERE {' AND '.join(conds)} LIMIT 1", tuple(params)).fetchone()
    return found is not None
