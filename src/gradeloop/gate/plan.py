"""Power planning: how many cases × samples detect a given regression, from a baseline run.

Uses the baseline's own variance structure (between-case ω², within-case σ²; Miller 2024):
more samples per case only shrink σ²/K, so past a point only more cases help. The plan is for
the gate as it decides: a drop fails only beyond the policy's margin, at the per-test level
α / tests when several scopes (slices) share the family-wise α, with a t test on the per-case
differences — so the case counts come from the noncentral t (`stats.power.required_cases`).
"""
from __future__ import annotations

from typing import Any

from gradeloop.errors import InputError
from gradeloop.gate.compare import _values
from gradeloop.stats import required_cases
from gradeloop.stats.power import paired_variance_parts, variance_parts


def _per_case(run: dict[str, Any], metric: str) -> dict[tuple[str, str], list[float]]:
    out = {}
    for c in run["cases"]:
        vals = _values(c, metric)
        if vals:
            out[(c["suite"], c["id"])] = vals
    return out


def plan(baseline: dict[str, Any], effect: float, *, alpha: float | None = None, power: float = 0.8,
         metric: str = "pass_rate", candidate: dict[str, Any] | None = None,
         samples_options: tuple[int, ...] = (1, 2, 4, 8, 16), margin: float | None = None,
         tests: int = 1) -> dict[str, Any]:
    """Cases needed per samples-per-case option; paired variance when a candidate run is given.

    `alpha` and `margin` default to the gate policy's defaults; `tests` is the number of
    scopes sharing alpha (Bonferroni), e.g. 1 + the number of slices the gate will test.
    """
    from gradeloop.gate.policy import GatePolicy

    defaults = GatePolicy()
    alpha = defaults.alpha if alpha is None else alpha
    margin = defaults.margin if margin is None else margin
    if isinstance(tests, bool) or not isinstance(tests, int) or tests < 1:
        raise InputError(f"tests must be a positive integer, got {tests!r}", field="tests")
    base = _per_case(baseline, metric)
    if len(base) < 2:
        raise InputError("the baseline needs at least two cases with valid samples", field="baseline")
    if candidate is not None:
        cand = _per_case(candidate, metric)
        keys = [k for k in base if k in cand]
        if len(keys) < 2:
            raise InputError("baseline and candidate share fewer than two cases", field="candidate")
        parts = paired_variance_parts([base[k] for k in keys], [cand[k] for k in keys])
        between, within, basis = parts.between, parts.within, "paired differences (baseline vs candidate)"
    else:
        parts = variance_parts(list(base.values()))
        # Two runs of independent samples on the same cases: the case effect cancels only if the
        # models agree, so without a candidate we assume no pairing gain (conservative).
        between, within, basis = 2 * parts.between, 2 * parts.within, "baseline only (no pairing gain assumed)"
    per_test = alpha / tests
    rows = [{"samples_per_case": k,
             "cases": required_cases(effect, between, within, k, alpha=per_test, power=power, one_sided=True,
                                     margin=margin)}
            for k in samples_options]
    return {"effect": effect, "alpha": alpha, "power": power, "metric": metric, "basis": basis,
            "margin": margin, "tests": tests, "alpha_per_test": per_test,
            "method": "one-sided t test on per-case differences, noncentral-t power, drop beyond the margin",
            "between_case_variance": between, "within_case_variance": within,
            "baseline_cases": len(base), "baseline_samples_per_case": baseline.get("samples_per_case", 1),
            "options": rows}
