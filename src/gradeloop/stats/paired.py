"""Paired comparison of two runs on the same cases: candidate minus baseline.

Cases are aligned by index; each case's sample values are averaged first and the per-case
differences d_i = cand_i - base_i carry the comparison (Miller 2024: pairing removes the
between-case variance both runs share). The estimate is the mean difference with the
clustered standard error ``sd(d, ddof=1) / sqrt(n)``. Which test and interval apply:

- p-values: binary data with one sample per case -> exact McNemar (binomial test on the
  discordant pairs, any n). Otherwise, fewer than 30 cases (or all differences equal) ->
  sign-flip permutation test on d (exact up to 16 cases, else 65,536 seeded resamples).
  Otherwise the paired t-test on d.
- interval: binary data -> Newcombe's hybrid score interval for paired proportions (his
  method 10: MOVER on the two Wilson intervals with the phi correlation; with K > 1
  samples per case the Wilson intervals use each run's effective sample size and phi is
  the correlation of case means). It stays inside [-1, 1] and is not degenerate when
  nothing differs. Otherwise a t-interval on d, clipped to [-1, 1].
- no cases: mean 0, interval [-1, 1], every p-value 1, method "empty".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from gradeloop.errors import InputError
from gradeloop.stats.cases import CaseData, case_data, check_level
from gradeloop.stats.estimate import Estimate, interval, summarise, t_interval

def _sps():
    """scipy.stats, imported on first use: it costs ~0.5 s of start-up for every command."""
    from scipy import stats

    return stats


SMALL_N = 30
_EXACT_RESAMPLES = 2 ** 16
_SEED = 20240101


@dataclass(frozen=True, slots=True)
class PairedResult:
    """Candidate minus baseline with its interval, p-values and the method that produced them."""

    diff: Estimate
    p_value_two_sided: float
    p_value_less: float  # H1: candidate < baseline (a regression)
    p_value_greater: float  # H1: candidate > baseline (an improvement)
    method: str
    n_discordant: int  # cases whose two runs differ (for McNemar: the discordant pairs)

    def as_dict(self) -> dict:
        return {"diff": self.diff.as_dict(), "p_value_two_sided": self.p_value_two_sided,
                "p_value_less": self.p_value_less, "p_value_greater": self.p_value_greater,
                "method": self.method, "n_discordant": self.n_discordant}


def newcombe_interval(p1: float, ci1: tuple[float, float], p2: float, ci2: tuple[float, float],
                      phi: float) -> tuple[float, float]:
    """MOVER interval for p1 - p2 from each proportion's score interval and their correlation."""
    (l1, u1), (l2, u2) = ci1, ci2
    theta = p1 - p2
    lower_sq = (p1 - l1) ** 2 - 2.0 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2
    upper_sq = (u1 - p1) ** 2 - 2.0 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2
    low = theta - math.sqrt(max(lower_sq, 0.0))
    high = theta + math.sqrt(max(upper_sq, 0.0))
    return max(-1.0, low), min(1.0, high)


def _mcnemar_phi(b: np.ndarray, c: np.ndarray) -> float:
    """Newcombe's phi for the 2x2 paired table, shrunk by n/2 when positive (his method 10)."""
    n = b.size
    a = float(np.sum((c == 1) & (b == 1)))
    bb = float(np.sum((c == 1) & (b == 0)))
    cc = float(np.sum((c == 0) & (b == 1)))
    d = float(np.sum((c == 0) & (b == 0)))
    denom = (a + bb) * (cc + d) * (a + cc) * (bb + d)
    if denom <= 0.0:
        return 0.0
    num = a * d - bb * cc
    if num > 0.0:
        num = max(num - n / 2.0, 0.0)
    return num / math.sqrt(denom)


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 2 or x.std() == 0.0 or y.std() == 0.0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def _sign_flip(d: np.ndarray) -> tuple[float, float, float]:
    """Two-sided, less, greater p-values of the sign-flip permutation test of mean(d) = 0."""
    if not np.any(d):
        return 1.0, 1.0, 1.0
    if np.all(d == d[0]):  # only the identity arrangement is as extreme: 2^-n
        tail = 0.5 ** d.size
        return min(1.0, 2.0 * tail), (tail if d[0] < 0 else 1.0), (tail if d[0] > 0 else 1.0)

    def p(alternative: str) -> float:
        res = _sps().permutation_test((d,), np.mean, permutation_type="samples", vectorized=True,
                                   alternative=alternative, n_resamples=_EXACT_RESAMPLES,
                                   rng=np.random.default_rng(_SEED))
        return float(min(1.0, res.pvalue))

    return p("two-sided"), p("less"), p("greater")


