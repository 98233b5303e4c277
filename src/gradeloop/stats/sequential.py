"""An anytime-valid gate for a paired difference, checked after every case.

Testing by betting (Waudby-Smith & Ramdas 2023, "Estimating means of bounded random
variables by betting"): each per-case difference d in [-1, 1] is mapped to x = (d + 1) / 2
in [0, 1]; "no regression beyond the margin" is E[d] >= -margin, i.e. E[x] >= m0 with
m0 = (1 - margin) / 2. Two capital processes start at 1:

- regression:    K_t = prod (1 + lambda_i (m0 - x_i)), lambda_i in [0, c / (1 - m0)]
- no_regression: K_t = prod (1 + lambda_i (x_i - m0)), lambda_i in [0, c / m0]

Each is a nonnegative supermartingale under its null (E[d] >= -margin, resp. E[d] <= -margin),
so by Ville's inequality it reaches 1/alpha with probability at most alpha, however often it
is checked and whenever one stops. The bets are the paper's aGRAPA plug-in: lambda_i =
(mu_hat - m) / (sigma_hat^2 + (mu_hat - m)^2) from the cases before i (predictable), clipped
and truncated with c = 1/2. The two nulls are disjoint, so at most one decision can be wrong
and the chance of a wrong decision is at most alpha. The first decision is final.

`confidence_sequence()` inverts the same tests over a grid of means (refined by bisection):
`low` is a (1 - alpha) lower confidence sequence and `high` a (1 - alpha) upper one, so
"no_regression" is low > -margin and "regression" is high < -margin; together they cover
with probability at least 1 - 2 alpha.
"""
from __future__ import annotations

import math
from typing import Iterable, Literal

import numpy as np

from gradeloop.errors import InputError
from gradeloop.stats.cases import check_probability

Decision = Literal["continue", "regression", "no_regression"]
_TRUNCATION = 0.5
_GRID = 201
_BISECT = 30


def _bet(gap: float, var: float, upper: float) -> float:
    """aGRAPA bet size for an estimated gap from the null mean, clipped to [0, upper]."""
    return min(max(gap / (var + gap * gap), 0.0), upper)


def _exp(log_value: float) -> float:
    """exp that saturates to inf instead of raising once capital passes ~1e308."""
    return math.exp(log_value) if log_value < 709.0 else math.inf


