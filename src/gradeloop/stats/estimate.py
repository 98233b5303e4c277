"""A mean with an honest interval: clustered over the samples of each case.

Choices (after Miller 2024, "Adding Error Bars to Evals"):

- The K samples of a case are averaged first; the mean is the average of the case means
  (every case weighs the same, whatever its number of samples) and the standard error is
  the CLT one on case means, ``sd(case means, ddof=1) / sqrt(n_cases)`` — the clustered
  standard error. With fewer than two cases it is undefined and reported as 0; the interval
  then carries the uncertainty.
- The interval is a quasi-binomial score (Wilson) interval on an effective sample size.
  Values lie in [0, 1], so the variance of a case mean is at most p(1 - p); its observed
  share, the dispersion ``phi = var(case means, ddof=1) / (p(1 - p))``, turns the cases into
  ``n_eff = n_cases / phi`` Bernoulli-equivalent trials. Inverting the score test keeps the
  interval inside [0, 1], makes it asymmetric near 0 and 1 where case means are skewed, and
  is not degenerate at 0/n or n/n. A symmetric t-interval on skewed case means covered only
  0.64 at 10 cases near 0 or 1 (bench/coverage.py).
- Tail guard: near 0 (or 1) a mean carried by a few cases has an unseen tail — the cases
  that would be far from the rest are the rare ones — so phi is floored at
  ``TAIL / n_c`` where ``n_c = (sum y)^2 / sum y^2`` counts the cases that carry the
  distance from the nearer bound (y = case means, or 1 - case means above 0.5). With
  many contributing cases the floor is negligible; with one or two it approaches the
  all-or-nothing worst case, phi = 1.
- Binary data (every value 0 or 1): the Estimate reports the mid-p exact binomial interval on
  n_eff passes' worth (p n_eff of n_eff; fractional counts through the incomplete beta). With
  one sample per case n_eff = n_cases and it is the textbook mid-p interval: over every p its
  coverage stays >= 0.92 from 10 cases on, where Wilson dips to 0.84-0.90 near 0 and 1 (0.914
  at 10 cases and p = 0.05) and Jeffreys to 0.87-0.89. With K > 1, phi is also at least 1/K
  (n_eff <= n_samples). `interval` (what MOVER differences combine, e.g. Newcombe's paired
  interval) stays the Wilson score interval on the same n_eff, with the normal quantile: the
  variance of pass/fail data is a function of the mean, not an estimate. Non-binary
  scores use the t quantile on n_cases - 1 degrees of freedom (their dispersion is
  estimated); with a single case the interval is the whole [0, 1]. When p is 0 or 1 (or
  there is one case), phi = 1: n_eff = n_cases, the conservative end.
- No cases (n = 0): mean 0, stderr 0, interval [0, 1], n_cases = n_samples = 0 — a value
  that serialises and says "no information" instead of a NaN.

`interval_rows` is the same interval vectorised over many replicate data sets; the
coverage bench and simulation tests use it, so they measure exactly what `estimate` does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import special  # ufunc quantiles: ~1 us, where scipy.stats' are ~50 us

from gradeloop.errors import InputError
from gradeloop.stats.cases import CaseData, case_data, check_level

_FIELDS = ("mean", "stderr", "ci_low", "ci_high", "n_cases", "n_samples")


@dataclass(frozen=True, slots=True)
class Estimate:
    """A number that never travels without its interval and the counts behind it."""

    mean: float
    stderr: float
    ci_low: float
    ci_high: float
    n_cases: int
    n_samples: int
    level: float = 0.95

    def as_dict(self) -> dict[str, float | int]:
        """The six contract fields plus `level`, as plain JSON-ready numbers."""
        return {"mean": self.mean, "stderr": self.stderr, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "n_cases": self.n_cases, "n_samples": self.n_samples,
                "level": self.level}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None,
                  line: int | None = None, field: str = "estimate") -> "Estimate":
        """Read back `as_dict()` output; a missing or non-numeric field is an InputError."""
        if not isinstance(data, Mapping):
            raise InputError(f"expected a mapping, got {type(data).__name__}", file=file,
                             line=line, field=field)
        values: dict[str, Any] = {}
        for name in (*_FIELDS, "level"):
            if name not in data:
                if name == "level":
                    continue
                raise InputError("missing", file=file, line=line, field=f"{field}.{name}")
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(f"expected a finite number, got {value!r}", file=file, line=line,
                                 field=f"{field}.{name}")
            if name in ("n_cases", "n_samples"):
                if value < 0 or int(value) != value:
                    raise InputError(f"expected a count, got {value!r}", file=file, line=line,
                                     field=f"{field}.{name}")
                value = int(value)
            values[name] = float(value) if name not in ("n_cases", "n_samples") else value
        return cls(**values)


@dataclass(frozen=True)
class Summary:
    """What an interval needs from the data, so intervals can be recomputed at other levels."""

    mean: float
    sd: float  # sd of the per-case values, ddof=1 (0 with fewer than two cases)
    n_cases: int
    n_samples: int
    binary: bool
    n_eff: float  # effective sample size of the score interval
    df: float = math.inf  # degrees of freedom of its quantile (inf: normal)

    @property
    def stderr(self) -> float:
        return self.sd / math.sqrt(self.n_cases) if self.n_cases > 1 else 0.0


TAIL = 0.8  # tail-guard constant: phi >= TAIL / n_c (chosen by bench/coverage.py)


def z_value(level: float) -> float:
    """Two-sided standard normal quantile for a confidence level."""
    return float(special.ndtri(0.5 + level / 2.0))


def quantile(level: float, df: float) -> float:
    """Two-sided quantile: Student t on `df` degrees of freedom, normal when df is infinite."""
    if math.isinf(df):
        return z_value(level)
    return float(special.stdtrit(df, 0.5 + level / 2.0))


def _wilson(p: np.ndarray | float, n: np.ndarray | float, q: np.ndarray | float):
    """Wilson score bounds for proportion(s) p over (effective) size(s) n > 0 at quantile q."""
    q2n = q * q / n
    centre = (p + q2n / 2.0) / (1.0 + q2n)
    half = q * np.sqrt(np.maximum(p * (1.0 - p) / n + q2n / (4.0 * n), 0.0)) / (1.0 + q2n)
    return np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)


def wilson_interval(p: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion `p` seen over (effective) sample size `n`."""
    if n <= 0:
        return 0.0, 1.0
    lo, hi = _wilson(p, n, z_value(level))
    return float(lo), float(hi)


