"""Distribution drift between the baseline and a window, with thresholds that know the sample size.

PSI on its fixed 0.1 threshold false-alarms at small n: with no drift at all, PSI is about
(1/M + 1/N)·χ²_{B−1} (M baseline values, N window values, B bins), which exceeds 0.1 most of the
time at N = 30. The size-aware threshold is that null's 1 − α quantile. Each feature is also
tested with a two-sample test (KS for numbers, χ² for categories), Holm-corrected across the
features of a window. A feature drifts only when all three agree: the adjusted p-value is below
α, PSI is above its null threshold, and PSI is at least `min_psi` (large enough to matter).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import stats as sps

from gradeloop.stats import holm

_SMOOTH = 0.5  # pseudo-count per bin, so an empty bin does not make PSI infinite


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """One feature's drift in one window; `as_dict` is the monitor JSON entry."""

    feature: str
    test: str  # "ks" | "chi2"
    psi: float
    bins: int
    n_baseline: int
    n_window: int
    p_value: float
    p_adjusted: float
    psi_threshold: float | None
    drifted: bool

    def as_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "test": self.test, "psi": self.psi, "psi_threshold": self.psi_threshold,
                "bins": self.bins, "n_baseline": self.n_baseline, "n_window": self.n_window,
                "p_value": self.p_value, "p_adjusted": self.p_adjusted, "drifted": self.drifted}


def psi(base_counts: Sequence[float], window_counts: Sequence[float]) -> float:
    """Population stability index of two histograms over the same bins (smoothed by 0.5 per bin)."""
    b = np.asarray(base_counts, dtype=float) + _SMOOTH
    w = np.asarray(window_counts, dtype=float) + _SMOOTH
    pb, pw = b / b.sum(), w / w.sum()
    return float(np.sum((pw - pb) * np.log(pw / pb)))


def psi_threshold(m: int, n: int, bins: int, alpha: float) -> float | None:
    """The 1 − α quantile of PSI with no drift: (1/M + 1/N)·χ²_{B−1}; None with one bin or no data."""
    if bins < 2 or m < 1 or n < 1:
        return None
    return float((1.0 / m + 1.0 / n) * sps.chi2.isf(alpha, bins - 1))


def quantile_edges(baseline: np.ndarray, bins: int) -> np.ndarray:
    """Inner bin edges at the baseline's quantiles (ties merge bins, so there may be fewer)."""
    if baseline.size == 0:
        return np.empty(0)
    inner = np.quantile(baseline, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.unique(inner)


def histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin; a value equal to an edge goes to the bin above it."""
    return np.bincount(np.searchsorted(edges, values, side="right"), minlength=edges.size + 1)


def numeric_stats(baseline: np.ndarray, window: np.ndarray, edges: np.ndarray) -> tuple[float, int, float]:
    """(PSI, bins, KS p-value) of a numeric feature."""
    hb, hw = histogram(baseline, edges), histogram(window, edges)
    p = float(sps.ks_2samp(baseline, window).pvalue)
    return psi(hb, hw), int(edges.size + 1), p


def categorical_stats(baseline: Mapping[str, int], window: Mapping[str, int]) -> tuple[float, int, float]:
    """(PSI, categories, χ² homogeneity p-value) of a categorical feature."""
    cats = sorted(k for k in set(baseline) | set(window) if baseline.get(k, 0) or window.get(k, 0))
    hb = np.array([baseline.get(k, 0) for k in cats], dtype=float)
    hw = np.array([window.get(k, 0) for k in cats], dtype=float)
    if len(cats) < 2:
        return 0.0, len(cats), 1.0
    p = float(sps.chi2_contingency(np.vstack([hb, hw]), correction=False).pvalue)
    return psi(hb, hw), len(cats), p


def decide(psi_value: float, threshold: float | None, p_adjusted: float, alpha: float, min_psi: float) -> bool:
    """Drifted: significant after Holm, above the size-aware PSI threshold, and at least min_psi."""
    return p_adjusted < alpha and threshold is not None and psi_value > threshold and psi_value >= min_psi


def redecide(entry: Mapping[str, Any], alpha: float, min_psi: float) -> bool:
    """The drift decision of a reported entry at another α (an alert rule's own level)."""
    if entry.get("p_adjusted") is None:
        return False
    threshold = psi_threshold(entry["n_baseline"], entry["n_window"], entry["bins"], alpha)
    return decide(entry["psi"], threshold, entry["p_adjusted"], alpha, min_psi)


@dataclass(frozen=True)
class FeatureSample:
    """The values drift is measured on: numeric arrays and categorical counts, by feature name."""

    numeric: Mapping[str, np.ndarray]
    categorical: Mapping[str, Counter]

    def size(self, feature: str) -> int:
        if feature in self.numeric:
            return int(self.numeric[feature].size)
        return int(sum(self.categorical.get(feature, Counter()).values()))


def compare(baseline: FeatureSample, window: FeatureSample, features: Sequence[str], *, alpha: float,
            min_psi: float, min_n: int, edges: Mapping[str, np.ndarray]) -> tuple[list[FeatureDrift], list[dict]]:
    """Drift of each feature with enough values on both sides; the others are returned as skipped."""
    raw: list[tuple[str, str, float, int, int, int, float]] = []
    skipped: list[dict] = []
    for f in features:
        m, n = baseline.size(f), window.size(f)
        if m < min_n or n < min_n:
            skipped.append({"feature": f, "n_baseline": m, "n_window": n,
                            "reason": f"fewer than {min_n} values"})
            continue
        if f in baseline.numeric:
            value, bins, p = numeric_stats(baseline.numeric[f], window.numeric[f], edges[f])
            raw.append((f, "ks", value, bins, m, n, p))
        else:
            value, bins, p = categorical_stats(baseline.categorical[f], window.categorical[f])
            raw.append((f, "chi2", value, bins, m, n, p))
    adjusted = holm([1.0 if math.isnan(r[6]) else r[6] for r in raw])
    out = []
    for (f, test, value, bins, m, n, p), padj in zip(raw, adjusted):
        threshold = psi_threshold(m, n, bins, alpha)
        out.append(FeatureDrift(f, test, value, bins, m, n, p, padj, threshold,
                                decide(value, threshold, padj, alpha, min_psi)))
    return out, skipped
