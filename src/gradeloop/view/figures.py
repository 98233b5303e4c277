"""The run page's figures, aggregated in SQL: pass rates with intervals per suite, slice and grader.

`build_run_summary` also computes pass@k and pass^k for every scope, which on 100,000 samples
costs seconds; the viewer's tables show pass rates, error rates and verdicts only, so it reads one
row per case (hits, valid samples, errors) from a GROUP BY and builds the same estimates from them.
Suite verdicts use the run JSON's own threshold rule (`run.results`), so the two never disagree.
The SQL is portable (SQLite and PostgreSQL stores): conditional counts, no sums of booleans.
"""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from gradeloop.run.results import _suite_verdict, _threshold, error_counts
from gradeloop.run.store import Store
from gradeloop.stats import estimate

_PER_CASE = """
SELECT c.suite, c.case_id, c.tags, COALESCE(a.hits, 0), COALESCE(a.valid, 0), COALESCE(a.n, 0),
       COALESCE(a.target, 0), COALESCE(a.grader, 0)
FROM cases c LEFT JOIN (
    SELECT suite, case_id, COUNT(CASE WHEN error_kind IS NULL AND passed = 1 THEN 1 END) AS hits,
           COUNT(CASE WHEN error_kind IS NULL AND passed IS NOT NULL THEN 1 END) AS valid, COUNT(*) AS n,
           COUNT(CASE WHEN error_kind = 'target' THEN 1 END) AS target,
           COUNT(CASE WHEN error_kind = 'grader' THEN 1 END) AS grader
    FROM samples WHERE run_id = ? GROUP BY suite, case_id) a
  ON a.suite = c.suite AND a.case_id = c.case_id
WHERE c.run_id = ? ORDER BY c.suite, c.position
"""


def _scope(members: list[tuple], k: int) -> dict[str, Any]:
    """pass_rate estimate and error counts over cases given as (hits, valid, n, target, grader)."""
    per_case = [[1.0] * h + [0.0] * (v - h) for h, v, _, _, _ in members if v]
    empty: list[float] = []  # error_counts reads only the counts of a Summary
    sums = [(empty, empty, n, v, t, g) for h, v, n, t, g in members]
    return {"pass_rate": estimate(per_case).as_dict(), "errors": error_counts(sums, k)}


def run_figures(store: Store, run_id: str, *, with_slices: bool = True) -> dict[str, Any] | None:
    """Run metadata plus `metrics`, `suites` (with threshold verdicts) and `slices`; None if no such run.

    `with_slices=False` leaves the tag slices out (the runs list needs only the overall figures).
    """
    meta = store.run_meta(run_id)
    if meta is None:
        return None
    k = int(meta["config"].get("samples", 1))
    by_suite: dict[str, list[tuple]] = defaultdict(list)
    by_slice: dict[str, list[tuple]] = defaultdict(list)
    everything: list[tuple] = []
    for suite, _case, tags, hits, valid, n, target, grader in store.db.execute(_PER_CASE, (run_id, run_id)):
        row = (int(hits), int(valid), int(n), int(target), int(grader))
        everything.append(row)
        by_suite[suite].append(row)
        by_slice[f"suite={suite}"].append(row)
        if with_slices and tags != "{}":
            for key, value in json.loads(tags).items():
                by_slice[f"{key}={value}"].append(row)
    memo: dict[int, dict] = {}

    def figures(rows: list[tuple]) -> dict:
        if id(rows) not in memo:
            memo[id(rows)] = _scope(rows, k)
        return memo[id(rows)]

    suites = []
    for s in meta["suites"]:
        rows = by_suite.get(s["name"], [])
        m = figures(rows)
        # one suite's figures equal its `suite=` slice's: share them
        if f"suite={s['name']}" in by_slice:
            memo[id(by_slice[f"suite={s['name']}"])] = m
        th = _threshold(s, m)
        suites.append({**s, "metrics": m, "thresholds_result": th, "verdict": _suite_verdict(m, th, s)})
    return {"run_id": run_id, "status": meta["status"], "created": meta["created"],
            "finished": meta["finished"], "target": {"spec": meta["target_spec"]}, "samples_per_case": k,
            "suites": suites, "metrics": figures(everything),
            "slices": {name: figures(by_slice[name]) for name in sorted(by_slice)}}


