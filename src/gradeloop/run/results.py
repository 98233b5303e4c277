"""Build the run JSON (schema gradeloop.run/v1) from the store, and load runs by reference.

Metrics are derived from the stored samples every time, never stored on their own, so a
regrade or a resumed run can never disagree with its own numbers.
"""
from __future__ import annotations

from collections import defaultdict
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable

from gradeloop.errors import InputError
from gradeloop.run.store import DEFAULT_STORE, SampleRow, Store
from gradeloop.stats import estimate, estimate_pass_at_k, estimate_pass_hat_k

RUN_SCHEMA = "gradeloop.run/v1"


# What the metrics read of a case: valid pass values and scores (errored samples excluded), the
# number of samples and of valid ones, and the target and grader error counts.
Summary = tuple[list[float], list[float], int, int, int, int]


def _summarise_outcomes(outcomes: Iterable[tuple[bool | int | None, float | None, str | None]]) -> Summary:
    """A case's Summary from its samples' (passed, score, error_kind); passed may be stored 1/0."""
    passed: list[float] = []
    scores: list[float] = []
    n = target = grader = 0
    for ok, score, kind in outcomes:
        n += 1
        if kind is None:
            if ok is not None:
                passed.append(1.0 if ok else 0.0)
            if score is not None:
                scores.append(float(score))
        elif kind == "target":
            target += 1
        elif kind == "grader":
            grader += 1
    return passed, scores, n, len(passed), target, grader


def _summarise(case: dict) -> Summary:
    return _summarise_outcomes((s["passed"], s["score"], s["error_kind"]) for s in case["samples"])


def _metrics(sums: list[Summary], samples_per_case: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "pass_rate": estimate([p for p, _, _, _, _, _ in sums if p]).as_dict(),
        "score": estimate([sc for _, sc, _, _, _, _ in sums if sc]).as_dict(),
    }
    counts = [(n, int(sum(p))) for p, _, _, n, _, _ in sums if n]
    for k in sorted({k for k in (2, 5, 10, samples_per_case) if 1 < k <= samples_per_case}):
        usable = [(n, c) for n, c in counts if n >= k]
        out[f"pass@{k}"] = estimate_pass_at_k(usable, k).as_dict()
        out[f"pass^{k}"] = estimate_pass_hat_k(usable, k).as_dict()
    out["errors"] = error_counts(sums, samples_per_case)
    return out


def error_counts(sums: list[Summary], samples_per_case: int) -> dict[str, Any]:
    """Target and grader errors, samples planned but never recorded (a killed run, a missing replay
    output), and their share of the planned samples: the error rate reported beside the pass rate."""
    k = max(int(samples_per_case), 1)
    target = sum(s[4] for s in sums)
    grader = sum(s[5] for s in sums)
    recorded = sum(s[2] for s in sums)
    missing = sum(max(k - s[2], 0) for s in sums)
    planned = recorded + missing
    errors = target + grader + missing
    return {"target": target, "grader": grader, "samples": recorded, "missing": missing, "planned": planned,
            "rate": errors / planned if planned else 0.0}


def metrics_for(cases: list[dict], samples_per_case: int) -> dict[str, Any]:
    """pass_rate, score, pass@k / pass^k and error counts over a group of run-JSON cases."""
    return _metrics([_summarise(c) for c in cases], samples_per_case)


def _grader_metrics(cases: list[dict]) -> dict[str, Any]:
    per: dict[str, list[list[float]]] = defaultdict(list)
    for c in cases:
        by_grader: dict[str, list[float]] = defaultdict(list)
        for s in c["samples"]:
            for g in s["grades"]:
                if g.get("error") is None:
                    by_grader[g["grader"]].append(1.0 if g["passed"] else 0.0)
        for name, vals in by_grader.items():
            per[name].append(vals)
    return {name: {"pass_rate": estimate(vals).as_dict()} for name, vals in sorted(per.items())}


def _sample_dict(r: SampleRow) -> dict[str, Any]:
    d = {"index": r.sample_index, "output": r.output, "passed": r.passed, "score": r.score,
         "grades": r.grades, "signals": r.signals, "logprobs": r.logprobs, "error": r.error,
         "error_kind": r.error_kind, "latency_s": r.latency, "cached": r.cached, "usage": r.usage}
    if r.tool_calls is not None:  # only samples that called tools carry these keys
        d["tool_calls"] = r.tool_calls
    if r.trajectory is not None:
        d["trajectory"] = r.trajectory
    return d


def _meta(store: Store, run_id: str) -> dict[str, Any]:
    meta = store.run_meta(run_id)
    if meta is None:
        raise InputError(f"no run {run_id!r} in {store.path}", field="run")
    return meta


