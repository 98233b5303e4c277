"""Pass-rate drop vs the baseline: Fisher per window, and the anytime-valid monitor across windows."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from gradeloop.monitor.passrate import PassRateMonitor, fisher_drop_p


def test_fisher_one_sided_by_hand():
    # P(X <= 2) for X ~ Hypergeom(total 20, 10 passes in all, 10 drawn for the window)
    p = fisher_drop_p(2, 10, 8, 10)
    assert p == pytest.approx(sps.hypergeom.cdf(2, 20, 10, 10))
    assert fisher_drop_p(0, 0, 5, 10) is None


def _false_alarms(rng, reps: int, windows: int = 20, size: int = 200) -> tuple[float, float]:
    seq = per_window = 0
    for _ in range(reps):
        k0 = rng.binomial(500, 0.9)
        mon = PassRateMonitor(k0, 500, alpha=0.05)
        s = w = False
        for _ in range(windows):
            x = (rng.random(size) < 0.9).astype(np.uint8)
            s |= mon.update(x.tobytes()) is not None
            w |= fisher_drop_p(int(x.sum()), size, k0, 500) < 0.05
        seq += s
        per_window += w
    return seq / reps, per_window / reps


def test_checking_every_window_keeps_the_false_alarm_rate_at_alpha():
    rng = np.random.default_rng(11)
    reps = 150
    seq, per_window = _false_alarms(rng, reps)
    assert seq <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / reps)
    assert per_window > 0.15  # the per-window test re-checked 20 times cries wolf


def test_a_planted_drop_is_detected_soon_after_it_starts():
    rng = np.random.default_rng(12)
    mon = PassRateMonitor(450, 500, alpha=0.05, margin=0.02)
    first = None
    for w in range(20):
        x = (rng.random(200) < (0.9 if w < 10 else 0.75)).astype(np.uint8)
        alarm = mon.update(x.tobytes())
        if alarm is not None and first is None:
            first = w
    assert first is not None and 10 <= first <= 12
    assert mon.state()["alarms"] >= 5  # the capital restarts after an alarm, so a lasting drop keeps alarming


def test_monitor_state_and_empty_update():
    mon = PassRateMonitor(90, 100, alpha=0.05, margin=0.05)
    assert mon.update(b"") is None
    st = mon.state()
    assert st["null_rate"] < 0.9 - 0.05 and st["threshold"] == pytest.approx(math.log(40)) and st["n"] == 0
