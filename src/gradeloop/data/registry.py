"""The dataset registry: every suite, training set, synthetic set and adapter, with lineage.

One small SQLite file (default `.gradeloop/data.db`). A dataset version is identified by
its content hash, so re-adding unchanged data is a no-op, and every edge records how a child
was derived from a parent ("mixed", "seeded", "trained_on", ...). Every change is one
transaction, so the registry is never left half-written.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Sequence

from gradeloop.errors import InputError
from gradeloop.suite.model import Suite

KINDS = ("suite", "train", "synthetic", "adapter")
DEFAULT_PATH = Path(".gradeloop") / "data.db"
ENV_PATH = "GRADELOOP_DATA_DB"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, hash TEXT NOT NULL,
    source TEXT, split TEXT, created_at TEXT NOT NULL, meta TEXT NOT NULL DEFAULT '{}',
    seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS datasets_name ON datasets(name, seq);
CREATE TABLE IF NOT EXISTS edges (
    child TEXT NOT NULL REFERENCES datasets(id), parent TEXT NOT NULL REFERENCES datasets(id),
    how TEXT NOT NULL, PRIMARY KEY (child, parent, how));
CREATE INDEX IF NOT EXISTS edges_parent ON edges(parent);
CREATE TABLE IF NOT EXISTS seals (
    name TEXT NOT NULL, dataset TEXT NOT NULL REFERENCES datasets(id), hash TEXT NOT NULL,
    path TEXT, sealed_at TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT);
"""


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """One registered version of a dataset and what it was derived from."""

    id: str
    name: str
    kind: str
    hash: str
    source: str | None
    split: str | None
    created_at: str
    parents: tuple[tuple[str, str], ...] = ()  # (parent id, how)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "hash": self.hash,
                "source": self.source, "split": self.split, "created_at": self.created_at,
                "parents": [{"id": p, "how": h} for p, h in self.parents], "meta": dict(self.meta)}


@dataclass(frozen=True, slots=True)
class LineageStep:
    """A dataset reached while walking the lineage: from which one, by which derivation, how far."""

    record: DatasetRecord
    via: str
    how: str
    depth: int


def file_hash(path: str | Path) -> str:
    """sha256 of a file's bytes (a folder: of its files' relative paths and bytes, in order)."""
    p = Path(path)
    digest = hashlib.sha256()
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    try:
        for f in files:
            if p.is_dir():
                digest.update(f.relative_to(p).as_posix().encode() + b"\0")
            with f.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    except FileNotFoundError:
        raise InputError("no such file", file=str(p)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(p)) from None
    return digest.hexdigest()[:16]


def default_registry_path() -> Path:
    """$GRADELOOP_DATA_DB, else .gradeloop/data.db under the working folder."""
    return Path(os.environ.get(ENV_PATH) or DEFAULT_PATH)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _suite_hash(suite: Suite) -> str:
    from gradeloop.suite import suite_version

    return suite.version or suite_version(suite)


