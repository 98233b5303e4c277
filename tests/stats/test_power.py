"""Power planning: Miller's formula, variance parts, and power checked by simulation."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from gradeloop.errors import InputError
from gradeloop.stats import (minimum_detectable_effect, paired_variance_parts, required_cases,
                             variance_parts)


def test_required_cases_for_a_three_point_regression():
    z = sps.norm.ppf(0.95) + sps.norm.ppf(0.8)
    assert required_cases(0.03, 0.2) == math.ceil(z * z * 0.2 / 0.03 ** 2) == 1374
    assert required_cases(0.03, 0.2, one_sided=False) > 1374
    assert required_cases(0.03, 0.2, power=0.9) > 1374


def test_more_samples_per_case_help_only_with_within_case_noise():
    one = required_cases(0.05, between_var=0.02, within_var=0.2, samples_per_case=1)
    five = required_cases(0.05, between_var=0.02, within_var=0.2, samples_per_case=5)
    assert five < one / 3
    assert required_cases(0.05, 0.02, 0.0, 1) == required_cases(0.05, 0.02, 0.0, 5)


@pytest.mark.parametrize("kwargs, field", [
    ({"effect": 0.0, "between_var": 0.1}, "effect"),
    ({"effect": 0.1, "between_var": -1.0}, "between_var"),
    ({"effect": 0.1, "between_var": 0.1, "samples_per_case": 0}, "samples_per_case"),
    ({"effect": 0.1, "between_var": 0.1, "alpha": 0.0}, "alpha"),
    ({"effect": 0.1, "between_var": 0.1, "power": 1.0}, "power"),
])
def test_required_cases_validates(kwargs, field):
    with pytest.raises(InputError) as err:
        required_cases(**kwargs)
    assert err.value.field == field


def test_variance_parts_recover_between_and_within():
    rng = np.random.default_rng(21)
    p = rng.beta(2, 3, size=3000)  # true case pass probabilities
    samples = (rng.random((3000, 8)) < p[:, None]).astype(float)
    parts = variance_parts(samples.tolist())
    assert parts.samples_per_case == pytest.approx(8)
    assert parts.within == pytest.approx(np.mean(p * (1 - p)), rel=0.05)
    assert parts.between == pytest.approx(np.var(p), rel=0.15)
    assert parts.total == pytest.approx(samples.mean(axis=1).var(ddof=1), rel=1e-9)


def test_paired_parts_and_mde_use_the_difference_variance():
    rng = np.random.default_rng(22)
    base = (rng.random((500, 1)) < 0.7).astype(float)
    cand = base.copy()
    flip = rng.random(500) < 0.2
    cand[flip, 0] = 1 - cand[flip, 0]
    d = (cand - base)[:, 0]
    parts = paired_variance_parts(base.tolist(), cand.tolist())
    assert parts.total == pytest.approx(d.var(ddof=1))
    z = sps.norm.ppf(0.95) + sps.norm.ppf(0.8)
    mde = minimum_detectable_effect(base.tolist(), cand.tolist())
    assert mde == pytest.approx(z * math.sqrt(d.var(ddof=1) / 500))
    # without the candidate: two independent runs, twice the baseline variance, no pairing gain
    unpaired = minimum_detectable_effect(base.tolist())
    assert unpaired == pytest.approx(z * math.sqrt(2 * base[:, 0].var(ddof=1) / 500))
    assert unpaired > mde


def test_mde_is_the_effect_detected_with_the_stated_power():
    """Simulate the design: a true regression of exactly the MDE is caught ~80% of the time."""
    rng = np.random.default_rng(23)
    n, disagree = 600, 0.2
    var_d = disagree  # d in {-1, 0, 1}, P(d != 0) = 0.2
    z = sps.norm.ppf(0.95) + sps.norm.ppf(0.8)
    delta = z * math.sqrt(var_d / n)
    assert required_cases(delta, var_d) == pytest.approx(n, abs=1)
    caught = 0
    reps = 400
    for _ in range(reps):
        u = rng.random(n)
        d = np.where(u < (disagree - delta) / 2, 1.0, np.where(u < disagree, -1.0, 0.0))
        t = d.mean() / (d.std(ddof=1) / math.sqrt(n))
        caught += t < -sps.norm.ppf(0.95)
    assert caught / reps == pytest.approx(0.8, abs=0.07)


def test_mde_needs_two_cases():
    assert minimum_detectable_effect([[1.0]]) == math.inf
    with pytest.raises(InputError):
        variance_parts([[1.0]])
