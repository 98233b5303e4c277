"""Power planning: Miller's formula, variance parts, and power checked by simulation."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from gradeloop.errors import InputError
from gradeloop.stats import (minimum_detectable_effect, paired_variance_parts, required_cases,
                             variance_parts)
from gradeloop.stats.power import t_power


def nct_power(n: int, shift: float, var: float, alpha: float = 0.05) -> float:
    """Exact power of the one-sided t test, written out with scipy's noncentral t."""
    return float(sps.nct.sf(sps.t.ppf(1 - alpha, n - 1), n - 1, shift * math.sqrt(n / var)))


def test_required_cases_for_a_three_point_regression():
    # Was exactly the normal formula, ceil(z^2 var / effect^2) = 1374; the gate decides with a t
    # test, whose power at 1374 cases is just under 0.80 — the smallest n that reaches it is 1376.
    z = sps.norm.ppf(0.95) + sps.norm.ppf(0.8)
    n = required_cases(0.03, 0.2)
    assert math.ceil(z * z * 0.2 / 0.03 ** 2) == 1374 <= n <= 1380
    assert nct_power(n, 0.03, 0.2) >= 0.8 > nct_power(n - 1, 0.03, 0.2)
    assert required_cases(0.03, 0.2, one_sided=False) > n
    assert required_cases(0.03, 0.2, power=0.9) > n


def test_the_margin_is_taken_out_of_the_effect():
    n = required_cases(0.10, 0.29, margin=0.02)
    assert n == required_cases(0.08, 0.29)
    assert nct_power(n, 0.08, 0.29) >= 0.8 > nct_power(n - 1, 0.08, 0.29)
    assert t_power(n, 0.08, math.sqrt(0.29)) == pytest.approx(nct_power(n, 0.08, 0.29))
    with pytest.raises(InputError) as err:
        required_cases(0.02, 0.2, margin=0.02)  # a drop within the margin never fails
    assert err.value.field == "effect"
    assert required_cases(0.1, 0.0) == 2


def test_small_designs_need_more_than_the_normal_formula():
    z = sps.norm.ppf(0.95) + sps.norm.ppf(0.8)
    normal = math.ceil(z * z * 0.05 / 0.1 ** 2)  # 31 cases
    n = required_cases(0.1, 0.05)
    assert n > normal and nct_power(normal, 0.1, 0.05) < 0.8 <= nct_power(n, 0.1, 0.05)


def simulated_power(seed: int, n: int, disagree: float, drop: float, margin: float, alpha: float,
                    reps: int = 4000) -> float:
    """Paired pass/fail on n cases, P(d != 0) = disagree, mean d = -drop; the gate's rule: the
    one-sided (1 - alpha) upper bound of mean d (t) lies below -margin. Vectorised, seeded."""
    rng = np.random.default_rng(seed)
    u = rng.random((reps, n))
    down, up = (disagree + drop) / 2, (disagree - drop) / 2
    d = np.where(u < down, -1.0, np.where(u < down + up, 1.0, 0.0))
    upper = d.mean(axis=1) + sps.t.ppf(1 - alpha, n - 1) * d.std(axis=1, ddof=1) / math.sqrt(n)
    return float(np.mean(upper < -margin))


@pytest.mark.parametrize("disagree, drop, margin, alpha", [(0.3, 0.10, 0.02, 0.05), (0.25, 0.10, 0.02, 0.01),
                                                            (0.2, 0.10, 0.0, 0.05)])
def test_planned_power_is_delivered_by_simulation(disagree, drop, margin, alpha):
    """Issue 11: the plan promised 0.80 and the gate delivered 0.71-0.77 at a 10-point drop."""
    var = disagree - drop ** 2  # variance of d under the drop
    z = sps.norm.ppf(1 - alpha) + sps.norm.ppf(0.8)
    old = max(1, math.ceil(z * z * var / drop ** 2))  # the old answer: normal formula, no margin
    new = required_cases(drop, var, alpha=alpha, margin=margin)
    delivered = simulated_power(7, new, disagree, drop, margin, alpha)
    assert 0.78 <= delivered <= 0.85
    if margin > 0:
        assert simulated_power(8, old, disagree, drop, margin, alpha) < 0.72


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
    mde = minimum_detectable_effect(base.tolist(), cand.tolist())
    # the drop the t test sees with power 0.8 (the old z formula, 0.05101, ignored df = 499)
    assert nct_power(500, mde, d.var(ddof=1)) == pytest.approx(0.8, abs=1e-6)
    z = sps.norm.ppf(0.95) + sps.norm.ppf(0.8)
    assert mde == pytest.approx(z * math.sqrt(d.var(ddof=1) / 500), rel=0.005)
    assert minimum_detectable_effect(base.tolist(), cand.tolist(), margin=0.02) == pytest.approx(mde + 0.02)
    # without the candidate: two independent runs, twice the baseline variance, no pairing gain
    unpaired = minimum_detectable_effect(base.tolist())
    assert nct_power(500, unpaired, 2 * base[:, 0].var(ddof=1)) == pytest.approx(0.8, abs=1e-6)
    assert unpaired > mde


def test_mde_is_the_effect_detected_with_the_stated_power():
    """Simulate the design: a true regression of exactly the MDE is caught ~80% of the time."""
    rng = np.random.default_rng(23)
    n, disagree = 600, 0.2
    var_d = disagree  # d in {-1, 0, 1}, P(d != 0) = 0.2
    z = sps.norm.ppf(0.95) + sps.norm.ppf(0.8)
    delta = z * math.sqrt(var_d / n)
    assert required_cases(delta, var_d) == pytest.approx(n, abs=3)  # t: a couple of cases above z
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
