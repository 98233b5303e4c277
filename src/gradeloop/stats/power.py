"""Power planning: the smallest effect a design can detect and the cases needed for a given one.

Miller 2024: the variance of one case's mean is omega^2 + sigma^2 / K (between-case variance
of the true values plus the within-case sampling variance over K samples), and a test at
level alpha with power 1 - beta needs about ``n = (z_a + z_b)^2 (omega^2 + sigma^2/K) / delta^2``
cases. For a paired comparison the same formula holds with the variance parts of the
per-case difference. With one sample per case the two parts cannot be told apart: all the
variance is counted as between-case, so more samples per case will not appear to help.

Two corrections make the promise hold (issue 11: the normal formula promised 0.80 and the
gate delivered 0.71-0.77 at a 10-point drop):

- the gate fails a drop only beyond its practical `margin`, so the effect the test must see
  is ``delta - margin``, not delta;
- the gate decides with a t statistic on n - 1 degrees of freedom, so power is computed from
  the noncentral t distribution (``P(T' > t_crit)``, T' ~ nct(n - 1, (delta - margin) sqrt(n) / sd)),
  and n is the smallest count whose exact power reaches the target.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from gradeloop.errors import InputError
from gradeloop.stats.cases import CaseData, case_data, check_probability
from gradeloop.stats.paired import aligned_cases


def _sps():
    """scipy.stats, imported on first use: it costs ~0.5 s of start-up for every command."""
    from scipy import stats

    return stats


@dataclass(frozen=True, slots=True)
class VarianceParts:
    """Between-case variance (omega^2), within-case variance of one sample (sigma^2), and K."""

    between: float
    within: float
    samples_per_case: float

    @property
    def total(self) -> float:
        """Variance of one case's mean over K samples: omega^2 + sigma^2 / K."""
        return self.between + self.within / self.samples_per_case


def _within(data: CaseData) -> float:
    multi = data.within_var[data.counts > 1]
    return float(multi.mean()) if multi.size else 0.0


def _harmonic_k(*counts: np.ndarray) -> float:
    allk = np.concatenate(counts).astype(float)
    return float(allk.size / np.sum(1.0 / allk))


def _need_two(n: int, field: str) -> None:
    if n < 2:
        raise InputError(f"need at least two cases to estimate a variance, got {n}", field=field)


def variance_parts(per_case: Sequence[Sequence[float]]) -> VarianceParts:
    """Method-of-moments split of one run's case-mean variance into omega^2 and sigma^2/K."""
    data = case_data(per_case)
    _need_two(data.n_cases, "per_case")
    within = _within(data)
    k = _harmonic_k(data.counts)
    between = max(0.0, float(data.means.var(ddof=1)) - within / k)
    return VarianceParts(between, within, k)


def paired_variance_parts(base: Sequence[Sequence[float]],
                          cand: Sequence[Sequence[float]]) -> VarianceParts:
    """Variance parts of the per-case difference cand - base (within = sigma_b^2 + sigma_c^2)."""
    b, c = aligned_cases(base, cand)
    _need_two(b.n_cases, "base")
    within = _within(b) + _within(c)
    k = _harmonic_k(b.counts, c.counts)
    between = max(0.0, float((c.means - b.means).var(ddof=1)) - within / k)
    return VarianceParts(between, within, k)


def _z_sum(alpha: float, power: float, one_sided: bool) -> float:
    alpha = check_probability(alpha, "alpha")
    power = check_probability(power, "power")
    z_a = _sps().norm.ppf(1.0 - alpha) if one_sided else _sps().norm.ppf(1.0 - alpha / 2.0)
    return float(z_a + _sps().norm.ppf(power))


def _tail(alpha: float, one_sided: bool) -> float:
    return alpha if one_sided else alpha / 2.0


