"""Issue 11 item 6: interval coverage reproduced by seeded, vectorised simulation (a few cells;
the full grid is bench/coverage.py). Each cell fails with the old interval and passes now."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special
from scipy import stats as sps

from gradeloop.stats import estimate, estimate_pass_hat_k
from gradeloop.stats.estimate import interval_rows

Z = sps.norm.ppf(0.975)


def simulate(seed: int, reps: int, n: int, k: int, mu: float, icc: float, kind: str) -> np.ndarray:
    """Case means p_c ~ Beta with intra-case correlation icc; pass/fail or Beta(2p, 2(1-p)) scores."""
    rng = np.random.default_rng(seed)
    s = (3.0 if kind == "score" else 1.0) * (1 - icc) / icc
    p = rng.beta(mu * s, (1 - mu) * s, size=(reps, n)).clip(1e-9, 1 - 1e-9)
    if kind == "binary":
        return (rng.random((reps, n, k)) < p[..., None]).astype(float)
    return rng.beta(2 * p[..., None], 2 * (1 - p[..., None]), size=(reps, n, k))


def old_t(means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The old score interval: clipped Student-t on case means."""
    n = means.shape[1]
    half = sps.t.ppf(0.975, n - 1) * means.std(axis=1, ddof=1) / math.sqrt(n)
    p = means.mean(axis=1)
    return np.maximum(0, p - half), np.minimum(1, p + half)


def old_binary(means: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The old pass/fail interval: Wilson on n_eff = n p(1-p) / var0, clamped to [n, n k]."""
    n = means.shape[1]
    p, var0 = means.mean(axis=1), means.var(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.clip(np.where(p * (1 - p) > 0, n * p * (1 - p) / var0, n), n, n * k)
    centre = (p + Z * Z / (2 * n_eff)) / (1 + Z * Z / n_eff)
    half = Z * np.sqrt(p * (1 - p) / n_eff + Z * Z / (4 * n_eff ** 2)) / (1 + Z * Z / n_eff)
    return centre - half, centre + half


def coverage(lo: np.ndarray, hi: np.ndarray, mu: float) -> float:
    return float(np.mean((lo <= mu) & (mu <= hi)))


@pytest.mark.parametrize("n, k, mu", [(10, 1, 0.05), (10, 4, 0.95), (30, 1, 0.95)])
def test_score_interval_covers_near_the_bounds_with_strong_correlation(n, k, mu):
    means = simulate(1, 3000, n, k, mu, 0.5, "score").mean(axis=2)
    assert coverage(*old_t(means), mu) < 0.89  # the defect: 0.64-0.87 in these cells
    assert coverage(*interval_rows(means, k, False), mu) >= 0.93


def test_pass_rate_interval_at_30_cases_10_samples_5_percent():
    means = simulate(2, 3000, 30, 10, 0.05, 0.5, "binary").mean(axis=2)
    assert coverage(*old_binary(means, 10), 0.05) < 0.90  # the defect: 0.87-0.89
    assert coverage(*interval_rows(means, 10, True), 0.05) >= 0.93


def test_well_behaved_cells_are_not_widened():
    for kind, k in (("score", 4), ("binary", 10)):
        means = simulate(3, 2000, 100, k, 0.5, 0.02, kind).mean(axis=2)
        lo, hi = interval_rows(means, k, kind == "binary")
        miller = 2 * Z * means.std(axis=1, ddof=1) / 10
        assert coverage(lo, hi, 0.5) >= 0.93
        assert np.mean(hi - lo) <= 1.10 * np.mean(miller)


def test_interval_rows_is_what_estimate_computes():
    rng = np.random.default_rng(4)
    for kind, k in (("binary", 1), ("binary", 5), ("score", 1), ("score", 3)):
        x = simulate(int(rng.integers(1000)), 5, 12, k, 0.2, 0.3, kind)
        lo, hi = interval_rows(x.mean(axis=2), k, kind == "binary")
        for row, low, high in zip(x, lo, hi):
            est = estimate(row.tolist())
            assert (est.ci_low, est.ci_high) == (pytest.approx(low), pytest.approx(high))


@pytest.mark.parametrize("a, b, k", [(5, 5, 5), (1, 4, 2)])
def test_pass_hat_k_interval_covers_at_20_cases(a, b, k):
    """pass^k of 10 samples per case over 20 cases, through the public estimator."""
    rng = np.random.default_rng(5)
    truth = float(np.prod([(a + j) / (a + b + j) for j in range(k)]))  # E[p^k], p ~ Beta(a, b)
    reps, hits, old_hits = 600, 0, 0
    for _ in range(reps):
        c = rng.binomial(10, rng.beta(a, b, size=20))
        est = estimate_pass_hat_k([(10, int(x)) for x in c], k)
        hits += est.ci_low <= truth <= est.ci_high
        v = np.where(c >= k, special.comb(c, k) / special.comb(10, k), 0.0)[None, :]
        lo, hi = old_t(v)
        old_hits += lo[0] <= truth <= hi[0]
    assert old_hits / reps < 0.89  # the defect: 0.81-0.87 here
    assert hits / reps >= 0.93
