"""The results store: every run, case and sample in one SQLite file (WAL mode) or PostgreSQL database.

Writes are batched and committed per chunk, so a run killed at any moment keeps every
finished sample and a restarted run completes only the missing ones. A `postgresql://` URL
instead of a path puts the same tables in PostgreSQL (run/sql.py translates), for teams and
for many machines evaluating into one store.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from contextlib import AbstractContextManager
from typing import Any, Callable, Iterable, Iterator

from gradeloop.errors import InputError
from gradeloop.run import migrations
from gradeloop.targets.redact import redact_spec

DEFAULT_STORE = Path(".gradeloop") / "gradeloop.db"
_OPEN_PATHS: list[str] = []


def open_store_paths() -> list[str]:
    """The path of the store opened last in this process (for error messages), if any."""
    return list(_OPEN_PATHS)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, run_key TEXT NOT NULL, created REAL NOT NULL, finished REAL,
    status TEXT NOT NULL, target_spec TEXT NOT NULL, fingerprint TEXT NOT NULL,
    config TEXT NOT NULL, suites TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_key ON runs(run_key, status);
CREATE TABLE IF NOT EXISTS cases (
    run_id TEXT NOT NULL, suite TEXT NOT NULL, case_id TEXT NOT NULL, position INTEGER NOT NULL,
    tags TEXT NOT NULL, parent TEXT, expect TEXT, input TEXT NOT NULL, reference TEXT, metadata TEXT,
    PRIMARY KEY (run_id, suite, case_id));
CREATE TABLE IF NOT EXISTS samples (
    run_id TEXT NOT NULL, suite TEXT NOT NULL, case_id TEXT NOT NULL, sample_index INTEGER NOT NULL,
    output TEXT, error TEXT, error_kind TEXT, latency REAL, passed INTEGER, score REAL,
    grades TEXT NOT NULL, signals TEXT NOT NULL, logprobs TEXT, usage TEXT, cached INTEGER NOT NULL,
    PRIMARY KEY (run_id, suite, case_id, sample_index));
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, output TEXT NOT NULL, logprobs TEXT,
    usage TEXT, signals TEXT, created REAL NOT NULL);
-- Human review of recorded grades (gradeloop.labels): a row per review, never an edit of a grade.
CREATE TABLE IF NOT EXISTS labels (
    label_id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, suite TEXT NOT NULL,
    case_id TEXT NOT NULL, sample_index INTEGER NOT NULL, grader TEXT NOT NULL, grade_passed INTEGER,
    label TEXT NOT NULL CHECK (label IN ('right', 'wrong')), note TEXT NOT NULL, who TEXT NOT NULL,
    created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS labels_sample ON labels(run_id, suite, case_id, sample_index, grader);
"""
# Columns added after the first release, with ALTER TABLE for stores created before them.
_ADDED_COLUMNS = (("samples", "tool_calls", "TEXT"), ("samples", "trajectory", "TEXT"),
                  ("cache", "tool_calls", "TEXT"))
_SAMPLE_COLUMNS = ("run_id, suite, case_id, sample_index, output, error, error_kind, latency, passed, score, "
                   "grades, signals, logprobs, usage, cached, tool_calls, trajectory")


@dataclass(frozen=True, slots=True)
class SampleRow:
    """One stored sample: the output (or error) and its grades."""

    suite: str
    case_id: str
    sample_index: int
    output: str | None
    error: str | None
    error_kind: str | None  # "target" | "grader" | None
    latency: float
    passed: bool | None
    score: float | None
    grades: list[dict]
    signals: dict[str, float]
    logprobs: list[float] | None
    usage: dict | None
    cached: bool
    tool_calls: list[dict] | None = None  # [{name, arguments[, error, raw, id]}]; None when no call was made
    trajectory: list[dict] | None = None  # agent runs: the messages after the input


# Schema versions (run/migrations.py): append a step for every change; never edit a released one.
_MIGRATIONS = (migrations.create_tables(_SCHEMA), migrations.add_columns(_ADDED_COLUMNS))
_CACHE_COLUMNS = "key, fingerprint, output, logprobs, usage, signals, created, tool_calls"
_CACHE_PUT = {
    "sqlite": f"INSERT OR REPLACE INTO cache ({_CACHE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
    "postgresql": f"INSERT INTO cache ({_CACHE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET "
                  + ", ".join(f"{c} = EXCLUDED.{c}" for c in _CACHE_COLUMNS.split(", ")[1:]),
}

_WRITE_ATTEMPTS = 5  # a PostgreSQL write that deadlocked or failed to serialise is tried again, this many times in all


def _sample_key(row: tuple) -> tuple:
    """A sample row's primary key (run_id, suite, case_id, sample_index): the order every writer inserts in."""
    return (row[0], row[1], row[2], row[3])


# json.dumps with default settings, minus its per-call argument checks (~0.5 µs on short values).
_encode_json = json.JSONEncoder().encode
_raw_decode = json.JSONDecoder().raw_decode