def t_power(n: int | np.ndarray, shift: float, sd: float, alpha: float = 0.05,
            one_sided: bool = True) -> np.ndarray | float:
    """Power of the one-sample t test on n per-case differences to see a true shift `shift`
    (already net of any margin) at level alpha: P(nct(n-1, shift sqrt(n)/sd) > t_crit)."""
    n_arr = np.asarray(n, dtype=float)
    df = np.maximum(n_arr - 1.0, 1.0)
    crit = _sps().t.ppf(1.0 - _tail(alpha, one_sided), df)
    ncp = shift * np.sqrt(n_arr) / sd if sd > 0 else np.full_like(n_arr, np.inf)
    out = _sps().nct.sf(crit, df, ncp)
    return float(out) if np.ndim(out) == 0 else out


def _check_margin(margin: float) -> float:
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0.0 <= margin < 1.0:
        raise InputError(f"margin must be a number in [0, 1), got {margin!r}", field="margin")
    return float(margin)


def minimum_detectable_effect(base: Sequence[Sequence[float]],
                              cand: Sequence[Sequence[float]] | None = None,
                              alpha: float = 0.05, power: float = 0.8,
                              one_sided: bool = True, margin: float = 0.0) -> float:
    """Smallest true difference detected with `power` at this many cases (inf below 2 cases).

    With both runs it uses the observed variance of the paired differences; with the baseline
    only, 2 x (omega^2 + sigma^2/K) of the baseline (two independent runs, no pairing gain).
    The t test on n - 1 degrees of freedom must see the difference beyond `margin`, so the
    answer is margin + ncp * sd / sqrt(n), ncp the noncentrality that gives `power`. A design
    whose observed variance is 0 reports the margin: nothing varied, so nothing else bounds it.
    """
    _z_sum(alpha, power, one_sided)  # validates alpha and power
    margin = _check_margin(margin)
    n = len(base)
    if n < 2:
        case_data(base, "base")  # still reject malformed input
        return math.inf
    var = paired_variance_parts(base, cand).total if cand is not None else 2.0 * variance_parts(base).total
    if var <= 0.0:
        return margin
    sd = math.sqrt(var)
    df = n - 1
    crit = float(_sps().t.ppf(1.0 - _tail(alpha, one_sided), df))
    hi = crit + 2.0 * _sps().norm.ppf(power) + 10.0
    from scipy.optimize import brentq

    ncp = brentq(lambda d: float(_sps().nct.sf(crit, df, d)) - power, -10.0, hi)
    return margin + ncp * sd / math.sqrt(n)


def required_cases(effect: float, between_var: float, within_var: float = 0.0,
                   samples_per_case: int = 1, alpha: float = 0.05, power: float = 0.8,
                   one_sided: bool = True, margin: float = 0.0) -> int:
    """Cases needed for the t test to see a drop of `effect` beyond `margin` with `power`.

    The smallest n whose noncentral-t power reaches `power` (see the module docstring);
    about (z_a + z_b)^2 (omega^2 + sigma^2/K) / (effect - margin)^2, a few cases more at small n.
    For a paired comparison pass the variance of the per-case difference as `between_var`
    (or its parts from `paired_variance_parts`); e.g. two models that disagree on 20% of
    cases give var(d) ~ 0.2. With no variance at all two cases suffice.
    """
    checks = (("effect", effect, effect > 0), ("between_var", between_var, between_var >= 0),
              ("within_var", within_var, within_var >= 0),
              ("samples_per_case", samples_per_case, samples_per_case >= 1))
    for name, value, ok in checks:
        if isinstance(value, bool) or not (isinstance(value, (int, float)) and math.isfinite(value) and ok):
            raise InputError(f"invalid value {value!r}", field=name)
    margin = _check_margin(margin)
    if effect <= margin:
        raise InputError(f"a drop of {effect:g} is within the margin {margin:g} and never fails the gate; "
                         "plan for an effect larger than the margin", field="effect")
    z = _z_sum(alpha, power, one_sided)
    var = between_var + within_var / samples_per_case
    if var <= 0.0:
        return 2
    sd, shift = math.sqrt(var), effect - margin
    start = max(2, math.floor(z * z * var / (shift * shift)))
    width = 64
    while True:  # the t answer is at or a little above the normal one; scan upward in blocks
        ns = np.arange(start, start + width)
        ok = np.flatnonzero(t_power(ns, shift, sd, alpha, one_sided) >= power)
        if ok.size:
            return int(ns[ok[0]])
        start, width = start + width, width * 2
