"""Build the run JSON (schema gradeloop.run/v1) from the store, and load runs by reference.

Metrics are derived from the stored samples every time, never stored on their own, so a
regrade or a resumed run can never disagree with its own numbers.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from gradeloop.errors import InputError
from gradeloop.run.store import DEFAULT_STORE, SampleRow, Store
from gradeloop.stats import estimate, estimate_pass_at_k, estimate_pass_hat_k

RUN_SCHEMA = "gradeloop.run/v1"


def _summarise(case: dict) -> tuple[list[float], list[float], int, int]:
    """A case's valid pass values and scores (errored samples excluded), its sample and valid counts."""
    passed, scores = [], []
    for s in case["samples"]:
        if s["error_kind"] is None:
            if s["passed"] is not None:
                passed.append(1.0 if s["passed"] else 0.0)
            if s["score"] is not None:
                scores.append(float(s["score"]))
    return passed, scores, len(case["samples"]), len(passed)


def metrics_for(cases: list[dict], samples_per_case: int, _summaries: dict | None = None) -> dict[str, Any]:
    """pass_rate, score, pass@k / pass^k and error counts over a group of cases."""
    sums = [(_summaries or {}).get(id(c)) or _summarise(c) for c in cases]
    out: dict[str, Any] = {
        "pass_rate": estimate([p for p, _, _, _ in sums if p]).as_dict(),
        "score": estimate([sc for _, sc, _, _ in sums if sc]).as_dict(),
    }
    counts = [(n, int(sum(p))) for p, _, _, n in sums if n]
    for k in sorted({k for k in (2, 5, 10, samples_per_case) if 1 < k <= samples_per_case}):
        usable = [(n, c) for n, c in counts if n >= k]
        out[f"pass@{k}"] = estimate_pass_at_k(usable, k).as_dict()
        out[f"pass^{k}"] = estimate_pass_hat_k(usable, k).as_dict()
    kinds = [s["error_kind"] for c in cases for s in c["samples"] if s["error_kind"] is not None]
    out["errors"] = {"target": kinds.count("target"), "grader": kinds.count("grader"),
                     "samples": sum(n for _, _, n, _ in sums)}
    return out


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
    return {"index": r.sample_index, "output": r.output, "passed": r.passed, "score": r.score,
            "grades": r.grades, "signals": r.signals, "logprobs": r.logprobs, "error": r.error,
            "error_kind": r.error_kind, "latency_s": r.latency, "cached": r.cached, "usage": r.usage}


def build_run_json(store: Store, run_id: str) -> dict[str, Any]:
    """The full run document: metadata, metrics with intervals, slices, graders and every sample."""
    meta = store.run_meta(run_id)
    if meta is None:
        raise InputError(f"no run {run_id!r} in {store.path}", field="run")
    cases = store.cases(run_id)
    index = {(c["suite"], c["id"]): c for c in cases}
    for c in cases:
        c["samples"] = []
    for row in store.samples(run_id):
        case = index.get((row.suite, row.case_id))
        if case is not None:
            case["samples"].append(_sample_dict(row))
    k = int(meta["config"].get("samples", 1))
    summaries = {id(c): _summarise(c) for c in cases}
    for c in cases:
        valid = summaries[id(c)][0]
        c["pass_rate"] = sum(valid) / len(valid) if valid else None
    memo: dict[tuple[int, ...], dict] = {}

    def metrics(members: list[dict]) -> dict:
        key = tuple(id(c) for c in members)  # one suite's metrics equal its slice's: compute once
        if key not in memo:
            memo[key] = metrics_for(members, k, summaries)
        return memo[key]

    suites = []
    for s in meta["suites"]:
        members = [c for c in cases if c["suite"] == s["name"]]
        m = metrics(members)
        suites.append({**s, "metrics": m, "thresholds_result": _threshold(s, m)})
    slices: dict[str, Any] = {}
    by_slice: dict[str, list[dict]] = defaultdict(list)
    for c in cases:
        by_slice[f"suite={c['suite']}"].append(c)
        for key, value in c["tags"].items():
            by_slice[f"{key}={value}"].append(c)
    for name in sorted(by_slice):
        m = metrics(by_slice[name])
        slices[name] = {"pass_rate": m["pass_rate"], "score": m["score"]}
    return {
        "schema": RUN_SCHEMA,
        "run_id": run_id,
        "status": meta["status"],
        "created": meta["created"],
        "target": {"spec": meta["target_spec"], "fingerprint": meta["fingerprint"]},
        "suites": suites,
        "samples_per_case": k,
        "config": meta["config"],
        "metrics": metrics(cases),
        "graders": _grader_metrics(cases),
        "slices": slices,
        "cases": cases,
    }


def _threshold(suite_meta: dict, metrics: dict) -> dict[str, Any] | None:
    th = suite_meta.get("thresholds") or {}
    if th.get("min_pass_rate") is None:
        return None
    est = metrics["pass_rate"]
    on = th.get("on", "mean")
    value = est["ci_low"] if on == "ci_low" else est["mean"]
    return {"min_pass_rate": th["min_pass_rate"], "on": on, "value": value, "passed": value >= th["min_pass_rate"]}


def threshold_failures(run: dict[str, Any]) -> list[str]:
    """Names of suites whose threshold failed (exit code 1 when any)."""
    return [s["name"] for s in run["suites"] if s.get("thresholds_result") and not s["thresholds_result"]["passed"]]


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
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read run file: {exc}", file=ref) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg}", file=ref, line=exc.lineno) from None
        if not isinstance(data, dict) or data.get("schema") != RUN_SCHEMA:
            raise InputError(f"not a run file (schema must be {RUN_SCHEMA})", file=ref, field="schema")
        return data
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
                   "latency_s": s.get("latency_s"), "grades": s["grades"], "signals": s["signals"]}
