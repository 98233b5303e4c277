"""How well a confidence signal tracks correctness: ECE, debiased ECE, Brier, AUROC, AURC.

Bins are equal-mass (each holds about n/bins samples), which keeps every bin's accuracy
estimable when confidences pile up near 1. `ece_debiased` is the debiased estimator of
Kumar, Liang & Ma (2019, "Verified Uncertainty Calibration"): per bin the squared gap minus
its sampling variance acc(1-acc)/(n_b-1), mass-weighted, clipped at 0, square-rooted, so it is
an L2 calibration error that does not shrink toward a positive bias at small n. Every metric
is an Estimate with a bootstrap interval that resamples cases, not samples.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from gradeloop.calibrate._estimate import CaseBootstrap, Estimate, bootstrap_estimates, estimate_dict
from gradeloop.errors import InputError

SCHEMA = "gradeloop.calibration/v1"
METRICS = ("ece", "ece_debiased", "brier", "auroc", "aurc")


@dataclass(frozen=True)
class ReliabilityBin:
    """One equal-mass bin: its confidence range, mean confidence, accuracy and size."""

    conf_low: float
    conf_high: float
    mean_confidence: float
    accuracy: float
    count: int


@dataclass(frozen=True)
class RiskCoveragePoint:
    """Answer when confidence >= threshold: the share answered and their error rate."""

    threshold: float
    coverage: float
    risk: float


@dataclass(frozen=True)
class CalibrationReport:
    """Calibration metrics of one signal, each an Estimate (AUROC None when one class only)."""

    n: int
    ece: Estimate
    ece_debiased: Estimate
    brier: Estimate
    auroc: Estimate | None
    aurc: Estimate
    reliability: tuple[ReliabilityBin, ...]
    risk_coverage: tuple[RiskCoveragePoint, ...]
    signal: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON form (schema gradeloop.calibration/v1)."""
        return {"schema": SCHEMA, "signal": self.signal, "n": self.n,
                **{m: estimate_dict(getattr(self, m)) for m in METRICS},
                "reliability": [asdict(b) for b in self.reliability],
                "risk_coverage": [asdict(p) for p in self.risk_coverage], **self.extra}


def _check(confidence: Any, correct: Any) -> tuple[np.ndarray, np.ndarray]:
    conf = np.asarray(confidence, dtype=float).ravel()
    corr = np.asarray(correct).ravel()
    if conf.shape != corr.shape:
        raise InputError(f"{len(conf)} confidences but {len(corr)} correctness labels", field="correct")
    if len(conf) == 0:
        raise InputError("no samples to calibrate", field="confidence")
    if not np.all(np.isfinite(conf)) or conf.min() < 0.0 or conf.max() > 1.0:
        raise InputError("confidences must be finite and within [0, 1]", field="confidence")
    if not np.all(np.isin(corr, (0, 1, True, False))):
        raise InputError("correctness must be 0/1 or booleans", field="correct")
    return conf, corr.astype(float)


def equal_mass_bins(confidence: np.ndarray, bins: int) -> list[np.ndarray]:
    """Indices of `bins` groups of (nearly) equal size in increasing confidence; ties keep input order."""
    order = np.argsort(confidence, kind="stable")
    return [b for b in np.array_split(order, min(bins, len(order))) if len(b)]


def ece(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-mass bins: sum of (n_b/n)|acc_b - conf_b|."""
    n = len(confidence)
    return float(sum(len(b) / n * abs(correct[b].mean() - confidence[b].mean())
                     for b in equal_mass_bins(confidence, bins)))


def ece_debiased(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Kumar et al. (2019) debiased L2 calibration error over the same equal-mass bins."""
    n = len(confidence)
    total = 0.0
    for b in equal_mass_bins(confidence, bins):
        if len(b) < 2:  # variance undefined: the bin contributes nothing, as in the reference code
            continue
        acc = correct[b].mean()
        total += len(b) / n * ((acc - confidence[b].mean()) ** 2 - acc * (1.0 - acc) / (len(b) - 1))
    return float(np.sqrt(max(total, 0.0)))


def brier(confidence: np.ndarray, correct: np.ndarray) -> float:
    """Mean squared gap between confidence and the 0/1 outcome."""
    return float(np.mean((confidence - correct) ** 2))


def auroc(confidence: np.ndarray, correct: np.ndarray) -> float:
    """How well confidence ranks correct above wrong answers; NaN when only one class occurs."""
    if correct.min() == correct.max():
        return float("nan")
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(correct, confidence))