def _t_test(d: np.ndarray) -> tuple[float, float, float]:
    return tuple(float(_sps().ttest_1samp(d, 0.0, alternative=alt).pvalue)  # type: ignore[return-value]
                 for alt in ("two-sided", "less", "greater"))


def _mcnemar(b: np.ndarray, c: np.ndarray) -> tuple[float, float, float]:
    wins = int(np.sum((c == 1) & (b == 0)))
    n_disc = wins + int(np.sum((c == 0) & (b == 1)))
    if n_disc == 0:
        return 1.0, 1.0, 1.0
    return tuple(float(_sps().binomtest(wins, n_disc, 0.5, alternative=alt).pvalue)  # type: ignore[return-value]
                 for alt in ("two-sided", "less", "greater"))


def aligned_cases(base: Sequence[Sequence[float]],
                  cand: Sequence[Sequence[float]]) -> tuple[CaseData, CaseData]:
    """Validate two runs over the same cases (aligned by index)."""
    b, c = case_data(base, "base"), case_data(cand, "cand")
    if b.n_cases != c.n_cases:
        raise InputError(f"runs must cover the same cases: base has {b.n_cases}, cand has {c.n_cases}",
                         field="cand")
    return b, c


def descriptive_interval(b: CaseData, c: CaseData, level: float) -> tuple[float, float, str]:
    """Newcombe's interval for binary data, else the t-interval on the per-case differences."""
    n = b.n_cases
    if b.binary and c.binary:
        single = bool(np.all(b.counts == 1) and np.all(c.counts == 1))
        sb, sc = summarise(b), summarise(c)
        phi = _mcnemar_phi(b.means, c.means) if single else _correlation(c.means, b.means)
        lo, hi = newcombe_interval(sc.mean, interval(sc, level), sb.mean, interval(sb, level), phi)
        return lo, hi, "newcombe"
    d = c.means - b.means
    stderr = float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    lo, hi = t_interval(float(d.mean()), stderr, n, level, -1.0, 1.0)
    return lo, hi, "t"


def paired_difference(base: Sequence[Sequence[float]], cand: Sequence[Sequence[float]],
                      level: float = 0.95) -> PairedResult:
    """Estimate cand - base over index-aligned cases, with p-values for both directions."""
    level = check_level(level)
    b, c = aligned_cases(base, cand)
    n = b.n_cases
    n_samples = b.n_samples + c.n_samples
    if n == 0:
        return PairedResult(Estimate(0.0, 0.0, -1.0, 1.0, 0, 0, level), 1.0, 1.0, 1.0, "empty", 0)
    d = c.means - b.means
    mean = float(d.mean())
    stderr = float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    n_disc = int(np.count_nonzero(d))
    single = bool(np.all(b.counts == 1) and np.all(c.counts == 1))
    binary = b.binary and c.binary

    if binary and single:
        p_values, test = _mcnemar(b.means, c.means), "mcnemar_exact"
    elif n < SMALL_N or np.all(d == d[0]):
        p_values, test = _sign_flip(d), "sign_flip_permutation"
    else:
        p_values, test = _t_test(d), "paired_t"

    lo, hi, ci_name = descriptive_interval(b, c, level)
    diff = Estimate(mean, stderr, lo, hi, n, n_samples, level)
    two, less, greater = p_values
    return PairedResult(diff, two, less, greater, f"{test}; {ci_name} interval", n_disc)