def grader_rates(store: Store, run_id: str) -> dict[str, dict]:
    """Each grader's pass rate with its case-clustered interval, and its error count.

    Reads the grades column once in Python: faster than SQLite's json_each on large runs.
    """
    per: dict[str, dict[tuple[str, str], list[float]]] = defaultdict(dict)
    errors: dict[str, int] = defaultdict(int)
    loads = json.loads
    for suite, case, grades in store.db.execute(
            "SELECT suite, case_id, grades FROM samples WHERE run_id = ? AND grades != '[]'", (run_id,)):
        for g in loads(grades):
            if not isinstance(g, dict):
                continue
            name = str(g.get("grader"))
            if g.get("error") is not None:
                errors[name] += 1
            elif g.get("passed") is not None:
                per[name].setdefault((suite, case), []).append(1.0 if g["passed"] else 0.0)
    names = sorted(set(per) | set(errors))
    return {name: {"pass_rate": estimate(list(per.get(name, {}).values())).as_dict(), "errors": errors.get(name, 0)}
            for name in names}


def lean_run(store: Store, run_id: str, *, fig: dict[str, Any] | None = None,
             graders: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The run JSON's fields that `gate.compare_runs` reads, without outputs, logprobs or pass@k.

    Cases carry their samples' verdicts, scores, errors and grades (what the paired test and the
    error counts use) and `pass_rate`; the figures come from `run_figures`. Outputs of the cases a
    page shows are read separately (`first_outputs`).
    """
    fig = fig or run_figures(store, run_id)  # the viewer hands in the figures it already computed
    if fig is None:
        return None
    cases: dict[tuple[str, str], dict] = {}
    order = store.db.execute("SELECT suite, case_id, tags FROM cases WHERE run_id = ? ORDER BY suite, position",
                             (run_id,)).fetchall()
    for suite, case, tags in order:
        cases[(suite, case)] = {"suite": suite, "id": case, "tags": {} if tags == "{}" else json.loads(tags),
                                "samples": []}
    loads = json.loads
    for suite, case, index, passed, score, error, kind, grades in store.db.execute(
            "SELECT suite, case_id, sample_index, passed, score, error, error_kind, grades FROM samples "
            "WHERE run_id = ? ORDER BY suite, case_id, sample_index", (run_id,)):
        c = cases.get((suite, case))
        if c is not None:
            c["samples"].append({"index": index, "passed": None if passed is None else bool(passed), "score": score,
                                 "error": error, "error_kind": kind, "grades": [] if grades == "[]" else loads(grades)})
    for c in cases.values():
        valid = [s["passed"] for s in c["samples"] if s["error_kind"] is None and s["passed"] is not None]
        c["pass_rate"] = sum(valid) / len(valid) if valid else None
    return {"schema": "gradeloop.run/v1", "run_id": run_id, "status": fig["status"], "created": fig["created"],
            "target": fig["target"], "samples_per_case": fig["samples_per_case"], "suites": fig["suites"],
            "metrics": fig["metrics"], "slices": fig["slices"],
            "graders": graders if graders is not None else grader_rates(store, run_id),
            "cases": list(cases.values())}


def first_outputs(store: Store, run_id: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """Sample 0 (output, error, tool calls) of each (suite, case) in `keys`: what a flip row shows."""
    out: dict[tuple[str, str], dict] = {}
    for suite, case in keys:
        row = store.db.execute("SELECT output, error, tool_calls FROM samples WHERE run_id = ? AND suite = ? AND "
                               "case_id = ? ORDER BY sample_index LIMIT 1", (run_id, suite, case)).fetchone()
        if row is not None:
            out[(suite, case)] = {"output": row[0], "error": row[1],
                                  "tool_calls": None if row[2] is None else json.loads(row[2])}
    return out