def build_run_json(store: Store, run_id: str) -> dict[str, Any]:
    """The full run document: metadata, metrics with intervals, slices, graders and every sample."""
    meta = _meta(store, run_id)
    cases = store.cases(run_id)
    index = {(c["suite"], c["id"]): c for c in cases}
    for c in cases:
        c["samples"] = []
    for row in store.samples(run_id):
        case = index.get((row.suite, row.case_id))
        if case is not None:
            case["samples"].append(_sample_dict(row))
    summaries = [_summarise(c) for c in cases]
    for c, summary in zip(cases, summaries):
        valid = summary[0]
        c["pass_rate"] = sum(valid) / len(valid) if valid else None
    doc = _document(meta, run_id, cases, summaries, graders=_grader_metrics(cases), with_cases=True)
    doc["error_messages"] = error_messages(store, run_id)
    return doc


def build_run_summary(store: Store, run_id: str) -> dict[str, Any]:
    """The run document without `cases` and `graders`: all the terminal tables and thresholds read.

    Reads only each sample's verdict columns, so it costs a fraction of `build_run_json`.
    """
    meta = _meta(store, run_id)
    cases = store.case_tags(run_id)
    # Samples come sorted by (suite, case_id): each case's samples are one consecutive group.
    by_case = {key: _summarise_outcomes(row[2:] for row in rows)
               for key, rows in groupby(store.sample_outcomes(run_id), key=itemgetter(0, 1))}
    summaries = [by_case.get((c["suite"], c["id"])) or _summarise_outcomes(()) for c in cases]
    doc = _document(meta, run_id, cases, summaries)
    doc["error_messages"] = error_messages(store, run_id)
    return doc


def _document(meta: dict[str, Any], run_id: str, cases: list[dict], summaries: list[Summary], *,
              graders: dict[str, Any] | None = None, with_cases: bool = False) -> dict[str, Any]:
    """The run JSON: metadata, metrics, thresholds, slices, then `graders` and `cases` when given."""
    k = int(meta["config"].get("samples", 1))
    memo: dict[tuple[int, ...], dict] = {}

    def metrics(members: list[int]) -> dict:
        key = tuple(members)  # one suite's metrics equal its slice's: compute once
        if key not in memo:
            memo[key] = _metrics([summaries[i] for i in members], k)
        return memo[key]

    by_suite: dict[str, list[int]] = defaultdict(list)
    by_slice: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        by_suite[c["suite"]].append(i)
        by_slice[f"suite={c['suite']}"].append(i)
        for key, value in c["tags"].items():
            by_slice[f"{key}={value}"].append(i)
    suites = []
    for s in meta["suites"]:
        m = metrics(by_suite.get(s["name"], []))
        th = _threshold(s, m)
        suites.append({**s, "metrics": m, "thresholds_result": th, "verdict": _suite_verdict(m, th, s)})
    slices: dict[str, Any] = {}
    for name in sorted(by_slice):
        m = metrics(by_slice[name])
        slices[name] = {"pass_rate": m["pass_rate"], "score": m["score"], "errors": m["errors"]}
    robust = _robustness(cases, summaries)
    return {
        "schema": RUN_SCHEMA,
        "run_id": run_id,
        "status": meta["status"],
        "created": meta["created"],
        "target": {"spec": meta["target_spec"], "fingerprint": meta["fingerprint"]},
        "suites": suites,
        "samples_per_case": k,
        "config": meta["config"],
        "metrics": metrics(list(range(len(cases)))),
        **({} if graders is None else {"graders": graders}),
        "slices": slices,
        **({} if robust is None else {"robustness": robust}),
        **({"cases": cases} if with_cases else {}),
    }


def _robustness(cases: list[dict], summaries: list[Summary]) -> dict[str, Any] | None:
    """Stability, worst case and flip rates per mutation operator, when the run holds variants.

    A variant is a case whose `parent` (or whose id `PARENT~OP~N`) names a case of the same suite.
    Built from each case's valid pass values, so the full document and the summary agree.
    """
    ids = {(c["suite"], c["id"]) for c in cases}

    def parent_of(c: dict) -> str | None:
        if c.get("parent"):
            return c["parent"]
        parts = c["id"].rsplit("~", 2)
        return parts[0] if len(parts) == 3 and parts[2].isdigit() and (c["suite"], parts[0]) in ids else None

    parents = [parent_of(c) for c in cases]
    if not any(parents):
        return None
    from gradeloop.probes.robustness import robustness

    view = [{"suite": c["suite"], "id": c["id"], "tags": c["tags"], "parent": p,
             "samples": [{"passed": v == 1.0} for v in summary[0]]}
            for c, p, summary in zip(cases, parents, summaries)]
    report = robustness({"cases": view}).as_dict()
    report["flips"] = report["flips"][:50]  # the first few; `probes robustness` lists them all
    return report


