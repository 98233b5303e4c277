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
    """Whole-case bootstrap draws expressed as per-sample weights (how often each sample's case was drawn)."""

    def __init__(self, case_ids: np.ndarray, n_boot: int, seed: int) -> None:
        _, self.case_of = np.unique(case_ids, return_inverse=True)
        self.n_cases = int(self.case_of.max()) + 1 if len(case_ids) else 0
        self.n_samples = len(case_ids)
        self.n_boot = n_boot
        self.rng = np.random.default_rng(seed)

    def weights(self):
        """Yield one weight array per draw: n_cases cases drawn with replacement, samples follow their case."""
        for _ in range(self.n_boot):
            counts = np.bincount(self.rng.integers(0, self.n_cases, self.n_cases), minlength=self.n_cases)
            yield counts[self.case_of].astype(float)


def bootstrap_estimates(point: dict[str, float], statistic: Callable[[np.ndarray], dict[str, float]],
                        boot: CaseBootstrap, level: float = 0.95,
                        recentre: tuple[str, ...] = (), floor: float = 0.0) -> dict[str, Any]:
    """Estimates for every named statistic: the full-data value with percentile bootstrap bounds.

    A statistic undefined on the full data (NaN) yields None; resamples where it is undefined
    (say AUROC with one class) are left out of its interval. Statistics named in `recentre`
    get their bounds shifted by the bootstrap bias (point - mean of the draws), not below
    `floor`: for bias-corrected estimators whose correction resampling undoes.
    """
    draws: dict[str, list[float]] = {name: [] for name in point}
    for w in boot.weights():
        for name, value in statistic(w).items():
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
            if name in recentre:
                shift = float(value) - float(vals.mean())
                low, high = max(floor, low + shift), max(floor, high + shift, float(value))
                low = min(low, float(value))
        else:
            stderr, low, high = float("nan"), float("nan"), float("nan")
        out[name] = Estimate(mean=float(value), stderr=stderr, ci_low=low, ci_high=high,
                             n_cases=boot.n_cases, n_samples=boot.n_samples)
    return out