def t_interval(mean: float, stderr: float, n: int, level: float,
               lo: float, hi: float) -> tuple[float, float]:
    """Student-t interval on n per-case values, clipped to [lo, hi]; the whole range if n < 2."""
    if n < 2:
        return lo, hi
    half = float(special.stdtrit(n - 1, 0.5 + level / 2.0)) * stderr
    return max(lo, mean - half), min(hi, mean + half)


def _midp(p: np.ndarray | float, n: np.ndarray | float, level: float, iters: int = 40):
    """Mid-p exact binomial interval for proportion(s) p over size(s) n (n may be fractional).

    Each bound solves P(X > x) + P(X = x)/2 = (1 - level)/2 in its tail, written with the
    regularised incomplete beta so that x = p n and n need not be integers:
    G(q) = (I_q(x, n - x + 1) + I_q(x + 1, n - x)) / 2 is increasing in q, the lower bound is
    G = tail and the upper G = 1 - tail (0 at x = 0, 1 at x = n). Solved by bisection.
    """
    p, n = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(n, dtype=float))
    x = p * n
    tail = (1.0 - level) / 2.0
    if p.size == 1:  # one estimate: Brent's method, ~40x faster than bisecting 0-d arrays
        return _midp_scalar(float(x.flat[0]), float(n.flat[0]), tail)

    def solve(target: float) -> np.ndarray:
        lo, hi = _bracket(x, n, target)
        lo, hi = np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=1.0)
        for _ in range(iters):
            mid = (lo + hi) / 2.0
            g = 0.5 * (special.betainc(x, n - x + 1.0, mid) + special.betainc(x + 1.0, n - x, mid))
            below = g < target
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return (lo + hi) / 2.0

    low = np.where(p <= 0.0, 0.0, solve(tail))
    high = np.where(p >= 1.0, 1.0, solve(1.0 - tail))
    return low, high


def _midp_scalar(x: float, n: float, tail: float) -> tuple[float, float]:
    """`_midp` for a single proportion: the same equations, solved with Brent's method."""
    from scipy.optimize import brentq

    betainc = special.betainc

    def g(q: float) -> float:
        return 0.5 * (float(betainc(x, n - x + 1.0, q)) + float(betainc(x + 1.0, n - x, q)))

    def root(target: float) -> float:
        a, b = (float(v) for v in _bracket(x, n, target))
        if not (0.0 <= a <= b <= 1.0) or (g(a) - target) * (g(b) - target) > 0.0:
            a, b = 0.0, 1.0  # rounding at extreme counts: fall back to the whole range
        elif b - a <= 1e-15:
            return (a + b) / 2.0
        return brentq(lambda q: g(q) - target, a, b, xtol=1e-15)

    low = 0.0 if x <= 0.0 else root(tail)
    high = 1.0 if x >= n else root(1.0 - tail)
    return low, high


def _bracket(x, n, target):
    """Where G(q) = target lies: between the roots of its two terms (each is I_q(...) = target)."""
    with np.errstate(all="ignore"):
        a = special.betaincinv(np.maximum(x, 1e-300), n - x + 1.0, target)
        b = special.betaincinv(x + 1.0, np.maximum(n - x, 1e-300), target)
    return np.minimum(a, b), np.maximum(a, b)


