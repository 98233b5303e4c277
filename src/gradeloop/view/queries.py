"""SQL behind the viewer's pages: runs, filtered sample pages, one sample, per-grader rates.

Every filter is a parameterised WHERE clause on the samples table and every page is LIMIT/OFFSET,
walked in the order of the samples primary key (run_id, suite, case_id, sample_index), so a page
costs the rows it shows plus the filter scan, never a load of the whole run. The SQL is written once
for SQLite and PostgreSQL stores; only its JSON parts differ, and those are in `view.dialects`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gradeloop.run.store import Store
from gradeloop.view import dialects

PER_PAGE = 50
MAX_PER_PAGE = 500
SNIPPET = 240


@dataclass(frozen=True, slots=True)
class SampleFilter:
    """What the run page's filter form asks for; empty strings mean 'any'."""

    suite: str = ""
    slice: str = ""  # "key=value" of a case tag, or "suite=NAME"
    grader: str = ""
    verdict: str = ""  # pass | fail | none (no verdict) | error
    error: str = ""  # yes | no | target | grader
    flaky: bool = False  # cases whose valid samples disagree
    q: str = ""  # text in the case id, input, output or error

    def query_args(self) -> dict[str, str]:
        """The non-empty fields, for links that keep the filter (pagination)."""
        out = {k: getattr(self, k) for k in ("suite", "slice", "grader", "verdict", "error", "q")
               if getattr(self, k)}
        if self.flaky:
            out["flaky"] = "1"
        return out


@dataclass(frozen=True, slots=True)
class SampleItem:
    """One row of a samples page: enough to list it, not the whole sample."""

    suite: str
    case_id: str
    sample_index: int
    passed: bool | None
    score: float | None
    error_kind: str | None
    latency: float
    snippet: str
    n_labels: int


