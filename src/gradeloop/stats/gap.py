"""The largest gap between strata (locales, dialects, groups): is the worst-treated one really worse?

Each stratum gets its own clustered Estimate. The gap between two strata is an unpaired
difference (different cases), with standard error sqrt(se_a^2 + se_b^2) and a MOVER interval
(Newcombe's square-and-add) built from the two strata's score intervals (`estimate.interval`:
Wilson-type on the effective sample size, t quantile for scores). So it stays inside [-1, 1]
and behaves at 0/n and n/n. The interval of the largest gap is Bonferroni-corrected over the m(m-1)/2 pairs.
Each pair's p-value is Fisher's exact test when both strata are pass/fail with one sample per
case (valid at any n, where inverting a score interval would be liberal at small n);
otherwise it inverts the MOVER interval (the smallest alpha at which it excludes 0). The
p-values are Holm-adjusted over all pairs. Strata with no cases are reported but take no part in a pair.

`largest_lower` is the largest corrected lower bound over all pairs (each ordered higher minus
lower mean): the gap the data shows beyond noise and beyond the choice of the worst pair.
Judging a fairness limit on it fails a gap-free suite at most alpha of the time, where the
observed largest gap (the maximum of m(m-1)/2 noisy differences) overshoots the true gap of
0: five gap-free strata of 40 cases show a largest gap above 0.10 three times in four.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from gradeloop.errors import InputError
from gradeloop.stats.cases import case_data, check_level
from gradeloop.stats.estimate import Estimate, Summary, from_summary, interval, summarise
from gradeloop.stats.multiple import bonferroni_level, holm

def _sps():
    """scipy.stats, imported on first use: it costs ~0.5 s of start-up for every command."""
    from scipy import stats

    return stats


_P_FLOOR = 1e-12
_BISECT = 40


@dataclass(frozen=True, slots=True)
class GapResult:
    """Per-stratum estimates and the largest pairwise gap (best minus worst) with its evidence."""

    estimates: Mapping[str, Estimate]
    pair: tuple[str, str] | None  # (best stratum, worst stratum)
    gap: Estimate | None  # best - worst, interval Bonferroni-corrected over n_pairs
    p_value: float  # Holm-adjusted over all pairs
    p_value_raw: float
    n_pairs: int
    largest_lower: float = 0.0  # largest corrected lower bound of a pair's gap (0 without pairs)

    def as_dict(self) -> dict:
        return {"estimates": {k: v.as_dict() for k, v in self.estimates.items()},
                "pair": list(self.pair) if self.pair else None,
                "gap": self.gap.as_dict() if self.gap else None,
                "p_value": self.p_value, "p_value_raw": self.p_value_raw, "n_pairs": self.n_pairs,
                "largest_lower": self.largest_lower}


def mover_interval(a: Summary, b: Summary, level: float) -> tuple[float, float]:
    """Interval for mean(a) - mean(b) of independent strata from their own intervals."""
    la, ua = interval(a, level)
    lb, ub = interval(b, level)
    theta = a.mean - b.mean
    low = theta - math.hypot(a.mean - la, ub - b.mean)
    high = theta + math.hypot(ua - a.mean, b.mean - lb)
    return max(-1.0, low), min(1.0, high)


def gap_p_value(a: Summary, b: Summary, single: bool = False) -> float:
    """Two-sided p-value for mean(a) = mean(b): Fisher exact if `single` pass/fail, else MOVER."""
    if a.mean == b.mean:
        return 1.0
    if single and a.binary and b.binary:
        pa, pb = round(a.mean * a.n_cases), round(b.mean * b.n_cases)
        table = [[pa, a.n_cases - pa], [pb, b.n_cases - pb]]
        return float(_sps().fisher_exact(table).pvalue)

    def excludes_zero(alpha: float) -> bool:
        lo, hi = mover_interval(a, b, 1.0 - alpha)
        return lo > 0.0 or hi < 0.0

    if excludes_zero(_P_FLOOR):
        return _P_FLOOR
    if not excludes_zero(1.0 - 1e-9):
        return 1.0
    lo, hi = math.log(_P_FLOOR), math.log(1.0 - 1e-9)  # wide (keeps 0) at lo, excludes 0 at hi
    for _ in range(_BISECT):
        mid = (lo + hi) / 2.0
        if excludes_zero(math.exp(mid)):
            hi = mid
        else:
            lo = mid
    return math.exp(hi)


def max_gap(strata: Mapping[str, Sequence[Sequence[float]]], level: float = 0.95) -> GapResult:
    """Each stratum's estimate and the largest gap between two of them, multiplicity-corrected."""
    level = check_level(level)
    if not isinstance(strata, Mapping):
        raise InputError(f"expected a mapping of stratum name to cases, got {type(strata).__name__}",
                         field="strata")
    data = {str(name): case_data(cases, f"strata[{name!r}]") for name, cases in strata.items()}
    summaries = {name: summarise(d) for name, d in data.items()}
    single = {name: bool(np.all(d.counts == 1)) for name, d in data.items()}
    estimates = {name: from_summary(s, level) for name, s in summaries.items()}
    names = [name for name, s in summaries.items() if s.n_cases > 0]
    pairs = list(itertools.combinations(names, 2))
    if not pairs:
        return GapResult(estimates, None, None, 1.0, 1.0, 0)
    raw = [gap_p_value(summaries[x], summaries[y], single[x] and single[y]) for x, y in pairs]
    adjusted = holm(raw)
    best = max(names, key=lambda k: summaries[k].mean)
    worst = min(names, key=lambda k: summaries[k].mean)
    if best == worst:  # all means equal: report the first pair, no gap
        best, worst = pairs[0]
    idx = next(i for i, p in enumerate(pairs) if set(p) == {best, worst})
    a, b = summaries[best], summaries[worst]
    corrected = bonferroni_level(level, len(pairs))
    lo, hi = mover_interval(a, b, corrected)
    gap = Estimate(a.mean - b.mean, math.hypot(a.stderr, b.stderr), lo, hi,
                   a.n_cases + b.n_cases, a.n_samples + b.n_samples, level)
    lowers = [mover_interval(*sorted((summaries[x], summaries[y]), key=lambda s: -s.mean), corrected)[0]
              for x, y in pairs]
    return GapResult(estimates, (best, worst), gap, adjusted[idx], raw[idx], len(pairs),
                     max(0.0, max(lowers)))