def midp_interval(p: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Mid-p exact interval for a proportion `p` over (effective) size `n`: what pass/fail Estimates report."""
    if n <= 0:
        return 0.0, 1.0
    lo, hi = _midp(p, n, level)
    return float(lo), float(hi)


def interval(summary: Summary, level: float) -> tuple[float, float]:
    """The score (Wilson-type) interval on n_eff, at any level: what MOVER differences combine."""
    if summary.n_cases == 0 or summary.n_eff <= 0:
        return 0.0, 1.0
    if not summary.binary and summary.n_cases < 2:
        return 0.0, 1.0
    lo, hi = _wilson(summary.mean, summary.n_eff, quantile(level, summary.df))
    return float(lo), float(hi)


def estimate_interval(summary: Summary, level: float) -> tuple[float, float]:
    """The interval an Estimate reports: mid-p exact on n_eff for pass/fail, else `interval`."""
    if summary.binary and summary.n_cases > 0 and summary.n_eff > 0:
        lo, hi = _midp(summary.mean, summary.n_eff, level)
        return float(lo), float(hi)
    return interval(summary, level)


def effective_rows(means: np.ndarray, n_samples: np.ndarray | float, binary: bool,
                   single: bool = False) -> np.ndarray:
    """n_eff of each row of case means (shape R x n): n / phi, phi as the docstring says."""
    means = np.atleast_2d(np.asarray(means, dtype=float))
    rows, n = means.shape
    if n == 0:
        return np.zeros(rows)
    if single or n < 2:
        return np.full(rows, float(n))
    p = means.mean(axis=1)
    pq = p * (1.0 - p)
    var1 = means.var(axis=1, ddof=1)
    near = np.where((p <= 0.5)[:, None], means, 1.0 - means)
    tot, sq = near.sum(axis=1), (near * near).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(pq > 0.0, var1 / pq, 1.0)
        n_c = np.where(sq > 0.0, tot * tot / sq, 0.0)
        phi = np.maximum(phi, np.where(n_c > 0.0, TAIL / n_c, 1.0))
        if binary:
            phi = np.maximum(phi, n / np.asarray(n_samples, dtype=float))
    phi = np.where(pq > 0.0, np.minimum(phi, 1.0), 1.0)
    return n / phi


def interval_rows(means: np.ndarray, samples_per_case: int, binary: bool,
                  level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """`estimate`'s interval for R replicate data sets at once (R x n case means, K samples each)."""
    means = np.atleast_2d(np.asarray(means, dtype=float))
    n = means.shape[1]
    single = binary and samples_per_case == 1
    n_eff = effective_rows(means, n * samples_per_case, binary, single)
    p = means.mean(axis=1)
    if n == 0 or (not binary and n < 2):
        return np.zeros(len(p)), np.ones(len(p))
    if binary:
        return _midp(p, n_eff, level)
    return _wilson(p, n_eff, quantile(level, n - 1))


def summarise(data: CaseData) -> Summary:
    """Mean, clustered spread and effective size of validated case data."""
    n = data.n_cases
    if n == 0:
        return Summary(0.0, 0.0, 0, 0, data.binary, 0.0)
    sd = float(data.means.std(ddof=1)) if n > 1 else 0.0
    single = data.binary and bool(np.all(data.counts == 1))
    n_eff = float(effective_rows(data.means, data.n_samples, data.binary, single)[0])
    df = math.inf if data.binary else float(max(n - 1, 1))
    return Summary(float(data.means.mean()), sd, n, data.n_samples, data.binary, n_eff, df)


def summary_from_values(values: Sequence[float], n_samples: int) -> Summary:
    """Summary of one value per case (e.g. per-case pass^k): binary values get plain Wilson,
    others the score interval of non-binary case means."""
    arr = np.asarray(values, dtype=float)
    n = int(arr.size)
    binary = bool(np.all((arr == 0.0) | (arr == 1.0)))
    if n == 0:
        return Summary(0.0, 0.0, 0, 0, binary, 0.0)
    sd = float(arr.std(ddof=1)) if n > 1 else 0.0
    n_eff = float(effective_rows(arr, n, binary, single=binary)[0])
    df = math.inf if binary else float(max(n - 1, 1))
    return Summary(float(arr.mean()), sd, n, n_samples, binary, n_eff, df)


def from_summary(summary: Summary, level: float) -> Estimate:
    """Build the Estimate of a summary at `level`."""
    lo, hi = estimate_interval(summary, level)
    return Estimate(summary.mean, summary.stderr, lo, hi, summary.n_cases, summary.n_samples, level)


def estimate(per_case: Sequence[Sequence[float]], level: float = 0.95) -> Estimate:
    """Mean of per-case sample values in [0, 1] with a clustered standard error and interval."""
    level = check_level(level)
    return from_summary(summarise(case_data(per_case)), level)
