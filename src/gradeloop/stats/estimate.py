"""A mean with an honest interval: clustered over the samples of each case.

Choices (after Miller 2024, "Adding Error Bars to Evals"):

- The K samples of a case are averaged first; the mean is the average of the case means
  (every case weighs the same, whatever its number of samples) and the standard error is
  the CLT one on case means, ``sd(case means, ddof=1) / sqrt(n_cases)`` — the clustered
  standard error. With fewer than two cases it is undefined and reported as 0; the interval
  then carries the uncertainty.
- Binary data (every value 0 or 1) gets a Wilson score interval, which stays inside [0, 1]
  and is not degenerate at 0/n or n/n. With one sample per case it is plain Wilson on the
  cases. With K > 1 it uses the effective sample size ``n_eff = n_samples / deff``; the
  design effect ``deff = var0(case means) / (p (1 - p) / K)`` compares the observed spread of
  case means with independent samples, which gives ``n_eff = n_cases * p(1-p) / var0``,
  clamped to [n_cases, n_samples] (deff between 1 and K). When it cannot be estimated
  (p is 0 or 1, or a single case) n_eff = n_cases: the conservative end.
- Non-binary scores get a Student-t interval on the case means, clipped to [0, 1]; with a
  single case the interval is the whole [0, 1].
- No cases (n = 0): mean 0, stderr 0, interval [0, 1], n_cases = n_samples = 0 — a value
  that serialises and says "no information" instead of a NaN.
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
    n_eff: float  # effective sample size for the Wilson interval (binary only)

    @property
    def stderr(self) -> float:
        return self.sd / math.sqrt(self.n_cases) if self.n_cases > 1 else 0.0


def z_value(level: float) -> float:
    """Two-sided standard normal quantile for a confidence level."""
    return float(special.ndtri(0.5 + level / 2.0))


def wilson_interval(p: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion `p` seen over (effective) sample size `n`."""
    if n <= 0:
        return 0.0, 1.0
    z = z_value(level)
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z * math.sqrt(max(p * (1.0 - p) / n + z2n / (4.0 * n), 0.0)) / (1.0 + z2n)
    return max(0.0, centre - half), min(1.0, centre + half)


def t_interval(mean: float, stderr: float, n: int, level: float,
               lo: float, hi: float) -> tuple[float, float]:
    """Student-t interval on n per-case values, clipped to [lo, hi]; the whole range if n < 2."""
    if n < 2:
        return lo, hi
    half = float(special.stdtrit(n - 1, 0.5 + level / 2.0)) * stderr
    return max(lo, mean - half), min(hi, mean + half)


def interval(summary: Summary, level: float) -> tuple[float, float]:
    """The interval this module's docstring describes, at any level."""
    if summary.n_cases == 0:
        return 0.0, 1.0
    if summary.binary:
        return wilson_interval(summary.mean, summary.n_eff, level)
    return t_interval(summary.mean, summary.stderr, summary.n_cases, level, 0.0, 1.0)


def effective_size(data: CaseData) -> float:
    """Samples' worth of independent information: n_cases * p(1-p) / var0(case means), clamped."""
    n = data.n_cases
    if n == 0:
        return 0.0
    if np.all(data.counts == 1):
        return float(n)
    p = float(data.means.mean())
    var0 = float(data.means.var())
    if n < 2 or p * (1.0 - p) <= 0.0:
        return float(n)
    n_eff = n * p * (1.0 - p) / var0 if var0 > 0.0 else math.inf
    return float(min(max(n_eff, n), data.n_samples))


def summarise(data: CaseData) -> Summary:
    """Mean, clustered spread and effective size of validated case data."""
    n = data.n_cases
    if n == 0:
        return Summary(0.0, 0.0, 0, 0, data.binary, 0.0)
    sd = float(data.means.std(ddof=1)) if n > 1 else 0.0
    return Summary(float(data.means.mean()), sd, n, data.n_samples, data.binary,
                   effective_size(data) if data.binary else float(n))


def summary_from_values(values: Sequence[float], n_samples: int) -> Summary:
    """Summary of one value per case (e.g. per-case pass@k); binary values get plain Wilson."""
    arr = np.asarray(values, dtype=float)
    n = int(arr.size)
    binary = bool(np.all((arr == 0.0) | (arr == 1.0)))
    if n == 0:
        return Summary(0.0, 0.0, 0, 0, binary, 0.0)
    sd = float(arr.std(ddof=1)) if n > 1 else 0.0
    return Summary(float(arr.mean()), sd, n, n_samples, binary, float(n))


def from_summary(summary: Summary, level: float) -> Estimate:
    """Build the Estimate of a summary at `level`."""
    lo, hi = interval(summary, level)
    return Estimate(summary.mean, summary.stderr, lo, hi, summary.n_cases, summary.n_samples, level)


def estimate(per_case: Sequence[Sequence[float]], level: float = 0.95) -> Estimate:
    """Mean of per-case sample values in [0, 1] with a clustered standard error and interval."""
    level = check_level(level)
    return from_summary(summarise(case_data(per_case)), level)
