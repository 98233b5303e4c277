"""Clustered estimates: hand-computed values, Wilson at the edges, the clustering effect."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from gradeloop.errors import InputError
from gradeloop.stats import Estimate, estimate, wilson_interval

Z95 = 1.959963984540054


def hand_wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def midp(x: float, n: float) -> tuple[float, float]:
    """Mid-p exact interval by root-finding on the mid-p tails, x passes' worth of n.

    P(X >= x) = I_p(x, n-x+1) and P(X >= x+1) = I_p(x+1, n-x) (scipy.special.betainc), which
    for integers is the binomial tail and extends to the fractional n_eff of clustered data."""
    from scipy.optimize import brentq
    from scipy.special import betainc

    g = lambda q: 0.5 * (betainc(x, n - x + 1, q) + betainc(x + 1, n - x, q))  # noqa: E731
    low = 0.0 if x == 0 else brentq(lambda q: g(q) - 0.025, 1e-12, 1 - 1e-12)
    high = 1.0 if x == n else brentq(lambda q: g(q) - 0.975, 1e-12, 1 - 1e-12)
    return low, high


def test_midp_helper_is_the_textbook_mid_p_interval_on_integers():
    from scipy.optimize import brentq

    for x, n in ((1, 10), (5, 10), (37, 50)):
        low = brentq(lambda p, x=x, n=n: sps.binom.sf(x, n, p) + 0.5 * sps.binom.pmf(x, n, p) - 0.025, 1e-9, 1 - 1e-9)
        high = brentq(lambda p, x=x, n=n: sps.binom.cdf(x, n, p) - 0.5 * sps.binom.pmf(x, n, p) - 0.025,
                      1e-9, 1 - 1e-9)
        assert midp(x, n) == (pytest.approx(low), pytest.approx(high))


def test_hand_computed_clustered_estimate():
    est = estimate([[1, 1], [1, 0], [0, 0]])
    # case means 1, .5, 0 -> mean .5, sd (ddof=1) = .5, clustered SE = .5 / sqrt(3)
    assert est.mean == pytest.approx(0.5)
    assert est.stderr == pytest.approx(0.5 / math.sqrt(3))
    assert (est.n_cases, est.n_samples) == (3, 6)
    # binary with K=2: var(case means, ddof=1) = .25 = p(1-p), so phi = 1 and n_eff = 3 cases.
    # (The old interval used the ddof=0 variance, 1/6, and claimed n_eff = 4.5 > 3 cases'
    # worth from three cases that disagree completely: too narrow at small n.) Pass/fail
    # estimates report the mid-p exact interval on n_eff: 1.5 passes' worth out of 3.
    low, high = midp(1.5, 3.0)
    assert (est.ci_low, est.ci_high) == (pytest.approx(low), pytest.approx(high))


def test_hand_computed_effective_size_with_independent_samples():
    # 4 cases x 4 samples, case means .5, .5, .25, .75 -> p = .5, var1 = 1/24, phi = 1/6 < 1/4,
    # so phi = 1/K = .25 (n_eff <= n_samples = 16); tail guard: y = means (p <= .5),
    # n_c = 2^2 / (.25+.25+.0625+.5625) = 3.556, TAIL / n_c = .225 < .25.
    est = estimate([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 0, 0], [1, 1, 1, 0]])
    low, high = midp(8.0, 16.0)
    assert (est.ci_low, est.ci_high) == (pytest.approx(low), pytest.approx(high))


def test_non_binary_scores_get_a_score_interval_on_the_effective_size():
    # Changed from a clipped t-interval (the defect of issue 11: symmetric intervals on skewed
    # bounded case means covered 0.64 at 10 cases); the stderr is still Miller's clustered one.
    est = estimate([[0.2, 0.4], [0.6], [0.9, 0.7, 0.8]])
    means = np.array([0.3, 0.6, 0.8])
    se = means.std(ddof=1) / math.sqrt(3)
    assert est.mean == pytest.approx(means.mean())  # cases weigh the same, not samples
    assert est.stderr == pytest.approx(se)
    p = means.mean()
    phi = means.var(ddof=1) / (p * (1 - p))  # 0.258
    near = 1 - means  # p > .5: distance from 1
    n_c = near.sum() ** 2 / (near ** 2).sum()  # 2.45 cases carry it
    phi = max(phi, 0.8 / n_c)  # tail guard wins: 0.327
    low, high = hand_wilson(p, 3 / phi, z=sps.t.ppf(0.975, 2))
    assert (est.ci_low, est.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert 0.0 <= est.ci_low <= est.mean <= est.ci_high <= 1.0


def test_all_zero_scores_are_not_a_point_interval():
    est = estimate([[0.0, 0.0]] * 11)  # pass/fail, all failed: 11 cases' worth
    assert (est.ci_low, est.ci_high) == (0.0, pytest.approx(midp(0, 11)[1]))
    near_zero = estimate([[0.001]] * 10)  # scores, not pass/fail: every case identical
    assert near_zero.ci_high > 0.001


def test_one_sample_per_case_is_plain_mid_p():
    # Was Wilson, whose exact coverage dips to 0.914 at 10 cases and a 5% pass rate (0.84-0.90
    # closer to the bounds); the mid-p interval stays >= 0.92 from 10 cases on, a few % wider.
    cases = [[1.0]] * 37 + [[0.0]] * 13
    est = estimate(cases)
    assert (est.ci_low, est.ci_high) == (pytest.approx(midp(37, 50)[0]), pytest.approx(midp(37, 50)[1]))
    wilson = sps.binomtest(37, 50).proportion_ci(confidence_level=0.95, method="wilson")
    assert est.ci_high - est.ci_low == pytest.approx(wilson.high - wilson.low, rel=0.05)


def test_exact_binomial_coverage_at_ten_cases_and_five_percent():
    """Issue 11: exact coverage of the single-sample interval at n = 10, p = .05 (Wilson: .914)."""
    pmf = sps.binom.pmf(np.arange(11), 10, 0.05)
    ests = [estimate([[1.0]] * x + [[0.0]] * (10 - x)) for x in range(11)]
    coverage = sum(w for w, e in zip(pmf, ests) if e.ci_low <= 0.05 <= e.ci_high)
    wilson = sum(w for x, w in enumerate(pmf) if hand_wilson(x / 10, 10)[0] <= 0.05 <= hand_wilson(x / 10, 10)[1])
    assert wilson == pytest.approx(0.914, abs=1e-3)
    assert coverage >= 0.95
    for n in (10, 20, 30):  # and over a grid of p: never below 0.92
        ests = [estimate([[1.0]] * x + [[0.0]] * (n - x)) for x in range(n + 1)]
        lo, hi = np.array([e.ci_low for e in ests]), np.array([e.ci_high for e in ests])
        ps = np.linspace(0.01, 0.99, 99)[:, None]
        pmf = sps.binom.pmf(np.arange(n + 1)[None, :], n, ps)
        assert (pmf * ((lo <= ps) & (ps <= hi))).sum(axis=1).min() >= 0.92


@pytest.mark.parametrize("passed", [0, 20])
def test_edges_stay_inside_and_are_not_degenerate(passed):
    est = estimate([[1.0]] * passed + [[0.0]] * (20 - passed))
    assert 0.0 <= est.ci_low <= est.mean <= est.ci_high <= 1.0
    # mid-p at 0/n: P(X = 0)/2 = .025, so the bound is 1 - .05^(1/n) (and 0.05^(1/n) at n/n)
    assert est.ci_high - est.ci_low == pytest.approx(1 - 0.05 ** (1 / 20))
    # and with several samples per case: n_eff falls back to the number of cases
    clustered = estimate([[float(passed > 0)] * 5] * 20)
    assert (clustered.ci_low, clustered.ci_high) == (pytest.approx(est.ci_low), pytest.approx(est.ci_high))


def test_clustering_widens_the_interval_when_samples_are_correlated():
    rng = np.random.default_rng(3)
    outcome = (rng.random(40) < 0.6).astype(float)
    correlated = [[o] * 5 for o in outcome]  # every case answers the same way 5 times
    flat = [[v] for case in correlated for v in case]  # the same 200 values as if independent
    wide, narrow = estimate(correlated), estimate(flat)
    assert wide.mean == pytest.approx(narrow.mean)
    assert (wide.ci_high - wide.ci_low) > 1.8 * (narrow.ci_high - narrow.ci_low)
    assert wide.stderr > 2 * narrow.stderr


def test_independent_samples_are_not_penalised():
    rng = np.random.default_rng(4)
    iid = (rng.random((200, 4)) < 0.5).astype(float)
    clustered = estimate(iid.tolist())
    flat = estimate(iid.reshape(-1, 1).tolist())
    width = lambda e: e.ci_high - e.ci_low  # noqa: E731
    assert width(clustered) == pytest.approx(width(flat), rel=0.15)


def test_coverage_of_clustered_binary_intervals():
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(400):
        p = rng.beta(2, 2, size=30)  # case difficulty varies; true mean 0.5
        samples = (rng.random((30, 3)) < p[:, None]).astype(float)
        est = estimate(samples.tolist())
        hits += est.ci_low <= 0.5 <= est.ci_high
    assert hits / 400 >= 0.92


def test_no_cases_gives_a_documented_uninformative_estimate():
    est = estimate([])
    assert est == Estimate(0.0, 0.0, 0.0, 1.0, 0, 0, 0.95)


def test_single_non_binary_case_has_the_whole_range():
    est = estimate([[0.4, 0.6]])
    assert (est.mean, est.ci_low, est.ci_high) == (pytest.approx(0.5), 0.0, 1.0)


def test_level_changes_width_and_is_validated():
    cases = [[1, 0, 1]] * 10 + [[0, 0, 1]] * 10
    e90, e99 = estimate(cases, level=0.90), estimate(cases, level=0.99)
    assert e99.ci_high - e99.ci_low > e90.ci_high - e90.ci_low
    with pytest.raises(InputError) as err:
        estimate(cases, level=1.5)
    assert err.value.field == "level"


def test_as_dict_and_from_dict_round_trip():
    est = estimate([[1, 0], [1, 1], [0, 0], [1, 0]])
    d = est.as_dict()
    assert set(d) == {"mean", "stderr", "ci_low", "ci_high", "n_cases", "n_samples", "level"}
    assert Estimate.from_dict(d) == est
    no_level = {k: v for k, v in d.items() if k != "level"}
    assert Estimate.from_dict(no_level).level == 0.95


def test_from_dict_names_the_bad_field():
    d = estimate([[1], [0]]).as_dict()
    with pytest.raises(InputError) as err:
        Estimate.from_dict({**d, "stderr": "wide"}, file="run.json", line=7)
    assert (err.value.file, err.value.line, err.value.field) == ("run.json", 7, "estimate.stderr")
    with pytest.raises(InputError) as err:
        Estimate.from_dict({k: v for k, v in d.items() if k != "n_cases"}, field="metrics.pass_rate")
    assert err.value.field == "metrics.pass_rate.n_cases"


def test_wilson_interval_helper_is_unchanged():
    assert wilson_interval(0.5, 4.5) == pytest.approx(hand_wilson(0.5, 4.5))
    assert wilson_interval(0.3, 0) == (0.0, 1.0)