def _threshold(suite_meta: dict, metrics: dict) -> dict[str, Any] | None:
    """The threshold's verdict: fail below the bar; inconclusive when any planned sample errored or is
    missing (max_error_rate 0: errors are never scored as passes, so the bar cannot be judged);
    pass otherwise. `passed` is kept for readers of the first schema: verdict == pass."""
    th = suite_meta.get("thresholds") or {}
    if th.get("min_pass_rate") is None:
        return None
    est = metrics["pass_rate"]
    on = th.get("on", "mean")
    value = est["ci_low"] if on == "ci_low" else est["mean"]
    err = metrics["errors"]
    max_rate = float(th.get("max_error_rate") or 0.0)
    reason = None
    if est["n_cases"] == 0:
        verdict, reason = "inconclusive", "no valid sample"
    elif value < th["min_pass_rate"]:
        verdict = "fail"
    elif err["rate"] > max_rate + 1e-12:
        verdict = "inconclusive"
        reason = (f"{err['planned'] - err['samples'] + err['target'] + err['grader']} of {err['planned']} samples "
                  f"errored or are missing (error rate {err['rate']:.2f} > {max_rate:.2f})")
    else:
        verdict = "pass"
    return {"min_pass_rate": th["min_pass_rate"], "on": on, "value": value, "passed": verdict == "pass",
            "verdict": verdict, "error_rate": err["rate"], "max_error_rate": max_rate, "reason": reason}


def _suite_verdict(metrics: dict, threshold: dict | None, suite_meta: dict | None = None) -> str:
    """A suite's verdict: its threshold's; without one, inconclusive when no sample has a verdict or
    samples errored beyond the suite's `max_error_rate` (default 0: errors are never a silent pass)."""
    if threshold is not None:
        return threshold["verdict"]
    if metrics["pass_rate"]["n_cases"] == 0:
        return "inconclusive"
    allowed = float(((suite_meta or {}).get("thresholds") or {}).get("max_error_rate") or 0.0)
    errors = metrics.get("errors") or {}
    return "inconclusive" if errors.get("rate", 0.0) > allowed + 1e-12 else "pass"


def threshold_failures(run: dict[str, Any]) -> list[str]:
    """Names of suites whose verdict is not pass (exit code 1 when any): a failed or inconclusive
    threshold, or a suite without a threshold where no sample has a verdict (every sample errored)."""
    out = []
    for s in run["suites"]:
        tr = s.get("thresholds_result")
        verdict = s.get("verdict") or (None if not tr else ("pass" if tr["passed"] else "fail"))
        if verdict is not None and verdict != "pass":
            out.append(s["name"])
    return out


def error_messages(store: Store, run_id: str, limit: int = 5) -> list[dict[str, Any]]:
    """The run's distinct error messages, most frequent first, counted: what `eval` prints."""
    rows = store.db.execute(
        "SELECT error, COUNT(*) FROM samples WHERE run_id=? AND error IS NOT NULL GROUP BY error "
        "ORDER BY COUNT(*) DESC, error LIMIT ?", (run_id, limit)).fetchall()
    return [{"message": str(m), "count": int(n)} for m, n in rows]


def resolve_run_id(store: Store, ref: str) -> str:
    if ref == "latest":
        latest = store.latest_run_id()
        if latest is None:
            raise InputError(f"no runs in {store.path}", field="run")
        return latest
    return ref


def load_run(ref: str, store: str | Path | None = None) -> dict[str, Any]:
    """A run by id, `latest`, or a run JSON file."""
    path = Path(ref)
    if ref.endswith(".json") or (path.is_file() and ref != "latest"):
        from gradeloop.run.schema import read_run_file

        return read_run_file(path)  # FIFOs, bad JSON and schema violations: one InputError
    st = Store(store or DEFAULT_STORE)
    try:
        return build_run_json(st, resolve_run_id(st, ref))
    finally:
        st.close()


def iter_case_rows(run: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """One flat row per sample, for export."""
    for c in run["cases"]:
        for s in c["samples"]:
            yield {"run_id": run["run_id"], "suite": c["suite"], "case_id": c["id"], "tags": c["tags"],
                   "parent": c.get("parent"), "sample": s["index"], "output": s["output"], "passed": s["passed"],
                   "score": s["score"], "error": s["error"], "error_kind": s.get("error_kind"),
                   "latency_s": s.get("latency_s"), "grades": s["grades"], "signals": s["signals"],
                   "tool_calls": s.get("tool_calls"), "trajectory": s.get("trajectory")}
