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


def _case_values(cases: list[dict], key: str) -> list[list[float]]:
    """Per case, the valid samples' values (errored samples excluded); cases with none dropped."""
    per_case = []
    for c in cases:
        vals = [float(s[key]) for s in c["samples"] if s.get(key) is not None and s.get("error_kind") is None]
        if vals:
            per_case.append(vals)
    return per_case


def metrics_for(cases: list[dict], samples_per_case: int) -> dict[str, Any]:
    """pass_rate, score, pass@k / pass^k and error counts over a group of cases."""
    out: dict[str, Any] = {
        "pass_rate": estimate(_case_values(cases, "passed")).as_dict(),
        "score": estimate(_case_values(cases, "score")).as_dict(),
    }
    counts = []
    for c in cases:
        valid = [s for s in c["samples"] if s.get("passed") is not None and s.get("error_kind") is None]
        if valid:
            counts.append((len(valid), sum(1 for s in valid if s["passed"])))
    for k in sorted({k for k in (2, 5, 10, samples_per_case) if 1 < k <= samples_per_case}):
        usable = [(n, c) for n, c in counts if n >= k]
        out[f"pass@{k}"] = estimate_pass_at_k(usable, k).as_dict()
        out[f"pass^{k}"] = estimate_pass_hat_k(usable, k).as_dict()
    samples = [s for c in cases for s in c["samples"]]
    out["errors"] = {"target": sum(1 for s in samples if s.get("error_kind") == "target"),
                     "grader": sum(1 for s in samples if s.get("error_kind") == "grader"),
                     "samples": len(samples)}
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
    for c in cases:
        valid = [s["passed"] for s in c["samples"] if s["passed"] is not None and s["error_kind"] is None]
        c["pass_rate"] = sum(valid) / len(valid) if valid else None
    suites = []
    for s in meta["suites"]:
        members = [c for c in cases if c["suite"] == s["name"]]
        suites.append({**s, "metrics": metrics_for(members, k), "thresholds_result": _threshold(s, members, k)})
    slices: dict[str, Any] = {}
    by_slice: dict[str, list[dict]] = defaultdict(list)
    for c in cases:
        by_slice[f"suite={c['suite']}"].append(c)
        for key, value in c["tags"].items():
            by_slice[f"{key}={value}"].append(c)
    for name in sorted(by_slice):
        m = metrics_for(by_slice[name], k)
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
        "metrics": metrics_for(cases, k),
        "graders": _grader_metrics(cases),
        "slices": slices,
        "cases": cases,
    }


def _threshold(suite_meta: dict, cases: list[dict], k: int) -> dict[str, Any] | None:
    th = suite_meta.get("thresholds") or {}
    if th.get("min_pass_rate") is None:
        return None
    est = metrics_for(cases, k)["pass_rate"]
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
