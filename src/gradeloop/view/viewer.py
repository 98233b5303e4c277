"""The viewer's state shared by its routes: the store connections and the cached figures of finished runs.

A run's figures are GROUP BY queries over all its samples, too slow to repeat on every page view of
a large run, so a finished run's are kept; the cache key lets a store that others still write into
show new samples within `RECHECK_S` (see `Viewer`). Kept apart from the routes (`view.app`) so the
caching rules read in one place.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from gradeloop.run.store import DEFAULT_STORE, Store
from gradeloop.view import figures
from gradeloop.view.stores import StorePool

RECHECK_S = 5.0  # how stale a finished run's cached figures may get in a store that others write into


class Viewer:
    """State shared by the routes: the store (a connection per worker thread, `view.stores`), figure caches.

    Figures of a finished run are cached under its finish time and sample count: a store shared by
    many writers (other machines, a `store migrate` copying into it) can still add samples to a run
    marked done (the migrate copies the runs row first), so the count, one indexed COUNT, is read
    again once `recheck_s` has passed since the last, and new samples make new figures. A running
    run is rebuilt on every view.
    """

    def __init__(self, location: str | Path, tunes_dir: Path | None, *, recheck_s: float = RECHECK_S) -> None:
        self.stores = StorePool(location)
        if tunes_dir is None:
            # tuning states are local files: beside a SQLite store, else in this folder's .gradeloop/tunes
            tunes_dir = (DEFAULT_STORE.parent if self.stores.is_url else Path(self.stores.location).parent) / "tunes"
        self.tunes_dir = Path(tunes_dir)
        self.recheck_s = recheck_s
        self.clock = time.monotonic  # tests move it instead of waiting
        self.rechecks = 0  # sample counts read to validate cached figures: what tests count
        self._cache: dict[tuple, Any] = {}
        self._seen: dict[str, tuple[Any, int, float]] = {}  # run id -> (finished, sample count, when counted)
        self._lock = threading.Lock()

    def store(self) -> Store:
        return self.stores.get()

    def close(self) -> None:
        self.stores.close()

    def _version(self, meta: dict) -> tuple[Any, int]:
        """(finish time, sample count) of a finished run; the count is read again at most every `recheck_s`."""
        run_id, finished, now = meta["run_id"], meta["finished"], self.clock()
        with self._lock:
            seen = self._seen.get(run_id)
        if seen is not None and seen[0] == finished and now - seen[2] < self.recheck_s:
            return finished, seen[1]
        n = int(self.store().db.execute("SELECT COUNT(*) FROM samples WHERE run_id = ?", (run_id,)).fetchone()[0])
        with self._lock:
            self.rechecks += 1
            if len(self._seen) > 1024:
                self._seen.clear()
            self._seen[run_id] = (finished, n, now)
        return finished, n

    def cached(self, key: tuple, metas: dict | Sequence[dict], build: Callable[[], Any]) -> Any:
        """`build()` memoised for finished runs (see the class docstring); rebuilt while any run is open."""
        runs = [metas] if isinstance(metas, dict) else list(metas)
        if any(m["status"] != "done" for m in runs):
            return build()
        full = (*key, *(self._version(m) for m in runs))
        with self._lock:
            if full in self._cache:
                return self._cache[full]
        value = build()
        with self._lock:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[full] = value
        return value

    def meta(self, run_id: str) -> dict:
        meta = self.store().run_meta(run_id)
        if meta is None:
            raise LookupError(f"no run {run_id!r} in this store")
        return meta

    def summary(self, run_id: str) -> dict:
        meta = self.meta(run_id)
        return self.cached(("summary", run_id), meta, lambda: figures.run_figures(self.store(), run_id))

    def overview(self, run_id: str) -> dict:
        """The runs list's figures: overall and per suite, no tag slices."""
        meta = self.meta(run_id)
        return self.cached(("overview", run_id), meta,
                           lambda: figures.run_figures(self.store(), run_id, with_slices=False))

    def warm(self, limit: int = 5) -> None:
        """Compute the newest finished runs' figures ahead of the first page view (a background thread)."""
        try:
            for m in self.store().list_runs(limit):
                if m["status"] == "done":
                    self.overview(m["run_id"])
                    self.summary(m["run_id"])
                    self.graders(m["run_id"])
        except Exception:  # noqa: BLE001 - warming is an optimisation; a page computes what it lacks
            return

    def robustness(self, run_id: str) -> dict | None:
        """The run JSON's robustness block, only for runs that hold mutation variants (`~OP~N` ids)."""
        meta = self.meta(run_id)

        def build() -> dict | None:
            has = self.store().db.execute("SELECT 1 FROM cases WHERE run_id=? AND (parent IS NOT NULL OR "
                                          "case_id LIKE '%~%~%') LIMIT 1", (run_id,)).fetchone()
            if not has:
                return None
            from gradeloop.run.results import build_run_summary

            return build_run_summary(self.store(), run_id).get("robustness")
        return self.cached(("robustness", run_id), meta, build)

    def graders(self, run_id: str) -> dict:
        meta = self.meta(run_id)
        return self.cached(("graders", run_id), meta, lambda: figures.grader_rates(self.store(), run_id))

    def lean(self, run_id: str) -> dict:
        """What compare_runs reads of a run (no outputs): see figures.lean_run."""
        meta = self.meta(run_id)
        return self.cached(("lean", run_id), meta, lambda: figures.lean_run(
            self.store(), run_id, fig=self.summary(run_id), graders=self.graders(run_id)))
