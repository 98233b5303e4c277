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


def test_hand_computed_clustered_estimate():
    est = estimate([[1, 1], [1, 0], [0, 0]])
    # case means 1, .5, 0 -> mean .5, sd (ddof=1) = .5, clustered SE = .5 / sqrt(3)
    assert est.mean == pytest.approx(0.5)
    assert est.stderr == pytest.approx(0.5 / math.sqrt(3))
    assert (est.n_cases, est.n_samples) == (3, 6)
    # binary with K=2: var0(case means) = 1/6, n_eff = 3 * .25 / (1/6) = 4.5 (between 3 and 6)
    low, high = hand_wilson(0.5, 4.5)
    assert (est.ci_low, est.ci_high) == (pytest.approx(low), pytest.approx(high))


def test_non_binary_scores_get_a_clipped_t_interval():
    est = estimate([[0.2, 0.4], [0.6], [0.9, 0.7, 0.8]])
    means = np.array([0.3, 0.6, 0.8])
    se = means.std(ddof=1) / math.sqrt(3)
    assert est.mean == pytest.approx(means.mean())  # cases weigh the same, not samples
    assert est.stderr == pytest.approx(se)
    half = sps.t.ppf(0.975, 2) * se
    assert est.ci_low == pytest.approx(max(0.0, means.mean() - half))
    assert est.ci_high == pytest.approx(min(1.0, means.mean() + half))
    assert 0.0 <= est.ci_low <= est.mean <= est.ci_high <= 1.0


def test_one_sample_per_case_is_plain_wilson():
    cases = [[1.0]] * 37 + [[0.0]] * 13
    est = estimate(cases)
    ref = sps.binomtest(37, 50).proportion_ci(confidence_level=0.95, method="wilson")
    assert (est.ci_low, est.ci_high) == (pytest.approx(ref.low), pytest.approx(ref.high))


@pytest.mark.parametrize("passed", [0, 20])
def test_wilson_at_the_edges_stays_inside_and_is_not_degenerate(passed):
    est = estimate([[1.0]] * passed + [[0.0]] * (20 - passed))
    assert 0.0 <= est.ci_low <= est.mean <= est.ci_high <= 1.0
    assert est.ci_high - est.ci_low == pytest.approx(Z95 ** 2 / (20 + Z95 ** 2))
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


def test_wilson_interval_helper():
    assert wilson_interval(0.5, 4.5) == pytest.approx(hand_wilson(0.5, 4.5))
    assert wilson_interval(0.3, 0) == (0.0, 1.0)
