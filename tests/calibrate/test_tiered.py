"""Tiered confidence: the heavy path only in the gray zone, its cost against the risk it saves."""
from __future__ import annotations

import numpy as np
import pytest

from gradeloop.calibrate import tiered_policy
from gradeloop.errors import InputError


def _requests(n: int, seed: int):
    rng = np.random.default_rng(seed)
    skill = rng.uniform(size=n)  # how answerable each request is
    correct = rng.uniform(size=n) < 0.3 + skill  # requests with skill >= 0.7 are always right
    cheap = np.clip(skill + rng.normal(0, 0.25, n), 0, 1)  # noisy
    heavy = np.clip(skill + rng.normal(0, 0.05, n), 0, 1)  # sharp
    return cheap, heavy, correct


def test_heavy_path_in_the_gray_zone_saves_risk_at_a_fraction_of_the_cost():
    cheap, heavy, correct = _requests(4000, 0)
    res = tiered_policy(cheap, heavy, correct, low=0.4, high=0.9, alpha=0.1, delta=0.1, heavy_cost=4)
    gray = (cheap >= 0.4) & (cheap < 0.9)
    assert res.escalated_share == pytest.approx(gray.mean())
    assert res.extra_cost == pytest.approx(4 * gray.mean())
    assert res.certified and res.heavy_threshold is not None
    assert res.tiered.risk <= 0.1 < res.without_heavy.risk
    assert res.risk_saved == pytest.approx(res.without_heavy.risk - res.tiered.risk)
    # it answers more than the cheap signal alone can certify
    assert res.tiered.coverage > res.cheap_only.coverage
    # the rule it reports is the rule it measured
    answered = (cheap >= 0.9) | (gray & (heavy >= res.heavy_threshold))
    assert res.tiered.coverage == pytest.approx(answered.mean())
    assert res.tiered.risk == pytest.approx(1 - correct[answered].mean())


def test_tiered_guarantee_holds_over_splits():
    violations = 0
    splits = 200
    for seed in range(splits):
        cheap, heavy, correct = _requests(3000, 100 + seed)
        res = tiered_policy(cheap[:1000], heavy[:1000], correct[:1000], low=0.4, high=0.9, alpha=0.1, delta=0.1)
        c, h, ok = cheap[1000:], heavy[1000:], correct[1000:]
        if not res.certified:
            continue
        answered = c >= 0.9
        if res.heavy_threshold is not None:
            answered |= (c >= 0.4) & (c < 0.9) & (h >= res.heavy_threshold)
        if answered.any() and 1 - ok[answered].mean() > 0.1:
            violations += 1
    assert violations / splits <= 0.1 + 3 * np.sqrt(0.1 * 0.9 / splits)


def test_policy_from_tiered_result_routes_requests():
    cheap, heavy, correct = _requests(4000, 1)
    res = tiered_policy(cheap, heavy, correct, low=0.4, high=0.9, alpha=0.1, delta=0.1)
    pol = res.policy("p_mean", "self_consistency")
    assert pol.decide({"p_mean": 0.95}) == "answer"
    assert pol.decide({"p_mean": 0.5}) == "verify"
    assert pol.decide({"p_mean": 0.5, "self_consistency": 1.0}) == "answer"
    assert pol.decide({"p_mean": 0.5, "self_consistency": 0.0}) == "abstain"
    assert pol.decide({"p_mean": 0.1}) == "abstain"
    assert pol.derived["tiered"]["escalated_share"] == res.escalated_share


def test_uncertifiable_system_answers_nothing():
    rng = np.random.default_rng(3)
    n = 500
    res = tiered_policy(rng.uniform(size=n), rng.uniform(size=n), rng.uniform(size=n) < 0.5,
                        low=0.3, high=0.8, alpha=0.05, delta=0.1)
    assert not res.certified and res.tiered.coverage == 0.0
    pol = res.policy("a", "b")
    assert pol.decide({"a": 0.99, "b": 0.99}) == "abstain"


def test_gray_zone_bounds_are_checked():
    with pytest.raises(InputError):
        tiered_policy([0.5], [0.5], [True], low=0.9, high=0.2, alpha=0.1, delta=0.1)
