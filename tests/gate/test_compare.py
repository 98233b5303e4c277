from __future__ import annotations

import random

import pytest

from gradeloop.gate import GatePolicy, PartialRunError, compare_runs
from gradeloop.gate.policy import NonInferiority

SLICES = {"billing": 40, "login": 40, "upload": 40, "search": 40}


def test_planted_regression_on_one_slice_fails_and_names_it(runs_factory):
    # baseline: 4/40 fail everywhere; candidate: 16/40 fail on login (a 30-point drop)
    base, cand = runs_factory(SLICES, {a: 4 for a in SLICES}, {**{a: 4 for a in SLICES}, "login": 16})
    cmp = compare_runs(base, cand)
    assert cmp["schema"] == "gradeloop.compare/v1"
    assert cmp["verdict"] == "fail"
    assert "area=login" in cmp["failing"]
    assert cmp["slices"]["area=login"]["verdict"] == "fail"
    assert cmp["slices"]["area=login"]["finding"] == "regression"
    assert cmp["slices"]["area=login"]["diff"]["mean"] == -0.3
    for other in ("billing", "upload", "search"):
        assert cmp["slices"][f"area={other}"]["verdict"] == "pass"
        assert cmp["slices"][f"area={other}"]["finding"] == "no significant change"


def test_identical_runs_pass(runs_factory):
    base, cand = runs_factory(SLICES, {a: 5 for a in SLICES}, {a: 5 for a in SLICES})
    cmp = compare_runs(base, cand)
    assert cmp["verdict"] == "pass" and cmp["failing"] == []
    assert cmp["overall"]["diff"]["mean"] == 0.0
    assert cmp["only_in_baseline"] == [] and cmp["only_in_candidate"] == []


def test_cases_in_one_run_only_are_listed(runs_factory):
    base, cand = runs_factory({"a": 10}, {}, {})
    cand["cases"] = cand["cases"][:-2]
    with pytest.raises(PartialRunError, match="2 baseline case"):
        compare_runs(base, cand)
    cmp = compare_runs(base, cand, allow_partial=True)
    assert cmp["shared_cases"] == 8
    assert cmp["only_in_baseline"] == ["gated/a-8", "gated/a-9"]


def test_non_inferiority_with_too_few_cases_fails_saying_why(runs_factory):
    base, cand = runs_factory({"high": 6, "low": 40}, {}, {})
    policy = GatePolicy(non_inferiority=[NonInferiority(slice="area=high", margin=0.05)])
    cmp = compare_runs(base, cand, policy)
    check = next(c for c in cmp["checks"] if c["kind"] == "non_inferiority")
    assert not check["passed"] and cmp["verdict"] == "fail"
    assert "too few" in check["message"] and "6 cases" in check["message"]


def _sim_run(rng: random.Random, probs: list[float], tags: list[str], run_id: str) -> dict:
    cases = []
    for i, (p, t) in enumerate(zip(probs, tags)):
        ok = rng.random() < p
        cases.append({"suite": "s", "id": str(i), "tags": {"area": t},
                      "samples": [{"passed": ok, "score": float(ok), "grades": [], "error": None, "error_kind": None}]})
    return {"run_id": run_id, "status": "done", "samples_per_case": 1, "target": {"spec": run_id}, "cases": cases,
            "metrics": {}, "slices": {}, "graders": {}}


def test_sampling_noise_false_alarm_rate_stays_at_or_below_alpha():
    """Two runs of the same model (same per-case probabilities): the gate must rarely fail."""
    rng = random.Random(7)
    n_cases, sims, alpha = 160, 300, 0.05
    probs = [rng.choice([0.2, 0.5, 0.8, 0.95]) for _ in range(n_cases)]
    tags = [("a", "b", "c", "d")[i % 4] for i in range(n_cases)]
    policy = GatePolicy(alpha=alpha, margin=0.0)
    fails = sum(compare_runs(_sim_run(rng, probs, tags, "b"), _sim_run(rng, probs, tags, "c"), policy)["verdict"]
                == "fail" for _ in range(sims))
    rate = fails / sims
    se = (alpha * (1 - alpha) / sims) ** 0.5
    assert rate <= alpha + 3 * se, rate
