"""Fairness gap: the largest pairwise stratum gap with multiplicity-corrected evidence."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from gradeloop.errors import InputError
from gradeloop.stats import estimate, holm, max_gap
from gradeloop.stats.gap import mover_interval
from gradeloop.stats.estimate import summarise
from gradeloop.stats.cases import case_data


def passes(k: int, n: int) -> list[list[float]]:
    return [[1.0]] * k + [[0.0]] * (n - k)


def test_largest_gap_on_constructed_strata():
    strata = {"en": passes(30, 30), "fr": passes(28, 30), "sw": passes(15, 30)}
    res = max_gap(strata)
    assert res.pair == ("en", "sw")
    assert res.n_pairs == 3
    assert res.gap.mean == pytest.approx(0.5)
    assert res.gap.stderr == pytest.approx(np.hypot(estimate(strata["en"]).stderr, estimate(strata["sw"]).stderr))
    raw = [sps.fisher_exact([[30, 0], [28, 2]]).pvalue, sps.fisher_exact([[30, 0], [15, 15]]).pvalue,
           sps.fisher_exact([[28, 2], [15, 15]]).pvalue]
    assert res.p_value_raw == pytest.approx(raw[1])
    assert res.p_value == pytest.approx(holm(raw)[1])
    assert res.p_value < 0.001
    assert {k: v.mean for k, v in res.estimates.items()} == pytest.approx({"en": 1.0, "fr": 28 / 30, "sw": 0.5})


def test_gap_interval_is_bonferroni_corrected_and_stays_inside():
    strata = {"a": passes(30, 30), "b": passes(15, 30), "c": passes(20, 30), "d": passes(25, 30)}
    res = max_gap(strata, level=0.95)
    single = mover_interval(summarise(case_data(strata["a"])), summarise(case_data(strata["b"])), 0.95)
    assert res.n_pairs == 6
    assert res.gap.ci_low < single[0] and res.gap.ci_high >= single[1]
    assert -1.0 <= res.gap.ci_low < res.gap.mean <= res.gap.ci_high <= 1.0


def test_family_wise_false_alarms_stay_near_alpha_without_a_real_gap():
    rng = np.random.default_rng(31)
    reps, scores, binary = 200, 0, 0
    for _ in range(reps):
        scores += max_gap({n: rng.random((40, 3)).tolist() for n in "abc"}).p_value < 0.05
        binary += max_gap({n: (rng.random((40, 1)) < 0.3).astype(float).tolist() for n in "abcd"}).p_value < 0.05
    limit = 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)
    assert scores / reps <= limit and binary / reps <= limit


def test_clustered_scores_gap_p_value_agrees_with_welch_at_large_n():
    rng = np.random.default_rng(32)
    a, b = rng.beta(6, 4, size=(400, 2)), rng.beta(5, 5, size=(400, 2))
    res = max_gap({"a": a.tolist(), "b": b.tolist()})
    welch = sps.ttest_ind(a.mean(axis=1), b.mean(axis=1), equal_var=False).pvalue
    assert res.p_value == pytest.approx(welch, rel=0.2)


def test_empty_and_single_strata():
    res = max_gap({"a": passes(3, 5), "b": []})
    assert res.pair is None and res.gap is None and res.p_value == 1.0
    assert res.estimates["b"].n_cases == 0
    assert res.as_dict()["pair"] is None
    with pytest.raises(InputError) as err:
        max_gap({"a": [[2.0]], "b": passes(1, 2)})
    assert err.value.field == "strata['a'][0][0]"


def test_largest_lower_bound_is_the_largest_corrected_lower_bound_over_pairs():
    strata = {"a": passes(30, 30), "b": passes(15, 30), "c": passes(20, 30), "d": passes(25, 30)}
    res = max_gap(strata)
    s = {k: summarise(case_data(v)) for k, v in strata.items()}
    level = 1 - 0.05 / 6
    lowers = [mover_interval(s[x], s[y], level)[0] for x, y in
              (("a", "b"), ("a", "c"), ("a", "d"), ("c", "b"), ("d", "b"), ("d", "c"))]
    assert res.largest_lower == pytest.approx(max(lowers))
    assert res.largest_lower == pytest.approx(res.gap.ci_low)  # here the widest gap has the top bound
    assert max_gap({"a": passes(5, 10), "b": passes(5, 10)}).largest_lower == 0.0
