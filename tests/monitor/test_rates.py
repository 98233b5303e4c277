"""Rates as Estimates: binomial (mid-p exact) intervals on hand values, denominators, latency means."""
from __future__ import annotations

import pytest
from scipy import stats as sps

from gradeloop.monitor.rates import RateCounts, mean_estimate, proportion
from gradeloop.monitor.scoring import Scored
from gradeloop.stats import estimate


def test_proportion_is_mid_p_by_hand():
    # Was Wilson (0.4902, 0.9433); issue 11 moved one-sample-per-case pass rates to the mid-p
    # exact interval (Wilson covers 0.914 at n = 10, p = 0.05), and monitor rates follow stats.estimate.
    e = proportion(8, 10)
    assert e.mean == 0.8
    # mid-p tails: P(X > 8) + P(X = 8)/2 = .025 at the lower bound, P(X < 8) + P(X = 8)/2 = .025 at the upper
    lo_tail = sps.binom.sf(8, 10, e.ci_low) + 0.5 * sps.binom.pmf(8, 10, e.ci_low)
    hi_tail = sps.binom.cdf(7, 10, e.ci_high) + 0.5 * sps.binom.pmf(8, 10, e.ci_high)
    assert lo_tail == pytest.approx(0.025) and hi_tail == pytest.approx(0.025)
    assert e.n_cases == e.n_samples == 10
    assert proportion(0, 10).ci_low == 0.0 and proportion(10, 10).ci_high == 1.0


def test_proportion_matches_stats_estimate_with_one_sample_per_request():
    for k, n in ((0, 7), (3, 7), (7, 7), (40, 130)):
        mine = proportion(k, n).as_dict()
        theirs = estimate([[1.0]] * k + [[0.0]] * (n - k)).as_dict()
        assert mine == pytest.approx(theirs)


def test_no_requests_is_no_information():
    e = proportion(0, 0)
    assert (e.mean, e.ci_low, e.ci_high, e.n_cases) == (0.0, 0.0, 1.0, 0)


def test_mean_estimate_is_a_t_interval_floored_at_zero():
    values = [0.5, 1.0, 1.5, 4.0]
    e = mean_estimate(len(values), sum(values), sum(v * v for v in values))
    ref = sps.t.interval(0.95, 3, loc=1.75, scale=sps.sem(values))
    assert e.mean == pytest.approx(1.75) and e.stderr == pytest.approx(sps.sem(values))
    assert e.ci_low == max(0.0, ref[0]) == 0.0 and e.ci_high == pytest.approx(ref[1])
    assert mean_estimate(1, 2.0, 4.0) is None


def _s(error=False, passed=None, refused=None, latency=None) -> Scored:
    return Scored(0.0, {}, error, passed, None, None, refused, None, latency, None)


def test_denominators_keep_errors_out_of_the_pass_rate():
    c = RateCounts()
    for s in [_s(passed=True, refused=False, latency=1.0), _s(passed=False, refused=True, latency=3.0),
              _s(error=True, latency=30.0), _s(passed=None, refused=False)]:  # the last: a grader error
        c.add(s)
    rates = c.estimates()
    assert rates["pass_rate"].mean == 0.5 and rates["pass_rate"].n_samples == 2
    assert rates["refusal_rate"].mean == pytest.approx(1 / 3) and rates["refusal_rate"].n_samples == 3
    assert rates["error_rate"].mean == 0.25 and rates["error_rate"].n_samples == 4
    assert rates["latency_s"].mean == pytest.approx(34 / 3)
    assert c.as_dict()["grader_errors"] == 1
