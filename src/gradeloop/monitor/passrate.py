"""Has the pass rate dropped below the baseline's? Per window, and anytime-valid across windows.

Per window: Fisher's exact one-sided test of the window's passes against the baseline's. Checked
every window, its false alarms add up (a z-test re-checked every 100 items false-alarms ~26% at
α = 0.05), so the default is a sequential monitor that may be checked after every request:

- m = (baseline pass rate's Wilson lower bound at level 1 − α) − margin; the bound misses the true
  baseline rate with probability at most α/2.
- A test martingale for H0 "the production pass rate never falls below m": capital
  K_t = Π (1 + λ_i (m − x_i)), x_i = 1 for a pass. Each bet λ_i is predictable (aGRAPA, Waudby-Smith
  & Ramdas 2023, on an exponentially weighted mean of the outcomes before i, so it reacts to a
  change instead of being anchored to the whole history) and clipped to [0, ½/(1 − m)], so K is a
  non-negative supermartingale under H0 and by Ville's inequality reaches 2/α with probability at
  most α/2. Together: a false alarm over the whole stream with probability at most α.
- After an alarm the capital restarts at 1, so a persisting drop keeps alarming window after window.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import signal
from scipy import stats as sps

from gradeloop.stats import wilson_interval

_TRUNCATION = 0.5


def fisher_drop_p(window_passed: int, window_n: int, base_passed: int, base_n: int) -> float | None:
    """One-sided p-value that the window's pass rate is below the baseline's; None without data."""
    if window_n <= 0 or base_n <= 0:
        return None
    table = [[window_passed, window_n - window_passed], [base_passed, base_n - base_passed]]
    return float(sps.fisher_exact(table, alternative="less").pvalue)


class PassRateMonitor:
    """Feed pass/fail outcomes in stream order; reports when the drop below the baseline is certain."""

    def __init__(self, base_passed: int, base_n: int, *, alpha: float = 0.05, margin: float = 0.0,
                 halflife: int = 200) -> None:
        p0 = base_passed / base_n if base_n else 0.0
        low, _ = wilson_interval(p0, base_n, 1.0 - alpha)
        self.alpha = alpha
        self.null_rate = max(low - margin, 0.0)  # m: H0 says the pass rate stays at or above it
        self.threshold = math.log(2.0 / alpha)
        self._decay = 0.5 ** (1.0 / halflife)
        self._mu = p0  # exponentially weighted mean of past outcomes; starts at the baseline rate
        self.log_wealth = 0.0
        self.n = 0
        self.alarms: list[int] = []  # 1-based request counts at which an alarm was raised

    def update(self, outcomes: bytes | bytearray | np.ndarray) -> int | None:
        """Add a window's outcomes (1 pass, 0 fail) in order; the request count of an alarm in it, if any."""
        x = np.asarray(np.frombuffer(outcomes, dtype=np.uint8) if isinstance(outcomes, (bytes, bytearray))
                       else outcomes, dtype=float)
        if x.size == 0:
            return None
        c = self._decay
        mu = signal.lfilter([1.0 - c], [1.0, -c], x, zi=[c * self._mu])[0]
        before = np.concatenate(([self._mu], mu[:-1]))  # what was known before each outcome
        m = self.null_rate
        gap = m - before
        var = np.maximum(before * (1.0 - before), 1e-4)
        lam = np.clip(gap / (var + gap * gap), 0.0, _TRUNCATION / (1.0 - m) if m < 1.0 else 0.0)
        steps = np.log1p(lam * (m - x))
        path = self.log_wealth + np.cumsum(steps)
        alarm: int | None = None
        hit = np.flatnonzero(path >= self.threshold)
        if hit.size:
            i = int(hit[0])
            alarm = self.n + i + 1
            self.alarms.append(alarm)
            rest = steps[i + 1:]
            self.log_wealth = float(np.sum(rest))  # restart at capital 1 after the alarm
        else:
            self.log_wealth = float(path[-1])
        self._mu = float(mu[-1])
        self.n += int(x.size)
        return alarm

    def state(self) -> dict[str, Any]:
        return {"null_rate": self.null_rate, "log_wealth": self.log_wealth, "threshold": self.threshold,
                "alpha": self.alpha, "n": self.n, "alarms": len(self.alarms)}