@dataclass(frozen=True, slots=True)
class SamplePage:
    items: list[SampleItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(run_id: str, f: SampleFilter, dialect: str = dialects.SQLITE) -> tuple[str, list[Any]]:
    where = ["s.run_id = ?"]
    args: list[Any] = [run_id]
    suite = f.suite
    if f.slice:
        key, _, value = f.slice.partition("=")
        if key == "suite":
            where.append("s.suite = ?")
            args.append(value)
        else:
            cond, more = dialects.sample_tag(dialect, key, value)
            where.append(cond)
            args += more
    if suite:
        where.append("s.suite = ?")
        args.append(suite)
    if f.grader:
        cond, more = dialects.sample_grade(dialect, f.grader, f.verdict)
        where.append(cond)
        args += more
    elif f.verdict in ("pass", "fail"):
        where.append("s.error_kind IS NULL AND s.passed = ?")
        args.append(1 if f.verdict == "pass" else 0)
    elif f.verdict == "none":
        where.append("s.error_kind IS NULL AND s.passed IS NULL")
    elif f.verdict == "error":
        where.append("s.error_kind IS NOT NULL")
    if f.error == "yes":
        where.append("s.error IS NOT NULL")
    elif f.error == "no":
        where.append("s.error IS NULL")
    elif f.error in ("target", "grader"):
        where.append("s.error_kind = ?")
        args.append(f.error)
    if f.flaky:
        where.append("(s.suite, s.case_id) IN (SELECT suite, case_id FROM samples WHERE run_id = ? AND "
                     "error_kind IS NULL AND passed IS NOT NULL GROUP BY suite, case_id "
                     "HAVING MIN(passed) <> MAX(passed))")
        args.append(run_id)
    if f.q:
        like, op = _like(f.q), dialects.like(dialect)
        where.append(f"(s.case_id {op} ? ESCAPE '\\' OR s.output {op} ? ESCAPE '\\' OR s.error {op} ? ESCAPE '\\' "
                     "OR EXISTS (SELECT 1 FROM cases c WHERE c.run_id = s.run_id AND c.suite = s.suite AND "
                     f"c.case_id = s.case_id AND c.input {op} ? ESCAPE '\\'))")
        args += [like, like, like, like]
    return " AND ".join(where), args


def sample_page(store: Store, run_id: str, f: SampleFilter, page: int = 1, per_page: int = PER_PAGE) -> SamplePage:
    """One page of the run's samples that match `f`, in (suite, case, sample) order, and the match count."""
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    page = max(int(page), 1)
    where, args = _where(run_id, f, store.dialect)
    total = store.db.execute(f"SELECT COUNT(*) FROM samples s WHERE {where}", args).fetchone()[0]
    # The page's keys first, then its columns: PostgreSQL computes a select list for the rows an
    # OFFSET skips too (a label count and a snippet each, 100,000 of them on a deep page).
    rows = store.db.execute(
        f"SELECT x.suite, x.case_id, x.sample_index, x.passed, x.score, x.error_kind, x.latency, "
        f"substr(COALESCE(x.output, x.error, ''), 1, {SNIPPET + 1}), "
        "(SELECT COUNT(*) FROM labels l WHERE l.run_id = x.run_id AND l.suite = x.suite AND l.case_id = x.case_id "
        "AND l.sample_index = x.sample_index) "
        f"FROM (SELECT s.suite, s.case_id, s.sample_index FROM samples s WHERE {where} "
        "ORDER BY s.suite, s.case_id, s.sample_index LIMIT ? OFFSET ?) p "
        "JOIN samples x ON x.run_id = ? AND x.suite = p.suite AND x.case_id = p.case_id "
        "AND x.sample_index = p.sample_index ORDER BY x.suite, x.case_id, x.sample_index",
        [*args, per_page, (page - 1) * per_page, run_id]).fetchall()
    items = [SampleItem(r[0], r[1], int(r[2]), None if r[3] is None else bool(r[3]), r[4], r[5], r[6] or 0.0,
                        r[7] if len(r[7]) <= SNIPPET else r[7][:SNIPPET] + "…", int(r[8])) for r in rows]
    return SamplePage(items, int(total), page, per_page)


@dataclass(frozen=True, slots=True)
class SampleDetail:
    """Everything recorded for one sample, with its case."""

    run_id: str
    suite: str
    case_id: str
    sample_index: int
    output: str | None
    error: str | None
    error_kind: str | None
    latency: float
    passed: bool | None
    score: float | None
    grades: list[dict]
    signals: dict[str, Any]
    usage: dict | None
    cached: bool
    tool_calls: list[dict] | None
    trajectory: list[dict] | None
    case: dict[str, Any] = field(default_factory=dict)
    n_samples: int = 1


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def sample_detail(store: Store, run_id: str, suite: str, case_id: str, index: int) -> SampleDetail | None:
    row = store.db.execute(
        "SELECT output, error, error_kind, latency, passed, score, grades, signals, usage, cached, tool_calls, "
        "trajectory FROM samples WHERE run_id=? AND suite=? AND case_id=? AND sample_index=?",
        (run_id, suite, case_id, index)).fetchone()
    if row is None:
        return None
    c = store.db.execute("SELECT tags, parent, expect, input, reference, metadata FROM cases WHERE run_id=? AND "
                         "suite=? AND case_id=?", (run_id, suite, case_id)).fetchone()
    case = {} if c is None else {"tags": _json(c[0]) or {}, "parent": c[1], "expect": c[2], "input": _json(c[3]),
                                 "reference": c[4], "metadata": _json(c[5]) or {}}
    n = store.db.execute("SELECT COUNT(*) FROM samples WHERE run_id=? AND suite=? AND case_id=?",
                         (run_id, suite, case_id)).fetchone()[0]
    return SampleDetail(run_id, suite, case_id, index, row[0], row[1], row[2], row[3] or 0.0,
                        None if row[4] is None else bool(row[4]), row[5], _json(row[6]) or [], _json(row[7]) or {},
                        _json(row[8]), bool(row[9]), _json(row[10]), _json(row[11]), case, int(n))


def list_runs(store: Store, q: str = "", page: int = 1, per_page: int = PER_PAGE) -> tuple[list[dict], int]:
    """Run rows newest first, optionally those whose id, target or suites contain `q`; and the match count."""
    where, args = "", []
    if q:
        like, op = _like(q), dialects.like(store.dialect)
        where = f"WHERE run_id {op} ? ESCAPE '\\' OR target_spec {op} ? ESCAPE '\\' OR suites {op} ? ESCAPE '\\'"
        args = [like, like, like]
    total = store.db.execute(f"SELECT COUNT(*) FROM runs {where}", args).fetchone()[0]
    rows = store.db.execute(f"SELECT run_id FROM runs {where} ORDER BY created DESC LIMIT ? OFFSET ?",
                            [*args, per_page, (max(page, 1) - 1) * per_page]).fetchall()
    return [m for (rid,) in rows if (m := store.run_meta(rid)) is not None], int(total)


def label_counts(store: Store, run_id: str) -> dict[str, int]:
    """Latest label per (sample, grader), counted by label: superseded reviews are not counted twice."""
    rows = store.db.execute(
        "SELECT label, COUNT(*) FROM labels WHERE label_id IN (SELECT MAX(label_id) FROM labels WHERE run_id=? "
        "GROUP BY suite, case_id, sample_index, grader) GROUP BY label", (run_id,)).fetchall()
    return {str(k): int(v) for k, v in rows}


def signal_names(store: Store, run_id: str, scan: int = 2000) -> list[str]:
    """Names of the numeric signals recorded on the run's samples (from the first `scan` samples)."""
    rows = store.db.execute(dialects.signal_names(store.dialect), (run_id, scan)).fetchall()
    return [str(r[0]) for r in rows]


def signal_values(store: Store, run_id: str, name: str) -> tuple[list[float], list[int], list[str]]:
    """(signal value, passed 1/0, case key) of every sample with a verdict and that signal."""
    sql, args = dialects.signal_values(store.dialect, run_id, name)
    rows = store.db.execute(sql, args).fetchall()
    return [float(r[0]) for r in rows], [int(r[1]) for r in rows], [f"{r[2]}\0{r[3]}" for r in rows]


def unit_signals(store: Store, run_id: str, names: list[str]) -> list[str]:
    """The names among `names` whose recorded values all lie in [0, 1] (probability-like signals)."""
    out = []
    for name in names:
        sql, args = dialects.signal_range(store.dialect, run_id, name)
        lo, hi = store.db.execute(sql, args).fetchone()
        if lo is not None and 0.0 <= lo and hi <= 1.0:
            out.append(name)
    return out
