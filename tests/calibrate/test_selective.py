"""Learn-then-Test selective answering: the guarantee holds over many simulated splits."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from gradeloop.calibrate.selective import min_answered, select_threshold, start_answered
from gradeloop.errors import InputError


def _ltt_loop(conf, correct, alpha, delta):
    """Fixed-sequence LTT written as a plain loop over thresholds from high to low."""
    chosen = None
    start = start_answered(alpha, delta) if len(conf) >= start_answered(alpha, delta) else min_answered(alpha, delta)
    for t in sorted(set(conf), reverse=True):
        answered = [ok for c, ok in zip(conf, correct) if c >= t]
        if len(answered) < start:
            continue  # too little power to start the sequence
        errors = sum(1 for ok in answered if not ok)
        if binom.cdf(errors, len(answered), alpha) > delta:
            break
        chosen = t
    return chosen


def test_matches_a_plain_loop_implementation():
    rng = np.random.default_rng(0)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        conf = np.round(rng.uniform(size=300), 2)
        correct = rng.uniform(size=300) < conf ** 0.5
        res = select_threshold(conf, correct, 0.1, 0.1)
        assert res.threshold == _ltt_loop(conf.tolist(), correct.tolist(), 0.1, 0.1)


def test_reports_coverage_and_risk_of_the_chosen_threshold():
    rng = np.random.default_rng(4)
    conf = rng.uniform(size=2000)
    correct = rng.uniform(size=2000) < conf
    res = select_threshold(conf, correct, 0.1, 0.1)
    answered = conf >= res.threshold
    assert res.coverage == pytest.approx(answered.mean())
    assert res.selective_risk == pytest.approx(1 - correct[answered].mean())
    assert res.p_value == pytest.approx(binom.cdf((~correct[answered]).sum(), answered.sum(), 0.1))
    assert res.p_value <= 0.1 and res.risk_upper <= 0.1


def test_nothing_certified_when_the_model_is_always_too_wrong():
    rng = np.random.default_rng(5)
    conf = rng.uniform(size=500)
    correct = rng.uniform(size=500) < 0.5  # confidence says nothing, error 50%
    res = select_threshold(conf, correct, 0.1, 0.1)
    assert res.threshold is None and res.coverage == 0.0 and res.n_answered == 0


def test_too_few_requests_to_certify_anything():
    assert min_answered(0.1, 0.1) == 22  # 0.9^22 <= 0.1 < 0.9^21
    res = select_threshold([0.99] * 21, [True] * 21, 0.1, 0.1)
    assert res.threshold is None
    assert select_threshold([0.99] * 22, [True] * 22, 0.1, 0.1).threshold == 0.99


def test_sequence_starts_where_one_early_error_cannot_stop_it():
    # 1 error among the 22 most confident would stop a sequence started at n = 22 (p = 0.34);
    # starting at n = 38 (where 1 error still certifies) the error is absorbed
    assert start_answered(0.1, 0.1) == 38
    conf = np.linspace(1, 0.5, 200)
    correct = np.ones(200, dtype=bool)
    correct[0] = False
    res = select_threshold(conf, correct, 0.1, 0.1)
    assert res.coverage == 1.0


def test_guarantee_holds_over_many_splits():
    """P(test error among answered > alpha) <= delta, within simulation error (500 splits)."""
    alpha, delta, n_cal, n_test, splits = 0.1, 0.1, 800, 4000, 500
    rng = np.random.default_rng(12345)
    violations, coverage = 0, []
    for _ in range(splits):
        conf = rng.uniform(size=n_cal + n_test)
        correct = rng.uniform(size=n_cal + n_test) < 0.55 + 0.45 * conf  # error falls as confidence rises
        res = select_threshold(conf[:n_cal], correct[:n_cal], alpha, delta)
        if res.threshold is None:
            continue
        answered = conf[n_cal:] >= res.threshold
        coverage.append(answered.mean())
        if answered.any() and 1 - correct[n_cal:][answered].mean() > alpha:
            violations += 1
    rate = violations / splits
    assert rate <= delta + 3 * np.sqrt(delta * (1 - delta) / splits)
    # the oracle answers 44% (risk exactly alpha); certifying with 800 requests costs some of that
    assert np.mean(coverage) > 0.2  # and it does not buy the guarantee by never answering


@pytest.mark.parametrize("alpha, delta", [(0, 0.1), (0.1, 1.0), (1.5, 0.1)])
def test_levels_must_be_probabilities(alpha, delta):
    with pytest.raises(InputError):
        select_threshold([0.5, 0.6], [1, 0], alpha, delta)
