"""Selective answering with a guarantee: answer only when confidence >= threshold, chosen so
that with probability >= 1 - delta the error rate among answered requests is at most alpha.

Learn-then-Test (Angelopoulos et al. 2021): at each candidate threshold, the exact binomial
tail gives a p-value for H0 "selective risk > alpha" (P[Binom(n_answered, alpha) <= errors]);
fixed-sequence testing walks thresholds from the most conservative (highest) down and stops
at the first p-value above delta, so no multiplicity correction is needed. The guarantee
assumes calibration and deployment requests are exchangeable, one answer per request.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from gradeloop.errors import InputError


@dataclass(frozen=True)
class SelectiveResult:
    """The certified threshold (None: no threshold certified, never answer) and what it buys."""

    threshold: float | None
    coverage: float  # share of calibration requests answered
    selective_risk: float | None  # empirical error rate among them (None when none answered)
    risk_upper: float | None  # one-sided (1 - delta) Clopper-Pearson bound on that risk
    n: int
    n_answered: int
    p_value: float | None  # at the chosen threshold
    n_tested: int  # thresholds tested before the sequence stopped
    alpha: float
    delta: float

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def min_answered(alpha: float, delta: float) -> int:
    """Fewest answered requests with which zero errors can reject H0: (1 - alpha)^n <= delta."""
    return math.ceil(math.log(delta) / math.log1p(-alpha))


def _check_levels(alpha: float, delta: float) -> None:
    for name, value in (("alpha", alpha), ("delta", delta)):
        if not 0.0 < value < 1.0:
            raise InputError(f"{name} must be in (0, 1), got {value}", field=name)


def clopper_pearson_upper(errors: int, n: int, delta: float) -> float:
    """One-sided upper (1 - delta) bound on a binomial rate."""
    from scipy.stats import beta

    return 1.0 if errors >= n else float(beta.ppf(1.0 - delta, errors + 1, n - errors))


def start_answered(alpha: float, delta: float) -> int:
    """Answered count at which the sequence starts: the fewest with which an observed error
    rate of alpha/2 would already certify alpha. Earlier tests have so little power that one
    early error would stop the whole sequence by chance."""
    from scipy.stats import binom

    n = min_answered(alpha, delta)
    while binom.cdf(math.floor(alpha * n / 2), n, alpha) > delta:
        n += 1
    return n


def fixed_sequence(answered: np.ndarray, errors: np.ndarray, alpha: float, delta: float
                   ) -> tuple[int | None, int, np.ndarray]:
    """Fixed-sequence binomial tests over nested answer sets ordered most conservative first.

    Returns the index of the last rejected hypothesis (None when the first is not rejected),
    how many were tested, and the p-values (NaN where not testable). The sequence starts at the first set answering
    `start_answered` requests (or, with fewer data, `min_answered`, below which nothing can
    reject): the skipped prefix is fixed by the label-free confidences alone, so it does not
    touch the guarantee.
    """
    from scipy.stats import binom

    answered, errors = np.asarray(answered), np.asarray(errors)
    p_values = np.full(len(answered), np.nan)  # NaN: not tested
    start = start_answered(alpha, delta)
    if len(answered) == 0 or answered.max() < start:
        start = min_answered(alpha, delta)
    testable = np.flatnonzero(answered >= start)
    p_values[testable] = binom.cdf(errors[testable], answered[testable], alpha)
    if len(testable) == 0:
        return None, 0, p_values
    failed = np.flatnonzero(p_values[testable] > delta)
    n_rejected = int(failed[0]) if len(failed) else len(testable)
    n_tested = min(n_rejected + 1, len(testable))
    return (int(testable[n_rejected - 1]) if n_rejected else None), n_tested, p_values


def select_threshold(conf: Any, correct: Any, alpha: float, delta: float,
                     grid: Sequence[float] | None = None) -> SelectiveResult:
    """Choose the lowest threshold certified by fixed-sequence Learn-then-Test.

    The default grid is every distinct confidence; a request is answered when its
    confidence is >= the threshold.
    """
    _check_levels(alpha, delta)
    x = np.asarray(conf, dtype=float).ravel()
    wrong = ~np.asarray(correct).astype(bool).ravel()
    if len(x) != len(wrong) or len(x) == 0:
        raise InputError(f"{len(x)} confidences but {len(wrong)} labels", field="correct")
    if not np.all(np.isfinite(x)):
        raise InputError("confidences must be finite", field="conf")
    candidates = np.unique(x if grid is None else np.asarray(grid, dtype=float))[::-1]  # high to low
    order = np.argsort(-x, kind="stable")
    sorted_x, cum_wrong = x[order], np.r_[0, np.cumsum(wrong[order])]
    answered = np.searchsorted(-sorted_x, -candidates, side="right")  # count of x >= threshold
    errors = cum_wrong[answered]
    k, n_tested, p_values = fixed_sequence(answered, errors, alpha, delta)
    if k is None:
        tested = np.flatnonzero(~np.isnan(p_values))
        return SelectiveResult(None, 0.0, None, None, len(x), 0,
                               float(p_values[tested[0]]) if len(tested) else None, n_tested, alpha, delta)
    n_ans, n_err = int(answered[k]), int(errors[k])
    return SelectiveResult(float(candidates[k]), n_ans / len(x), n_err / n_ans,
                           clopper_pearson_upper(n_err, n_ans, delta), len(x), n_ans, float(p_values[k]),
                           n_tested, alpha, delta)
