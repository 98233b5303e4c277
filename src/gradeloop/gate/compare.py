"""Paired comparison of two runs, per slice and per grader, and the gate verdict.

Pairing is by case over the cases both runs share (all samples of a case form one cluster);
cases present in only one run are listed, never silently dropped.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

from gradeloop.gate.policy import GatePolicy
from gradeloop.stats import estimate, holm, minimum_detectable_effect, paired_difference

COMPARE_SCHEMA = "gradeloop.compare/v1"
Key = tuple[str, str]


def _case_key(c: dict) -> Key:
    return (c["suite"], c["id"])


def _values(case: dict, metric: str, grader: str | None = None) -> list[float]:
    """Valid per-sample values of a case (errored samples excluded)."""
    out = []
    for s in case["samples"]:
        if s.get("error_kind") is not None or s.get("error") and s.get("passed") is None:
            continue
        if grader is None:
            v = s.get("passed") if metric == "pass_rate" else s.get("score")
            if v is not None:
                out.append(float(v))
        else:
            for g in s.get("grades", ()):
                if g.get("grader") == grader and g.get("error") is None:
                    out.append(1.0 if g["passed"] else 0.0)
    return out


def _scopes(run: dict, policy: GatePolicy) -> dict[str, Callable[[dict], bool]]:
    scopes: dict[str, Callable[[dict], bool]] = {"all": lambda c: True}
    suites = sorted({c["suite"] for c in run["cases"]})
    if len(suites) > 1:
        for s in suites:
            scopes[f"suite={s}"] = lambda c, s=s: c["suite"] == s
    if policy.slices != "none":
        keys = None if policy.slices == "all" else set(policy.slices)
        pairs = sorted({(k, str(v)) for c in run["cases"] for k, v in c["tags"].items() if keys is None or k in keys})
        for k, v in pairs:
            scopes[f"{k}={v}"] = lambda c, k=k, v=v: str(c["tags"].get(k)) == v
    return scopes


def _paired(base: dict[Key, dict], cand: dict[Key, dict], keys: list[Key], metric: str,
            grader: str | None, policy: GatePolicy) -> dict[str, Any]:
    b_vals, c_vals, used = [], [], []
    for k in keys:
        bv, cv = _values(base[k], metric, grader), _values(cand[k], metric, grader)
        if bv and cv:
            b_vals.append(bv)
            c_vals.append(cv)
            used.append(k)
    entry: dict[str, Any] = {"n_cases": len(used), "baseline": estimate(b_vals).as_dict(),
                             "candidate": estimate(c_vals).as_dict()}
    if len(used) < 2:
        entry.update(diff=None, p_value=None, p_value_two_sided=None, tested=False, mde=None, ni_lower=None)
        return entry
    res = paired_difference(b_vals, c_vals, level=0.95)
    one_sided = paired_difference(b_vals, c_vals, level=1 - 2 * policy.alpha)
    entry.update(diff=res.diff.as_dict(), p_value=res.p_value_less, p_value_improvement=res.p_value_greater,
                 p_value_two_sided=res.p_value_two_sided, method=res.method,
                 ni_lower=one_sided.diff.ci_low,
                 mde=minimum_detectable_effect(b_vals, c_vals, alpha=policy.alpha, power=policy.power,
                                               one_sided=True))
    entry["tested"] = len(used) >= policy.min_slice_cases
    return entry


def _verdicts(entries: dict[str, dict], policy: GatePolicy) -> None:
    """Holm-correct the one-sided p-values of the tested entries, then name each verdict."""
    tested = [name for name, e in entries.items() if e["tested"]]
    adj_less = holm([entries[n]["p_value"] for n in tested])
    adj_more = holm([entries[n]["p_value_improvement"] for n in tested])
    for name, e in entries.items():
        e["p_value_adjusted"] = None
        if not e["tested"]:
            e["verdict"] = "untested"
            continue
        i = tested.index(name)
        e["p_value_adjusted"] = adj_less[i]
        drop = -e["diff"]["mean"]
        if adj_less[i] < policy.alpha and drop > policy.margin:
            e["verdict"] = "regression"
        elif adj_less[i] < policy.alpha:
            e["verdict"] = "regression within margin"
        elif adj_more[i] < policy.alpha:
            e["verdict"] = "improvement"
        else:
            e["verdict"] = "no significant change"


def compare_runs(base: dict[str, Any], cand: dict[str, Any], policy: GatePolicy | None = None) -> dict[str, Any]:
    """The compare document (schema gradeloop.compare/v1) with every check and the verdict."""
    policy = policy or GatePolicy()
    b_cases = {_case_key(c): c for c in base["cases"]}
    c_cases = {_case_key(c): c for c in cand["cases"]}
    shared = [k for k in c_cases if k in b_cases]
    metric = policy.metric
    slices: dict[str, dict] = {}
    for name, member in _scopes(cand, policy).items():
        keys = [k for k in shared if member(c_cases[k])]
        slices[name] = _paired(b_cases, c_cases, keys, metric, None, policy)
    _verdicts(slices, policy)
    grader_names = sorted({g["grader"] for c in cand["cases"] for s in c["samples"] for g in s.get("grades", ())})
    graders = {g: _paired(b_cases, c_cases, shared, "pass_rate", g, policy) for g in grader_names}
    _verdicts(graders, policy)
    checks = _checks(slices, graders, cand, policy)
    failing = [c["scope"] for c in checks if not c["passed"]]
    return {
        "schema": COMPARE_SCHEMA,
        "baseline": {"run_id": base["run_id"], "target": base["target"]},
        "candidate": {"run_id": cand["run_id"], "target": cand["target"]},
        "metric": metric,
        "policy": policy.model_dump(),
        "shared_cases": len(shared),
        "only_in_baseline": [f"{s}/{i}" for (s, i) in b_cases if (s, i) not in c_cases],
        "only_in_candidate": [f"{s}/{i}" for (s, i) in c_cases if (s, i) not in b_cases],
        "overall": slices.pop("all"),
        "slices": slices,
        "graders": graders,
        "checks": checks,
        "verdict": "fail" if failing else "pass",
        "failing": failing,
    }


def _checks(slices: dict[str, dict], graders: dict[str, dict], cand: dict, policy: GatePolicy) -> list[dict]:
    checks: list[dict] = []
    scoped = [(n, e) for n, e in slices.items()] + ([(f"grader={n}", e) for n, e in graders.items()]
                                                    if policy.gate_graders else [])
    for name, e in scoped:
        if e["tested"]:
            bad = e["verdict"] == "regression"
            msg = (f"{e['diff']['mean']:+.3f} (adjusted p={e['p_value_adjusted']:.3g}); "
                   f"minimum detectable effect at n={e['n_cases']}: {e['mde']:.3f}")
            checks.append({"kind": "no_regression", "scope": name, "passed": not bad, "message": msg})
    for ni in policy.non_inferiority:
        e = slices.get(ni.slice)
        if e is None or e["diff"] is None:
            n = 0 if e is None else e["n_cases"]
            checks.append({"kind": "non_inferiority", "scope": ni.slice, "passed": False,
                           "message": f"only {n} shared case(s) in {ni.slice!r}: non-inferiority cannot be shown"})
            continue
        ok = e["ni_lower"] > -ni.margin
        why = (f"lower bound {e['ni_lower']:+.3f} {'>' if ok else '≤'} −{ni.margin:.3f}")
        if not ok and e["diff"]["mean"] > -ni.margin:
            why += (f": the estimate {e['diff']['mean']:+.3f} is within the margin but {e['n_cases']} cases are "
                    f"too few to show it (minimum detectable effect {e['mde']:.3f})")
        checks.append({"kind": "non_inferiority", "scope": ni.slice, "passed": ok, "message": why})
    for fl in policy.floors:
        est = _candidate_estimate(cand, fl.slice, fl.grader)
        scope = f"grader={fl.grader}" if fl.grader else (fl.slice or "all")
        if est is None or est["n_cases"] == 0:
            checks.append({"kind": "floor", "scope": scope, "passed": False, "message": "no data for this floor"})
            continue
        value = est["ci_low"] if fl.on == "ci_low" else est["mean"]
        ok = value >= fl.min_pass_rate
        checks.append({"kind": "floor", "scope": scope, "passed": ok,
                       "message": f"pass rate ({fl.on}) {value:.3f} {'≥' if ok else '<'} {fl.min_pass_rate}"})
    for mg in policy.max_gap:
        from gradeloop.probes import check_max_gap

        ok, msg = check_max_gap(cand, mg.tag, mg.max_gap, on=mg.on)
        checks.append({"kind": "max_gap", "scope": f"tag={mg.tag}", "passed": ok, "message": msg})
    return checks


def _candidate_estimate(cand: dict, slice_name: str | None, grader: str | None) -> dict | None:
    if grader:
        g = cand.get("graders", {}).get(grader)
        return g["pass_rate"] if g else None
    if slice_name in (None, "all"):
        return cand["metrics"]["pass_rate"]
    s = cand.get("slices", {}).get(slice_name)
    return s["pass_rate"] if s else None


def slice_cases(run: dict) -> dict[str, int]:
    """Number of cases per slice, for power planning and reports."""
    counts: dict[str, int] = defaultdict(int)
    for c in run["cases"]:
        counts["all"] += 1
        for k, v in c["tags"].items():
            counts[f"{k}={v}"] += 1
    return dict(counts)
