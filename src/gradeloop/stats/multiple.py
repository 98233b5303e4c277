"""Adjusted p-values for many comparisons at once (slices, strata, metrics).

Holm–Bonferroni controls the family-wise error rate (the gate's default: one false
regression in any slice fails a release); Benjamini–Hochberg controls the false discovery
rate (for exploratory slice reports). Both return adjusted p-values in input order, to be
compared with the unadjusted alpha.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from gradeloop.errors import InputError


def _sps():
    """scipy.stats, imported on first use: it costs ~0.5 s of start-up for every command."""
    from scipy import stats

    return stats


def _p_array(p_values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(list(p_values), dtype=float)
    bad = ~np.isfinite(arr) | (arr < 0.0) | (arr > 1.0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{arr[i]!r} is not a p-value in [0, 1]", field=f"p_values[{i}]")
    return arr


def bonferroni(p_values: Sequence[float]) -> list[float]:
    """Each p-value times the number of tests, capped at 1."""
    arr = _p_array(p_values)
    return [float(v) for v in np.minimum(arr * arr.size, 1.0)]


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni step-down adjusted p-values (monotone in the sorted order)."""
    arr = _p_array(p_values)
    m = arr.size
    if m == 0:
        return []
    order = np.argsort(arr, kind="stable")
    scaled = np.minimum((m - np.arange(m)) * arr[order], 1.0)
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return [float(v) for v in adjusted]


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg step-up adjusted p-values (false discovery rate)."""
    arr = _p_array(p_values)
    if arr.size == 0:
        return []
    return [float(v) for v in _sps().false_discovery_control(arr, method="bh")]


def bonferroni_level(level: float, m: int) -> float:
    """Per-comparison confidence level that makes m simultaneous intervals hold at `level`."""
    return 1.0 - (1.0 - level) / max(m, 1)
