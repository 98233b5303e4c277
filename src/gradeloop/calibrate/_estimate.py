"""Bootstrap intervals over cases, returned as the project's `Estimate`.

Samples of one case are correlated, so every interval here resamples whole cases
(with their samples) rather than samples, as stats does for pass rates.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from gradeloop.stats import Estimate


def estimate_dict(est: Any) -> dict[str, Any] | None:
    """An Estimate as a JSON-safe dict (NaN becomes None); None stays None."""
    if est is None:
        return None
    d = est.as_dict() if hasattr(est, "as_dict") else dataclasses.asdict(est)
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in d.items()}


class CaseBootstrap:
    """Index arrays of whole-case bootstrap resamples, generated vectorised."""

    def __init__(self, case_ids: np.ndarray, n_boot: int, seed: int) -> None:
        _, inverse = np.unique(case_ids, return_inverse=True)
        self.order = np.argsort(inverse, kind="stable")  # samples grouped by case
        self.lengths = np.bincount(inverse)
        self.starts = np.concatenate(([0], np.cumsum(self.lengths)[:-1]))
        self.n_cases = len(self.lengths)
        self.n_samples = len(case_ids)
        self.n_boot = n_boot
        self.rng = np.random.default_rng(seed)

    def resamples(self):
        """Yield one index array per resample: the samples of n_cases cases drawn with replacement."""
        for _ in range(self.n_boot):
            chosen = self.rng.integers(0, self.n_cases, self.n_cases)
            lengths = self.lengths[chosen]
            offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
            within = np.arange(lengths.sum()) - offsets
            yield self.order[np.repeat(self.starts[chosen], lengths) + within]


def bootstrap_estimates(point: dict[str, float], statistic: Callable[[np.ndarray], dict[str, float]],
                        boot: CaseBootstrap, level: float = 0.95) -> dict[str, Any]:
    """Estimates for every named statistic: the full-data value with percentile bootstrap bounds.

    A statistic undefined on the full data (NaN) yields None; resamples where it is undefined
    (say AUROC with one class) are left out of its interval.
    """
    draws: dict[str, list[float]] = {name: [] for name in point}
    for idx in boot.resamples():
        for name, value in statistic(idx).items():
            draws[name].append(value)
    tail = (1.0 - level) / 2.0
    out: dict[str, Any] = {}
    for name, value in point.items():
        if not np.isfinite(value):
            out[name] = None
            continue
        vals = np.asarray(draws[name], dtype=float)
        vals = vals[np.isfinite(vals)]
        if len(vals) >= 2:
            stderr = float(np.std(vals, ddof=1))
            low, high = (float(q) for q in np.quantile(vals, [tail, 1.0 - tail]))
        else:
            stderr, low, high = float("nan"), float("nan"), float("nan")
        out[name] = Estimate(mean=float(value), stderr=stderr, ci_low=low, ci_high=high,
                             n_cases=boot.n_cases, n_samples=boot.n_samples)
    return out