class SequentialPairedTest:
    """Feed per-case differences (candidate - baseline) one at a time; stop at a decision."""

    def __init__(self, alpha: float = 0.05, margin: float = 0.0, alpha_no_regression: float | None = None) -> None:
        """`alpha` bounds a false "regression"; `alpha_no_regression` (default: alpha) bounds a false
        "no_regression", the early pass a group-sequential gate may spend differently."""
        self.alpha = check_probability(alpha, "alpha")
        self.alpha_no_regression = check_probability(
            alpha if alpha_no_regression is None else alpha_no_regression, "alpha_no_regression")
        self._threshold_ok = math.log(1.0 / self.alpha_no_regression)
        if not isinstance(margin, (int, float)) or not 0.0 <= margin < 1.0:
            raise InputError(f"must be in [0, 1), got {margin!r}", field="margin")
        self.margin = float(margin)
        self._m0 = (1.0 - self.margin) / 2.0
        self._threshold = math.log(1.0 / self.alpha)
        self._log_reg = 0.0
        self._log_ok = 0.0
        self._mu = 0.5  # WSR priors: mu_hat_0 = 1/2, sigma_hat_0^2 = 1/4
        self._sq = 0.25
        self._sum = 0.0
        self._xs: list[float] = []
        self.decision: Decision = "continue"
        self.decided_at: int | None = None

    @property
    def n(self) -> int:
        """Cases seen so far."""
        return len(self._xs)

    @property
    def wealth(self) -> float:
        """Capital of the bet on a regression beyond the margin; >= 1/alpha rejects H0."""
        return _exp(self._log_reg)

    @property
    def wealth_no_regression(self) -> float:
        """Capital of the bet against a regression beyond the margin."""
        return _exp(self._log_ok)

    def update(self, d: float) -> Decision:
        """Add one case's difference in [-1, 1]; return the (sticky) decision so far."""
        if isinstance(d, bool) or not isinstance(d, (int, float, np.floating, np.integer)) \
                or not math.isfinite(d) or not -1.0 <= d <= 1.0:
            raise InputError(f"a paired difference must be a number in [-1, 1], got {d!r}",
                             field=f"d[{self.n}]")
        x = (float(d) + 1.0) / 2.0
        t = self.n
        var = self._sq / (t + 1)
        m0 = self._m0
        self._log_reg += math.log1p(_bet(m0 - self._mu, var, _TRUNCATION / (1.0 - m0)) * (m0 - x))
        self._log_ok += math.log1p(_bet(self._mu - m0, var, _TRUNCATION / m0) * (x - m0))
        self._xs.append(x)
        self._sum += x
        self._mu = (0.5 + self._sum) / (t + 2)
        self._sq += (x - self._mu) ** 2
        if self.decision == "continue":
            if self._log_reg >= self._threshold:
                self.decision, self.decided_at = "regression", self.n
            elif self._log_ok >= self._threshold_ok:
                self.decision, self.decided_at = "no_regression", self.n
        return self.decision

    def update_many(self, ds: Iterable[float]) -> Decision:
        """Feed differences in order until the first decision (the rest are not consumed)."""
        for d in ds:
            if self.update(d) != "continue":
                break
        return self.decision

    def _predictable(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x_i with the mean and variance estimates available before case i."""
        xs = np.asarray(self._xs)
        t = np.arange(1, xs.size + 1, dtype=float)
        mu = (0.5 + np.cumsum(xs)) / (t + 1)
        sq = 0.25 + np.cumsum((xs - mu) ** 2)
        mu_prev = np.concatenate(([0.5], mu[:-1]))
        var_prev = np.concatenate(([0.25], sq[:-1])) / t
        return xs, mu_prev, var_prev

    def _rejected(self, ms: np.ndarray, above: bool, data: tuple[np.ndarray, ...]) -> np.ndarray:
        """Whether the capital betting on a mean above (or below) each m ever reached 1/alpha."""
        xs, mu_prev, var_prev = (a[:, None] for a in data)
        m = ms[None, :]
        gap = (mu_prev - m) if above else (m - mu_prev)
        with np.errstate(divide="ignore", invalid="ignore"):
            cap = _TRUNCATION / (m if above else 1.0 - m)
            lam = np.clip(gap / (var_prev + gap * gap), 0.0, cap)
        step = lam * ((xs - m) if above else (m - xs))
        return np.cumsum(np.log1p(step), axis=0).max(axis=0) >= self._threshold

    def _bound(self, above: bool, data: tuple[np.ndarray, ...]) -> float:
        """Edge of the set of means not rejected on one side, in the x scale."""
        grid = np.linspace(0.0, 1.0, _GRID)
        rejected = self._rejected(grid, above, data)
        seq = rejected if above else rejected[::-1]
        k = int(np.argmin(seq)) if not seq.all() else seq.size  # first grid point not rejected
        if k == 0:
            return 0.0 if above else 1.0
        if k == seq.size:
            return 1.0 if above else 0.0
        ordered = grid if above else grid[::-1]
        lo, hi = ordered[k - 1], ordered[k]  # rejected, not rejected
        for _ in range(_BISECT):
            mid = (lo + hi) / 2.0
            if self._rejected(np.array([mid]), above, data)[0]:
                lo = mid
            else:
                hi = mid
        return float(lo)

    def confidence_sequence(self) -> tuple[float, float]:
        """(low, high): one-sided (1 - alpha) confidence-sequence bounds on E[d], valid at any n."""
        if not self._xs:
            return -1.0, 1.0
        data = self._predictable()
        low = self._bound(True, data)
        high = self._bound(False, data)
        return 2.0 * low - 1.0, 2.0 * high - 1.0