class Registry:
    """Datasets, their versions and their lineage, in one SQLite file."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_registry_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not a gradeloop registry: {exc}", file=str(self.path)) from None
        self._db.row_factory = sqlite3.Row

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def add(self, path_or_suite: str | Path | Suite, kind: str = "suite", parents: Sequence[tuple[str, str]] = (),
            meta: Mapping[str, Any] | None = None, *, name: str | None = None,
            split: str | None = None) -> DatasetRecord:
        """Register a suite (file or object) or a data file; unchanged content returns its record."""
        if kind not in KINDS:
            raise InputError(f"unknown dataset kind {kind!r}; expected one of {', '.join(KINDS)}", field="kind")
        if isinstance(path_or_suite, Suite):
            suite = path_or_suite
            digest = _suite_hash(suite)
            source = str(Path(suite.source).resolve()) if suite.source and Path(suite.source).exists() else None
            name, split = name or suite.name, split or suite.split
        elif kind == "suite":
            from gradeloop.suite import load_suite

            suite = load_suite(path_or_suite)
            digest, source = _suite_hash(suite), str(Path(path_or_suite).resolve())
            name, split = name or suite.name, split or suite.split
        elif kind == "adapter":
            raise InputError("adapters are recorded with record_adapter(adapter_id, trained_on)", field="kind")
        else:
            p = Path(path_or_suite)
            digest, source = file_hash(p), str(p.resolve())
            name, split = name or p.stem, split or "train"
        return self._insert(f"{name}@{digest[:12]}", name, kind, digest, source, split, parents, meta or {})

    def record_adapter(self, adapter_id: str, trained_on: Sequence[str], meta: Mapping[str, Any] | None = None,
                       *, path: str | Path | None = None, how: str = "trained_on") -> DatasetRecord:
        """Record an adapter and the exact dataset versions it was trained on (ids or names)."""
        if not trained_on:
            raise InputError("an adapter must name the data it was trained on", field="trained_on")
        records = [self.get(ref) for ref in trained_on]
        sealed = {rec.id for _, rec, _ in self.seals()}
        for rec in records:
            if rec.split == "holdout" or rec.id in sealed:
                from gradeloop.data.holdout import HoldoutError

                raise HoldoutError(f"adapter {adapter_id!r} cannot be recorded as trained on holdout "
                                   f"'{rec.id}'", file=rec.source, field="trained_on")
        parents = [(rec.id, how) for rec in records]
        digest = file_hash(path) if path is not None else hashlib.sha256(adapter_id.encode()).hexdigest()[:16]
        source = str(Path(path).resolve()) if path is not None else None
        return self._insert(adapter_id, adapter_id, "adapter", digest, source, None, parents, meta or {})

    def _insert(self, id_: str, name: str, kind: str, digest: str, source: str | None, split: str | None,
                parents: Sequence[tuple[str, str]], meta: Mapping[str, Any]) -> DatasetRecord:
        resolved = [(self.get(ref).id, how) for ref, how in parents]
        if any(pid == id_ for pid, _ in resolved):
            raise InputError(f"{id_} cannot be its own parent", field="parents")
        try:
            meta_json = json.dumps(dict(meta), sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise InputError(f"metadata must be JSON values: {exc}", field="meta") from None
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT kind FROM datasets WHERE id = ?", (id_,)).fetchone()
            if row is None:
                seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM datasets").fetchone()[0]
                db.execute("INSERT INTO datasets (id, name, kind, hash, source, split, created_at, meta, seq) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (id_, name, kind, digest, source, split, _now(), meta_json, seq))
            elif row["kind"] != kind:
                raise InputError(f"{id_} is already registered as a {row['kind']}", field="kind")
            db.executemany("INSERT OR IGNORE INTO edges (child, parent, how) VALUES (?, ?, ?)",
                           [(id_, pid, how) for pid, how in resolved])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return self.get(id_)

    def seal(self, record: DatasetRecord) -> None:
        """Record a holdout's current hash; later edits are what `verify` reports."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT INTO seals (name, dataset, hash, path, sealed_at) VALUES (?, ?, ?, ?, ?)",
                       (record.name, record.id, record.hash, record.source, _now()))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- reading -----------------------------------------------------------------------------

    def _record(self, row: sqlite3.Row) -> DatasetRecord:
        parents = tuple((r["parent"], r["how"]) for r in self._db.execute(
            "SELECT parent, how FROM edges WHERE child = ? ORDER BY parent, how", (row["id"],)))
        return DatasetRecord(id=row["id"], name=row["name"], kind=row["kind"], hash=row["hash"],
                             source=row["source"], split=row["split"], created_at=row["created_at"],
                             parents=parents, meta=json.loads(row["meta"]))

    def find(self, ref: str) -> DatasetRecord | None:
        """A record by exact id, else the latest version of that name or of that source file."""
        row = self._db.execute("SELECT * FROM datasets WHERE id = ?", (ref,)).fetchone()
        if row is None:
            row = self._db.execute("SELECT * FROM datasets WHERE name = ? ORDER BY seq DESC LIMIT 1",
                                   (ref,)).fetchone()
        if row is None and Path(ref).exists():
            row = self._db.execute("SELECT * FROM datasets WHERE source = ? ORDER BY seq DESC LIMIT 1",
                                   (str(Path(ref).resolve()),)).fetchone()
        return self._record(row) if row is not None else None

    def get(self, ref: str) -> DatasetRecord:
        """Like `find`, but an unknown reference is an InputError."""
        record = self.find(ref)
        if record is None:
            raise InputError(f"no dataset {ref!r} in the registry", file=str(self.path), field="id")
        return record

    def list(self, kind: str | None = None) -> list[DatasetRecord]:
        """Every registered version, oldest first (optionally of one kind)."""
        sql, args = "SELECT * FROM datasets", ()
        if kind is not None:
            sql, args = sql + " WHERE kind = ?", (kind,)
        return [self._record(r) for r in self._db.execute(sql + " ORDER BY seq", args).fetchall()]

    def lineage(self, ref: str, direction: Literal["up", "down"] = "up") -> list[LineageStep]:
        """Walk the graph breadth-first: `up` to what fed this dataset, `down` to what was derived from it."""
        if direction not in ("up", "down"):
            raise InputError(f"direction must be 'up' or 'down', got {direction!r}", field="direction")
        start = self.get(ref).id
        sql = ("SELECT parent AS next, how FROM edges WHERE child = ? ORDER BY parent, how" if direction == "up"
               else "SELECT child AS next, how FROM edges WHERE parent = ? ORDER BY child, how")
        steps: list[LineageStep] = []
        seen = {start}
        queue: deque[tuple[str, int]] = deque([(start, 0)])
        while queue:
            current, depth = queue.popleft()
            for row in self._db.execute(sql, (current,)).fetchall():
                steps.append(LineageStep(self.get(row["next"]), current, row["how"], depth + 1))
                if row["next"] not in seen:
                    seen.add(row["next"])
                    queue.append((row["next"], depth + 1))
        return steps

    def seals(self) -> list[tuple[str, DatasetRecord, str]]:
        """The current seal of every sealed holdout: (name, sealed record, sealed_at)."""
        rows = self._db.execute(
            "SELECT s.name, s.dataset, s.sealed_at FROM seals s JOIN "
            "(SELECT name, MAX(seq) AS seq FROM seals GROUP BY name) latest "
            "ON s.name = latest.name AND s.seq = latest.seq ORDER BY s.name").fetchall()
        return [(r["name"], self.get(r["dataset"]), r["sealed_at"]) for r in rows]

    def eval_suites(self, exclude: Iterable[str] = ()) -> list[Suite]:
        """The latest version of every registered evaluation suite (split other than train), loaded.

        Suites registered from memory (no file) cannot be reloaded and are left out.
        """
        from gradeloop.suite import load_suite

        skip = set(exclude)
        latest: dict[str, DatasetRecord] = {}
        for record in self.list("suite"):
            latest[record.name] = record
        suites = []
        for name, record in latest.items():
            if name in skip or record.split == "train" or not record.source:
                continue
            if not Path(record.source).exists():
                raise InputError(f"registered suite '{name}' is missing; re-register or restore it",
                                 file=record.source)
            suites.append(load_suite(record.source))
        return suites
