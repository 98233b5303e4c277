"""The betting gate: error rate under optional stopping, power, and its confidence sequence."""
from __future__ import annotations

import numpy as np
import pytest

from gradeloop.errors import InputError
from gradeloop.stats import SequentialPairedTest


def paired_stream(rng: np.random.Generator, n: int, disagree: float, delta: float) -> np.ndarray:
    """Per-case differences in {-1, 0, 1}: the runs disagree on `disagree` of cases, mean `delta`."""
    up, down = (disagree + delta) / 2, (disagree - delta) / 2
    u = rng.random(n)
    return np.where(u < up, 1.0, np.where(u < up + down, -1.0, 0.0))


ALPHA = 0.05
LIMIT = ALPHA + 2.5 * np.sqrt(ALPHA * (1 - ALPHA) / 300)  # alpha within simulation error


def test_false_alarm_rate_under_no_regression_checked_after_every_case():
    rng = np.random.default_rng(41)
    alarms = 0
    for _ in range(300):
        test = SequentialPairedTest(alpha=ALPHA)
        test.update_many(paired_stream(rng, 1500, 0.2, 0.0).tolist())
        alarms += test.decision == "regression"
    assert alarms / 300 <= LIMIT


def test_false_alarm_rate_at_the_margin_with_bounded_scores():
    rng = np.random.default_rng(42)
    alarms = 0
    for _ in range(300):
        test = SequentialPairedTest(alpha=ALPHA, margin=0.05)
        d = np.clip(rng.normal(-0.05, 0.3, size=800), -1, 1)  # true mean ~ -margin (boundary)
        test.update_many(d.tolist())
        alarms += test.decision == "regression"
    assert alarms / 300 <= LIMIT


def test_false_no_regression_rate_when_the_regression_exceeds_the_margin():
    rng = np.random.default_rng(43)
    wrong = 0
    for _ in range(300):
        test = SequentialPairedTest(alpha=ALPHA, margin=0.02)
        test.update_many(paired_stream(rng, 800, 0.2, -0.02).tolist())
        wrong += test.decision == "no_regression"
    assert wrong / 300 <= LIMIT


def test_power_on_a_real_regression():
    rng = np.random.default_rng(44)
    stops = []
    for _ in range(60):
        test = SequentialPairedTest(alpha=ALPHA)
        assert test.update_many(paired_stream(rng, 3000, 0.3, -0.1).tolist()) == "regression"
        stops.append(test.n)
    assert np.median(stops) < 400
    assert test.wealth >= 1 / ALPHA


def test_no_regression_is_declared_when_the_candidate_is_clearly_not_worse():
    rng = np.random.default_rng(45)
    test = SequentialPairedTest(alpha=ALPHA, margin=0.03)
    assert test.update_many(paired_stream(rng, 5000, 0.2, 0.05).tolist()) == "no_regression"
    low, high = test.confidence_sequence()
    assert low > -0.03
    assert test.wealth_no_regression >= 1 / ALPHA


def test_confidence_sequence_covers_the_mean_and_matches_decisions():
    rng = np.random.default_rng(46)
    reps, low_miss, high_miss = 150, 0, 0
    for _ in range(reps):
        test = SequentialPairedTest(alpha=ALPHA)
        for d in paired_stream(rng, 400, 0.3, -0.04):  # keep feeding past any decision
            test.update(float(d))
        low, high = test.confidence_sequence()
        low_miss += low > -0.04
        high_miss += high < -0.04
        assert -1.0 <= low < high <= 1.0
        if test.decision == "regression":
            assert high < 0.0
    # each side is a (1 - alpha) confidence sequence
    side_limit = ALPHA + 2.5 * np.sqrt(ALPHA * (1 - ALPHA) / reps)
    assert low_miss / reps <= side_limit and high_miss / reps <= side_limit
    assert SequentialPairedTest().confidence_sequence() == (-1.0, 1.0)


def test_decision_is_final_and_counts_cases():
    test = SequentialPairedTest(alpha=ALPHA)
    assert test.update_many([-1.0] * 50) == "regression"
    decided = test.decided_at
    assert decided is not None and test.n == decided < 50
    for _ in range(200):
        test.update(1.0)
    assert test.decision == "regression" and test.decided_at == decided


@pytest.mark.parametrize("bad", [1.5, float("nan"), "0.1", True])
def test_bad_differences_and_settings_are_input_errors(bad):
    test = SequentialPairedTest()
    with pytest.raises(InputError) as err:
        test.update(bad)
    assert err.value.field == "d[0]"


def test_bad_settings():
    with pytest.raises(InputError):
        SequentialPairedTest(alpha=0.0)
    with pytest.raises(InputError):
        SequentialPairedTest(margin=1.0)


def test_wealth_saturates_instead_of_overflowing():
    test = SequentialPairedTest(alpha=ALPHA)
    for _ in range(5000):
        test.update(-1.0)
    assert test.wealth == float("inf") and test.decision == "regression"
    assert test.confidence_sequence()[1] < -0.99