def _loads(text: str) -> Any:
    """json.loads for the store's own JSON columns, which never have surrounding whitespace.

    Skips json.loads' two whitespace scans (~1 µs a value); anything unexpected takes json.loads.
    """
    try:
        value, end = _raw_decode(text)
    except json.JSONDecodeError:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


class Store:
    """Store of runs, samples and the generation cache: a SQLite file, or a PostgreSQL URL."""

    def __init__(self, path: str | Path = DEFAULT_STORE) -> None:
        from gradeloop.run.sql import store_location

        location = store_location(path)
        self.dialect = "sqlite"
        if isinstance(location, str):  # postgresql://...
            self._open_postgres(location)
            return
        self.path = location
        _OPEN_PATHS[:] = [str(self.path)]  # named by the CLI's one-line error if a write fails later
        if self.path.is_dir():
            raise InputError("is a folder; --store takes the path of a SQLite file", file=str(self.path))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            migrations.migrate(self.db, _MIGRATIONS, where=str(self.path))
        except (sqlite3.Error, OSError) as exc:
            raise InputError(f"cannot open the results store: {exc}", file=str(self.path)) from None

    def _open_postgres(self, url: str) -> None:
        from gradeloop.run.sql import PgConnection, redact_url

        self.dialect = "postgresql"
        self.url = url
        shown = redact_url(url)  # what messages name: never the password
        self.path = shown  # type: ignore[assignment]
        _OPEN_PATHS[:] = [shown]
        self.db = PgConnection(url)  # type: ignore[assignment]  # sqlite3's surface, see run/sql.py
        migrations.migrate(self.db, _MIGRATIONS, where=shown)

    def close(self) -> None:
        self.db.close()

    def run_lock(self, key: str, *, wait: float = 0.0) -> AbstractContextManager[None]:
        """One process at a time per run: a file lock beside a SQLite store, an advisory lock in PostgreSQL."""
        if self.dialect == "postgresql":
            return self.db.run_lock(key, wait=wait)  # type: ignore[attr-defined]
        from gradeloop.run.lock import run_lock

        return run_lock(self.path, key, wait=wait)

    # runs ------------------------------------------------------------------------------
    def create_run(self, run_id: str, run_key: str, target_spec: str, fingerprint: str,
                   config: dict, suites: list[dict]) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?)",
                (run_id, run_key, time.time(), None, "running", redact_spec(target_spec), fingerprint,
                 json.dumps(config), json.dumps(suites)))

    def unfinished_run(self, run_key: str) -> str | None:
        """The newest unfinished run with this key: the one a restarted command resumes."""
        row = self.db.execute(
            "SELECT run_id FROM runs WHERE run_key=? AND status='running' ORDER BY created DESC LIMIT 1",
            (run_key,)).fetchone()
        return row[0] if row else None

    def finish_run(self, run_id: str) -> None:
        with self.db:
            self.db.execute("UPDATE runs SET status='done', finished=? WHERE run_id=?", (time.time(), run_id))

    def run_meta(self, run_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT run_id, run_key, created, finished, status, target_spec, fingerprint, config, suites "
            "FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            return None
        keys = ("run_id", "run_key", "created", "finished", "status", "target_spec", "fingerprint", "config", "suites")
        meta = dict(zip(keys, row))
        meta["target_spec"] = redact_spec(meta["target_spec"])  # stores written before redaction existed
        meta["config"] = json.loads(meta["config"])
        meta["suites"] = json.loads(meta["suites"])
        return meta

    def latest_run_id(self) -> str | None:
        row = self.db.execute("SELECT run_id FROM runs ORDER BY created DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def list_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT run_id FROM runs ORDER BY created DESC LIMIT ?", (limit,)).fetchall()
        return [m for (rid,) in rows if (m := self.run_meta(rid)) is not None]

    # cases and samples -------------------------------------------------------------------
    def add_cases(self, run_id: str, rows: Iterable[tuple]) -> None:
        """rows: (suite, case_id, position, tags, parent, expect, input, reference[, metadata])."""
        encode = _encode_json
        with self.db:
            self.db.executemany(
                "INSERT OR IGNORE INTO cases VALUES (?,?,?,?,?,?,?,?,?,?)",
                ((run_id, r[0], r[1], r[2], "{}" if not r[3] else encode(r[3]), r[4], r[5], encode(r[6]), r[7],
                  encode(r[8]) if len(r) > 8 and r[8] else None) for r in rows))

    def cases(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT suite, case_id, tags, parent, expect, input, reference, metadata FROM cases WHERE run_id=? "
            "ORDER BY suite, position", (run_id,)).fetchall()
        return [{"suite": s, "id": c, "tags": {} if t == "{}" else _loads(t), "parent": p, "expect": e,
                 "input": _loads(i), "reference": r, "metadata": _loads(m) if m else {}}
                for s, c, t, p, e, i, r, m in rows]

    def case_tags(self, run_id: str) -> list[dict[str, Any]]:
        """suite, id and tags of every case in order: what the metrics and slices need."""
        rows = self.db.execute(
            "SELECT suite, case_id, tags FROM cases WHERE run_id=? ORDER BY suite, position", (run_id,)).fetchall()
        return [{"suite": s, "id": c, "tags": {} if t == "{}" else _loads(t)} for s, c, t in rows]

    def sample_outcomes(self, run_id: str) -> list[tuple[str, str, int | None, float | None, str | None]]:
        """(suite, case_id, passed as 1/0/None, score, error_kind) of every sample, in sample order."""
        return self.db.execute(
            "SELECT suite, case_id, passed, score, error_kind FROM samples WHERE run_id=? "
            "ORDER BY suite, case_id, sample_index", (run_id,)).fetchall()

    def done_keys(self, run_id: str) -> set[tuple[str, str, int]]:
        """(suite, case_id, sample_index) of every sample already stored for this run."""
        return set(self.db.execute(
            "SELECT suite, case_id, sample_index FROM samples WHERE run_id=?", (run_id,)).fetchall())

    def add_samples(self, run_id: str, rows: Iterable[SampleRow]) -> None:
        self.add_sample_rows(
            (run_id, r.suite, r.case_id, r.sample_index, r.output, r.error, r.error_kind, r.latency,
             None if r.passed is None else int(r.passed), r.score, json.dumps(r.grades),
             json.dumps(r.signals), None if r.logprobs is None else json.dumps(r.logprobs),
             None if r.usage is None else json.dumps(r.usage), int(r.cached),
             None if r.tool_calls is None else json.dumps(r.tool_calls),
             None if r.trajectory is None else json.dumps(r.trajectory)) for r in rows)

    def add_sample_rows(self, rows: Iterable[tuple]) -> None:
        """Rows in `_SAMPLE_COLUMNS` order, JSON columns as text (the engine's hot path)."""
        # PostgreSQL: many machines may write one store; a sample already there is kept, never doubled.
        verb = "INSERT OR IGNORE" if self.dialect == "postgresql" else "INSERT"
        self._write_many(f"{verb} INTO samples ({_SAMPLE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         rows, key=_sample_key)

    def _write_many(self, sql: str, rows: Iterable[tuple], key: Callable[[tuple], Any]) -> None:
        """One transaction of rows. On PostgreSQL, where many writers may insert the same keys at once,
        every writer inserts in the same order (`key`), so two never wait on each other crosswise;
        a deadlock or serialization failure the server reports anyway is retried a few times."""
        if self.dialect != "postgresql":
            with self.db:
                self.db.executemany(sql, rows)
            return
        ordered = sorted(rows, key=key)
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                with self.db:
                    self.db.executemany(sql, ordered)
                return
            except self.db.transient_errors:  # type: ignore[attr-defined]
                if attempt == _WRITE_ATTEMPTS - 1 or self.db.in_transaction:  # type: ignore[attr-defined]
                    raise  # (within a caller's transaction only the caller can start over)
                time.sleep(0.05 * 2 ** attempt)

    def samples(self, run_id: str) -> Iterator[SampleRow]:
        cur = self.db.execute(
            "SELECT suite, case_id, sample_index, output, error, error_kind, latency, passed, score, grades, "
            "signals, logprobs, usage, cached, tool_calls, trajectory FROM samples WHERE run_id=? "
            "ORDER BY suite, case_id, sample_index", (run_id,))
        loads = _loads
        for s, c, i, out, err, kind, lat, passed, score, grades, signals, lp, usage, cached, calls, traj in cur:
            yield SampleRow(s, c, i, out, err, kind, lat or 0.0, None if passed is None else bool(passed), score,
                            loads(grades), {} if signals == "{}" else loads(signals),
                            None if lp is None else loads(lp), None if usage is None else loads(usage), bool(cached),
                            None if calls is None else loads(calls), None if traj is None else loads(traj))

    # generation cache --------------------------------------------------------------------
    def cache_get_many(self, keys: list[str]) -> dict[str, tuple]:
        found: dict[str, tuple] = {}
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            marks = ",".join("?" * len(part))
            for row in self.db.execute(
                    f"SELECT key, output, logprobs, usage, signals, tool_calls FROM cache WHERE key IN ({marks})",
                    part):
                found[row[0]] = row[1:]
        return found

    def cache_put_many(self, rows: Iterable[tuple]) -> None:
        """rows: (key, fingerprint, output, logprobs, usage, signals[, tool_calls as a list of dicts])."""
        self._write_many(_CACHE_PUT[self.dialect],
                         ((r[0], r[1], r[2], json.dumps(r[3]) if r[3] is not None else None,
                           json.dumps(r[4]) if r[4] is not None else None, json.dumps(r[5] or {}), time.time(),
                           json.dumps(r[6]) if len(r) > 6 and r[6] else None) for r in rows),
                         key=lambda r: r[0])

    def cache_stats(self) -> dict[str, Any]:
        n, size = self.db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(output)),0) FROM cache").fetchone()
        by_fp = self.db.execute(
            "SELECT fingerprint, COUNT(*) FROM cache GROUP BY fingerprint ORDER BY 2 DESC").fetchall()
        return {"entries": n, "output_bytes": size, "fingerprints": dict(by_fp)}

    def cache_clear(self) -> int:
        with self.db:
            return self.db.execute("DELETE FROM cache").rowcount