def auroc_rank(confidence: np.ndarray, correct: np.ndarray) -> float:
    """The same AUROC in its Mann-Whitney form (tie-aware mean ranks): ~30x cheaper per bootstrap draw."""
    n_pos = int(correct.sum())
    n_neg = len(correct) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(confidence)
    return float((ranks[correct == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _threshold_groups(confidence: np.ndarray, correct: np.ndarray):
    """Distinct confidences from high to low with cumulative counts answered and errors."""
    order = np.argsort(-confidence, kind="stable")
    conf, err = confidence[order], 1.0 - correct[order]
    last = np.flatnonzero(np.r_[conf[1:] != conf[:-1], True])  # last index of each tie group
    answered = last + 1
    errors = np.cumsum(err)[last]
    return conf[last], answered, errors


def aurc(confidence: np.ndarray, correct: np.ndarray) -> float:
    """Area under the risk-coverage curve: each sample weighs the risk at its own threshold.

    Without ties this is the usual mean over k of the error rate of the k most confident
    answers (Geifman et al. 2019); tied confidences share one point, so order cannot matter.
    """
    _, answered, errors = _threshold_groups(confidence, correct)
    sizes = np.diff(np.r_[0, answered])
    return float(np.sum(sizes * errors / answered) / len(confidence))


def risk_coverage(confidence: np.ndarray, correct: np.ndarray, max_points: int = 201) -> tuple[RiskCoveragePoint, ...]:
    """The risk-coverage curve at each distinct threshold, thinned to at most `max_points`."""
    thresholds, answered, errors = _threshold_groups(confidence, correct)
    keep = np.arange(len(thresholds))
    if len(keep) > max_points:  # evenly spaced in coverage, always keeping both ends
        targets = np.linspace(answered[0], answered[-1], max_points)
        keep = np.unique(np.searchsorted(answered, targets).clip(0, len(answered) - 1))
    n = len(confidence)
    return tuple(RiskCoveragePoint(float(thresholds[i]), float(answered[i] / n), float(errors[i] / answered[i]))
                 for i in keep)


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> tuple[ReliabilityBin, ...]:
    """Reliability-diagram data: per equal-mass bin, mean confidence against accuracy."""
    return tuple(ReliabilityBin(float(confidence[b].min()), float(confidence[b].max()),
                                float(confidence[b].mean()), float(correct[b].mean()), int(len(b)))
                 for b in equal_mass_bins(confidence, bins))


def _all_metrics(conf: np.ndarray, corr: np.ndarray, bins: int, *, draw: bool = False) -> dict[str, float]:
    return {"ece": ece(conf, corr, bins), "ece_debiased": ece_debiased(conf, corr, bins),
            "brier": brier(conf, corr), "auroc": (auroc_rank if draw else auroc)(conf, corr),
            "aurc": aurc(conf, corr)}


def calibration_report(confidence: Any, correct: Any, case_ids: Any | None = None, bins: int = 10,
                       n_boot: int = 1000, seed: int = 0, *, signal: str = "") -> CalibrationReport:
    """All calibration metrics of one signal with case-bootstrap intervals and the plot data."""
    conf, corr = _check(confidence, correct)
    if bins < 1:
        raise InputError(f"bins must be at least 1, got {bins}", field="bins")
    if n_boot < 0:
        raise InputError(f"n_boot must be >= 0, got {n_boot}", field="n_boot")
    ids = np.arange(len(conf)) if case_ids is None else np.asarray(case_ids, dtype=object).ravel()
    if len(ids) != len(conf):
        raise InputError(f"{len(ids)} case ids for {len(conf)} samples", field="case_ids")
    boot = CaseBootstrap(ids, n_boot, seed)
    est = bootstrap_estimates(_all_metrics(conf, corr, bins), lambda i: _all_metrics(conf[i], corr[i], bins, draw=True), boot)
    return CalibrationReport(n=len(conf), reliability=reliability(conf, corr, bins),
                             risk_coverage=risk_coverage(conf, corr), signal=signal, **est)
