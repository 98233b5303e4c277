"""Paired comparison of two runs, per slice and per grader, and the gate verdict.

Pairing is by case over the cases both runs share (all samples of a case form one cluster);
cases present in only one run are listed, never silently dropped. Each scope's verdict is
pass / fail / inconclusive (gate.verdict): decided by one interval per scope, a simultaneous
(Bonferroni) one over the scopes tested, which inverts the test that decides (stats.paired_test).
Errors and missing samples count against the candidate (fail closed).
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Callable, Mapping, Sequence

from gradeloop.gate.changes import changed_cases
from gradeloop.gate.partial import partial_reasons, require_whole
from gradeloop.gate.policy import GatePolicy
from gradeloop.gate.verdict import (ErrorCount, ScopeVerdict, Verdict, case_errors, combine, judge_difference,
                                    judge_errors, passes)
from gradeloop.stats import estimate
from gradeloop.stats.paired_test import ShiftTest, shift_test

COMPARE_SCHEMA = "gradeloop.compare/v1"
Key = tuple[str, str]
Values = list[list[float]]


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


def _scopes(cases: Sequence[dict], policy: GatePolicy) -> dict[str, Callable[[dict], bool]]:
    scopes: dict[str, Callable[[dict], bool]] = {"all": lambda c: True}
    suites = sorted({c["suite"] for c in cases})
    if len(suites) > 1:
        for s in suites:
            scopes[f"suite={s}"] = lambda c, s=s: c["suite"] == s
    if policy.slices != "none":
        keys = None if policy.slices == "all" else set(policy.slices)
        pairs = sorted({(k, str(v)) for c in cases for k, v in c["tags"].items() if keys is None or k in keys})
        for k, v in pairs:
            scopes[f"{k}={v}"] = lambda c, k=k, v=v: str(c["tags"].get(k)) == v
    return scopes


@dataclass(frozen=True, slots=True)
class ScopeData:
    """What one scope compares: per-case values of the cases with valid samples in both runs."""

    base: Values
    cand: Values
    cand_errors: ErrorCount | None = None
    base_errors: ErrorCount | None = None


def detectable_drop(sd: float, n: int, alpha: float, power: float) -> float | None:
    """Smallest drop a one-sided test at `alpha` detects with `power` at n cases (normal approximation)."""
    if n < 2 or sd <= 0:  # no spread observed: no basis for a detectable effect
        return None
    z = NormalDist().inv_cdf(1.0 - alpha) + NormalDist().inv_cdf(power)
    return z * sd / math.sqrt(n)


def judge_scopes(data: Mapping[str, ScopeData], policy: GatePolicy, *,
                 with_estimates: bool = True) -> dict[str, dict[str, Any]]:
    """The core decision on arrays: one entry per scope with its interval, verdict and reasons.

    Scopes with at least `min_slice_cases` paired cases form the family; each is tested at
    alpha / m (one-sided, m = family size), so the family-wise false-alarm rate stays at alpha and
    every interval shown is the simultaneous one that decides.
    """
    tested = {name: len(d.base) >= max(policy.min_slice_cases, 2) for name, d in data.items()}
    m = max(sum(tested.values()), 1)
    a = policy.alpha / m
    ni_scopes = {ni.slice for ni in policy.non_inferiority}
    tests: dict[str, ShiftTest | None] = {name: shift_test(d.base, d.cand, a) if d.base else None
                                         for name, d in data.items()}
    overall = tests.get("all")
    sd_hint = overall.sd if overall is not None and overall.diff.n_cases >= 2 else 0.5
    out: dict[str, dict[str, Any]] = {}
    for name, d in data.items():
        t = tests[name]
        parts: list[ScopeVerdict] = []
        if d.cand_errors is not None:
            ev = judge_errors(name, d.cand_errors, d.base_errors, max_error_rate=policy.max_error_rate,
                              max_error_increase=policy.max_error_increase)
            if ev is not None:
                parts.append(ev)
        dv = judge_difference(name, t, tested=tested[name], margin=policy.margin, max_drop=policy.max_drop,
                              alpha=a, power=policy.power, sd_hint=sd_hint, min_cases=policy.min_slice_cases)
        parts.append(dv)
        verdict = combine(p.verdict for p in parts)
        entry: dict[str, Any] = {"n_cases": len(d.base), "tested": tested[name]}
        if with_estimates:
            entry["baseline"] = estimate(d.base).as_dict()
            entry["candidate"] = estimate(d.cand).as_dict()
        if t is None:
            entry.update(diff=None, p_value=None, p_value_improvement=None, p_value_two_sided=None,
                         p_value_adjusted=None, method=None, mde=None, ni_lower=None)
        else:
            entry.update(diff=t.diff.as_dict(), p_value=t.p_value_less, p_value_improvement=t.p_value_greater,
                         p_value_two_sided=min(1.0, 2 * min(t.p_value_less, t.p_value_greater)),
                         p_value_adjusted=min(1.0, t.p_value_less * m) if tested[name] else None,
                         method=t.method, mde=detectable_drop(t.sd, t.diff.n_cases, a, policy.power),
                         ni_lower=(shift_test(d.base, d.cand, policy.alpha).diff.ci_low
                                   if name in ni_scopes and t.diff.n_cases >= 2 else None))
        entry.update(verdict=verdict.value, finding=dv.finding,
                     reasons=[r for p in parts for r in p.reasons],
                     to_decide=next((p.to_decide for p in parts if p.verdict == verdict and p.to_decide), None))
        if d.cand_errors is not None:
            entry["errors"] = {"candidate": d.cand_errors.as_dict(),
                               "baseline": d.base_errors.as_dict() if d.base_errors else None}
        out[name] = entry
    return out


def _scope_data(base: dict[Key, dict], cand: dict[Key, dict], keys: list[Key], metric: str,
                grader: str | None, spc: tuple[int, int], count_errors: bool) -> ScopeData:
    b_vals, c_vals = [], []
    c_err = b_err = ErrorCount()
    for k in keys:
        bc, cc = base.get(k), cand.get(k)
        if count_errors:
            c_err = c_err + case_errors(cc, spc[1])
            if bc is not None:
                b_err = b_err + case_errors(bc, spc[0])
        if bc is None or cc is None:
            continue
        bv, cv = _values(bc, metric, grader), _values(cc, metric, grader)
        if bv and cv:
            b_vals.append(bv)
            c_vals.append(cv)
    return ScopeData(b_vals, c_vals, c_err if count_errors else None, b_err if count_errors else None)


def error_messages(run: dict[str, Any], limit: int = 5) -> list[dict[str, Any]]:
    """The distinct error messages of a run, most frequent first, counted (the first `limit`)."""
    counts: Counter[str] = Counter()
    for c in run.get("cases", ()):
        for s in c.get("samples", ()):
            if s.get("error"):
                counts[str(s["error"]).strip().splitlines()[0][:200] if str(s["error"]).strip() else "error"] += 1
    return [{"message": m, "count": n} for m, n in counts.most_common(limit)]


def compare_runs(base: dict[str, Any], cand: dict[str, Any], policy: GatePolicy | None = None, *,
                 allow_partial: bool = False) -> dict[str, Any]:
    """The compare document (schema gradeloop.compare/v1) with every check and the verdict.

    Partial runs (unfinished, empty, short of samples, missing baseline cases) raise
    PartialRunError unless `allow_partial`; then their missing samples count as errors.
    """
    policy = policy or GatePolicy()
    if not allow_partial:
        require_whole(base, cand)
    b_cases = {_case_key(c): c for c in base["cases"]}
    c_cases = {_case_key(c): c for c in cand["cases"]}
    shared = [k for k in c_cases if k in b_cases]
    judged = shared + [k for k in b_cases if k not in c_cases]  # missing candidate cases count as errors
    spc = (int(base.get("samples_per_case") or 1), int(cand.get("samples_per_case") or 1))
    metric = policy.metric
    member_cases = [c_cases.get(k) or b_cases[k] for k in judged]
    data = {name: _scope_data(b_cases, c_cases, [k for k, c in zip(judged, member_cases) if member(c)],
                              metric, None, spc, True)
            for name, member in _scopes(member_cases, policy).items()}
    slices = judge_scopes(data, policy)
    grader_names = sorted({g["grader"] for c in cand["cases"] for s in c["samples"] for g in s.get("grades", ())})
    graders = judge_scopes({g: _scope_data(b_cases, c_cases, shared, "pass_rate", g, spc, False)
                            for g in grader_names}, policy) if grader_names else {}
    checks = _checks(slices, graders, cand, policy)
    verdict = combine(c["verdict"] for c in checks)
    partial = {"baseline": partial_reasons(base), "candidate": partial_reasons(cand, reference=base)}
    return {
        "schema": COMPARE_SCHEMA,
        "baseline": {"run_id": base["run_id"], "target": base["target"]},
        "candidate": {"run_id": cand["run_id"], "target": cand["target"]},
        "metric": metric,
        "policy": policy.model_dump(),
        "shared_cases": len(shared),
        "only_in_baseline": [f"{s}/{i}" for (s, i) in b_cases if (s, i) not in c_cases],
        "only_in_candidate": [f"{s}/{i}" for (s, i) in c_cases if (s, i) not in b_cases],
        "partial": {k: v for k, v in partial.items() if v},
        "overall": slices.pop("all"),
        "slices": slices,
        "graders": graders,
        "checks": checks,
        "verdict": verdict.value,
        "passed": passes(verdict, policy.on_inconclusive),
        "on_inconclusive": policy.on_inconclusive,
        "failing": [c["scope"] for c in checks if c["verdict"] == Verdict.FAIL.value],
        "inconclusive": [c["scope"] for c in checks if c["verdict"] == Verdict.INCONCLUSIVE.value],
        "to_decide": [c["to_decide"] for c in checks if c.get("to_decide") and c["verdict"] != "pass"],
        "error_messages": error_messages(cand),
        "cases_changed": changed_cases(b_cases, c_cases, shared, lambda c: _values(c, metric)),
    }


def _check(kind: str, scope: str, verdict: Verdict | str, message: str, to_decide: str | None = None) -> dict:
    v = Verdict(verdict)
    out = {"kind": kind, "scope": scope, "verdict": v.value, "passed": v is Verdict.PASS, "message": message}
    if to_decide:
        out["to_decide"] = to_decide
    return out


def _message(e: dict) -> str:
    if e["diff"] is None:
        return "; ".join(e["reasons"]) or "no data"
    d = e["diff"]
    msg = (f"{d['mean']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}] ({e['finding']}; "
           f"{d['level']:.1%} simultaneous interval")
    if e["mde"] is not None:
        msg += f"; detectable drop at n={e['n_cases']}: {e['mde']:.3f}"
    msg += ")"
    if e["reasons"]:
        msg += ": " + "; ".join(e["reasons"])
    return msg


def _checks(slices: dict[str, dict], graders: dict[str, dict], cand: dict, policy: GatePolicy) -> list[dict]:
    checks: list[dict] = []
    scoped = list(slices.items()) + ([(f"grader={n}", e) for n, e in graders.items()] if policy.gate_graders else [])
    for name, e in scoped:
        checks.append(_check("no_regression", name, e["verdict"], _message(e), e.get("to_decide")))
    for ni in policy.non_inferiority:
        _non_inferiority(checks, slices.get(ni.slice), ni.slice, ni.margin, policy)
    for fl in policy.floors:
        est = _candidate_estimate(cand, fl.slice, fl.grader)
        scope = f"grader={fl.grader}" if fl.grader else (fl.slice or "all")
        if est is None or est["n_cases"] == 0:
            checks.append(_check("floor", scope, Verdict.INCONCLUSIVE, "no data for this floor"))
            continue
        value = est["ci_low"] if fl.on == "ci_low" else est["mean"]
        ok = value >= fl.min_pass_rate
        checks.append(_check("floor", scope, Verdict.PASS if ok else Verdict.FAIL,
                             f"pass rate ({fl.on}) {value:.3f} {'≥' if ok else '<'} {fl.min_pass_rate}"))
    for vj in policy.validated_judges:
        from gradeloop.labels.gate import judge_check

        verdict, why = judge_check(vj.grader, vj.labels, vj.min_kappa)
        checks.append(_check("validated_judge", f"grader={vj.grader}", verdict, why))
    for mg in policy.max_gap:
        from gradeloop.probes import check_max_gap

        ok, msg = check_max_gap(cand, mg.tag, mg.max_gap, on=mg.on)
        checks.append(_check("max_gap", f"tag={mg.tag}", Verdict.PASS if ok else Verdict.FAIL, msg))
    return checks


def _non_inferiority(checks: list[dict], e: dict | None, scope: str, margin: float, policy: GatePolicy) -> None:
    """Pass only when the one-sided (1 − α) lower bound of the difference is above −margin."""
    if e is None or e["diff"] is None or e["n_cases"] < 2:
        n = 0 if e is None else e["n_cases"]
        checks.append(_check("non_inferiority", scope, Verdict.FAIL,
                             f"only {n} shared case(s) in {scope!r}: non-inferiority cannot be shown"))
        return
    # The same method as the no-regression test, at the check's own (uncorrected) level α.
    lower = e["ni_lower"]
    ok = lower > -margin
    why = f"lower bound {lower:+.3f} {'>' if ok else '≤'} −{margin:.3f}"
    if not ok and e["diff"]["mean"] > -margin:
        why += (f": the estimate {e['diff']['mean']:+.3f} is within the margin but {e['n_cases']} cases are "
                f"too few to show it")
    checks.append(_check("non_inferiority", scope, Verdict.PASS if ok else Verdict.FAIL, why))


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
