"""Validated per-case sample values: the one input shape every statistic here reads.

A run hands stats a list of cases, each a list of per-sample values in [0, 1]. This module
checks them once (finite, in range, no empty case) and keeps the per-case summaries the
estimators need: case means, sample counts, within-case variances, and whether all values
are 0/1.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from gradeloop.errors import InputError


@dataclass(frozen=True)
class CaseData:
    """Per-case summaries of validated sample values (arrays indexed by case)."""

    means: np.ndarray  # mean of each case's samples
    counts: np.ndarray  # number of samples of each case
    within_var: np.ndarray  # sample variance (ddof=1) of each case; NaN where a case has 1 sample
    binary: bool  # every sample value is exactly 0 or 1

    @property
    def n_cases(self) -> int:
        return int(self.means.size)

    @property
    def n_samples(self) -> int:
        return int(self.counts.sum())


def _bad(field: str, message: str) -> InputError:
    return InputError(message, field=field)


def _check_values(values: np.ndarray, field: str) -> None:
    """Raise an InputError naming the first value that is not a finite number in [0, 1]."""
    bad = ~np.isfinite(values) | (values < 0.0) | (values > 1.0)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        where = field + "".join(f"[{i}]" for i in idx)
        raise _bad(where, f"{float(values[idx])!r} is not a number in [0, 1]")


def _numeric(obj: object) -> np.ndarray | None:
    """`obj` as a float array if it holds only numbers (bools count) in a regular shape, else None."""
    try:
        raw = np.asarray(obj)
    except (TypeError, ValueError):  # ragged nesting
        return None
    return raw.astype(float) if raw.dtype.kind in "biuf" else None


def _case_array(case: object, field: str) -> np.ndarray:
    if isinstance(case, (str, bytes)) or not isinstance(case, Sequence | np.ndarray):
        raise _bad(field, f"expected a list of sample values, got {type(case).__name__}")
    arr = _numeric(case)
    if arr is None or arr.ndim != 1:
        raise _bad(field, "expected a flat list of numeric sample values")
    if arr.size == 0:
        raise _bad(field, "case has no valid samples (exclude it before computing statistics)")
    _check_values(arr, field)
    return arr


def case_data(per_case: Sequence[Sequence[float]], field: str = "per_case") -> CaseData:
    """Validate per-case sample values and summarise each case; InputError names the bad entry."""
    if isinstance(per_case, (str, bytes)) or not isinstance(per_case, Sequence | np.ndarray):
        raise _bad(field, f"expected a list of cases, got {type(per_case).__name__}")
    n = len(per_case)
    if n == 0:
        empty = np.zeros(0)
        return CaseData(empty, np.zeros(0, dtype=int), empty, True)
    # Fast path: every case has the same number of samples (the usual run).
    grid = _numeric(per_case)
    if grid is not None and grid.ndim == 2 and grid.shape[1] > 0:
        _check_values(grid, field)
        k = grid.shape[1]
        within = grid.var(axis=1, ddof=1) if k > 1 else np.full(n, math.nan)
        binary = bool(np.all((grid == 0.0) | (grid == 1.0)))
        return CaseData(grid.mean(axis=1), np.full(n, k, dtype=int), within, binary)
    ragged = _ragged(per_case)
    if ragged is not None:
        return ragged
    # Case by case: names the bad entry, and accepts any sequence type.
    arrays = [_case_array(case, f"{field}[{i}]") for i, case in enumerate(per_case)]
    means = np.array([a.mean() for a in arrays])
    counts = np.array([a.size for a in arrays], dtype=int)
    within = np.array([a.var(ddof=1) if a.size > 1 else math.nan for a in arrays])
    binary = all(bool(np.all((a == 0.0) | (a == 1.0))) for a in arrays)
    return CaseData(means, counts, within, binary)


def _ragged(per_case: Sequence[Sequence[float]]) -> CaseData | None:
    """Cases with different sample counts, summarised with segment sums; None if anything is off."""
    if not all(isinstance(c, (list, tuple, np.ndarray)) for c in per_case):
        return None
    counts = np.fromiter((len(c) for c in per_case), dtype=int, count=len(per_case))
    if counts.min() == 0:
        return None
    flat = _numeric(list(itertools.chain.from_iterable(per_case)))
    if flat is None or flat.ndim != 1 or flat.size != counts.sum():
        return None
    if (~np.isfinite(flat) | (flat < 0.0) | (flat > 1.0)).any():
        return None
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    means = np.add.reduceat(flat, starts) / counts
    sq = np.add.reduceat((flat - np.repeat(means, counts)) ** 2, starts)
    with np.errstate(divide="ignore", invalid="ignore"):
        within = np.where(counts > 1, sq / (counts - 1), math.nan)
    binary = bool(np.all((flat == 0.0) | (flat == 1.0)))
    return CaseData(means, counts, within, binary)


def check_level(level: float, field: str = "level") -> float:
    """A confidence level must lie strictly between 0 and 1."""
    if not isinstance(level, (int, float)) or not 0.0 < float(level) < 1.0:
        raise _bad(field, f"must be strictly between 0 and 1, got {level!r}")
    return float(level)


def check_probability(value: float, field: str) -> float:
    """An error rate or power must lie strictly between 0 and 1."""
    return check_level(value, field)
