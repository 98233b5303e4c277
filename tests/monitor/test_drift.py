"""Drift: PSI by hand, the size-aware null threshold holds its level, planted drifts are found."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from gradeloop.monitor.drift import (FeatureSample, categorical_stats, compare, histogram, psi, psi_threshold,
                                     quantile_edges, redecide)


def test_psi_by_hand():
    # smoothed by 0.5 per bin: base (50.5, 50.5) -> (.5, .5); window (80.5, 20.5) -> (.797, .203)
    pw = np.array([80.5, 20.5]) / 101
    expected = float(np.sum((pw - 0.5) * np.log(pw / 0.5)))
    assert psi([50, 50], [80, 20]) == pytest.approx(expected)
    assert psi([10, 20, 30], [10, 20, 30]) == 0.0
    assert math.isfinite(psi([100, 0], [0, 100]))  # empty bins do not make it infinite


def test_threshold_formula_and_size_awareness():
    from scipy import stats as sps

    assert psi_threshold(1000, 100, 10, 0.05) == pytest.approx((1 / 1000 + 1 / 100) * sps.chi2.isf(0.05, 9))
    assert psi_threshold(1000, 30, 10, 0.05) > 0.1 > psi_threshold(1000, 1000, 10, 0.05)
    assert psi_threshold(1000, 100, 1, 0.05) is None


def _null_rates(gen, m: int, n: int, reps: int, rng, alpha=0.05) -> tuple[float, float]:
    size_aware = fixed = 0
    for _ in range(reps):
        base, win = gen(rng, m), gen(rng, n)
        edges = quantile_edges(base, 10)
        value = psi(histogram(base, edges), histogram(win, edges))
        size_aware += value > psi_threshold(m, n, edges.size + 1, alpha)
        fixed += value > 0.1
    return size_aware / reps, fixed / reps


@pytest.mark.parametrize("gen", [
    lambda rng, k: rng.normal(size=k),
    lambda rng, k: rng.poisson(12, size=k).astype(float),  # word counts: ties merge bins
], ids=["continuous", "counts"])
def test_null_false_alarm_rate_stays_at_alpha_where_fixed_threshold_does_not(gen):
    rng = np.random.default_rng(7)
    reps, alpha = 500, 0.05
    tolerance = 3 * math.sqrt(alpha * (1 - alpha) / reps)
    for n in (30, 100, 400):
        rate, fixed = _null_rates(gen, 1000, n, reps, rng, alpha)
        assert rate <= alpha + tolerance, (n, rate)
        if n == 30:
            assert fixed > 0.5  # PSI's fixed 0.1 cries wolf at small windows
    assert rate >= alpha / 4  # and the threshold is not simply huge


def _sample(rng, n: int, shift: float = 0.0, p_de: float = 0.3) -> FeatureSample:
    words = rng.poisson(20 + shift, size=n).astype(float)
    tags = Counter(rng.choice(["de", "en"], size=n, p=[p_de, 1 - p_de]).tolist())
    return FeatureSample({"output_words": words, "latency_s": rng.lognormal(0, 0.3, size=n),
                          "confidence": np.empty(0)}, {"tag:locale": tags})


def test_compare_finds_a_planted_shift_and_leaves_the_rest():
    rng = np.random.default_rng(3)
    base = _sample(rng, 2000)
    edges = {f: quantile_edges(v, 10) for f, v in base.numeric.items()}
    window = _sample(rng, 300, shift=8, p_de=0.6)
    found, skipped = compare(base, window, ["output_words", "latency_s", "confidence", "tag:locale"],
                             alpha=0.01, min_psi=0.1, min_n=20, edges=edges)
    by = {f.feature: f for f in found}
    assert by["output_words"].drifted and by["output_words"].test == "ks"
    assert by["tag:locale"].drifted and by["tag:locale"].test == "chi2"
    assert not by["latency_s"].drifted
    assert [s["feature"] for s in skipped] == ["confidence"]  # no values: not tested, said so
    # Holm: adjusted p-values are at least the raw ones
    assert all(f.p_adjusted >= f.p_value for f in found)
    entry = by["output_words"].as_dict()
    assert set(entry) >= {"feature", "psi", "psi_threshold", "p_value", "p_adjusted", "drifted"}
    assert redecide(entry, 0.01, 0.1) and not redecide(entry, 0.01, 10.0)


def test_significant_but_tiny_drift_does_not_count():
    rng = np.random.default_rng(4)
    base = _sample(rng, 50000)
    edges = {f: quantile_edges(v, 10) for f, v in base.numeric.items()}
    window = _sample(rng, 50000, shift=0.6)
    found, _ = compare(base, window, ["output_words"], alpha=0.01, min_psi=0.1, min_n=20, edges=edges)
    assert found[0].p_adjusted < 1e-6 and found[0].psi < 0.1 and not found[0].drifted


def test_categorical_with_new_and_single_categories():
    value, cats, p = categorical_stats({"a": 50, "b": 50}, {"a": 10, "b": 10, "c": 80})
    assert cats == 3 and p < 1e-6 and value > 1
    assert categorical_stats({"a": 5}, {"a": 9}) == (0.0, 1, 1.0)
