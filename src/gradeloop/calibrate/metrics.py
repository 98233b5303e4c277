"""How well a confidence signal tracks correctness: ECE (debiased and plug-in), Brier, AUROC, AURC.

Bins are equal-mass (each holds about n/bins samples), which keeps every bin's accuracy
estimable when confidences pile up near 1. Samples with equal confidence always share a bin:
each equal-mass edge moves to the nearest boundary between distinct confidences (so a bin
may hold more or fewer samples, and there may be fewer bins), which makes every metric
independent of row order.

The reported `ece` is the debiased estimator of Kumar, Liang & Ma (2019, "Verified
Uncertainty Calibration"), as Roelofs et al. (2022) recommend: per bin the squared gap minus
its sampling variance acc(1-acc)/(n_b-1), mass-weighted, clipped at 0, square-rooted — an L2
calibration error without the plug-in's upward bias, so a perfectly calibrated signal reads
about 0 and its interval reaches 0. The plug-in L1 ECE, sum (n_b/n)|acc_b - conf_b|, stays
available as `ece_plugin` (and `ece(..., debiased=False)`); it is biased upward at small n_b.
Every metric is an Estimate with a bootstrap interval that resamples cases, not samples. The
debiased ECE's percentile interval is shifted by its bootstrap bias (resampling duplicates
samples, which the per-bin variance term does not see), so it is centred on the estimate.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from gradeloop.calibrate._estimate import CaseBootstrap, Estimate, bootstrap_estimates, estimate_dict
from gradeloop.errors import InputError

SCHEMA = "gradeloop.calibration/v1"
METRICS = ("ece", "ece_plugin", "brier", "auroc", "aurc")


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
    """Calibration metrics of one signal, each an Estimate (AUROC None when one class only).

    `ece` is the debiased (Kumar et al. 2019) calibration error, `ece_plugin` the plug-in ECE.
    """

    n: int
    ece: Estimate
    ece_plugin: Estimate
    brier: Estimate
    auroc: Estimate | None
    aurc: Estimate
    reliability: tuple[ReliabilityBin, ...]
    risk_coverage: tuple[RiskCoveragePoint, ...]
    signal: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ece_debiased(self) -> Estimate:
        """The same as `ece` (the name it had when `ece` meant the plug-in estimator)."""
        return self.ece

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON form (schema gradeloop.calibration/v1); `ece_debiased` repeats `ece`."""
        return {"schema": SCHEMA, "signal": self.signal, "n": self.n,
                **{m: estimate_dict(getattr(self, m)) for m in METRICS},
                "ece_debiased": estimate_dict(self.ece),
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


@dataclass(frozen=True)
class _Ordered:
    """Samples sorted once by confidence (stable), with their tie groups; bootstrap draws only reweight."""

    conf: np.ndarray
    correct: np.ndarray
    starts: np.ndarray  # first index of each group of equal confidence, ascending

    @classmethod
    def of(cls, confidence: np.ndarray, correct: np.ndarray) -> "_Ordered":
        order = np.argsort(confidence, kind="stable")
        conf = confidence[order]
        return cls(conf, correct[order], np.flatnonzero(np.r_[True, conf[1:] != conf[:-1]]))


def _bin_edges(n: int, bins: int) -> np.ndarray:
    """Positions splitting n sorted samples into min(bins, n) equal-mass bins, as np.array_split does."""
    k = min(bins, n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    return np.r_[0, np.cumsum(sizes)]


def _cuts(o: _Ordered, cum_w: np.ndarray, bins: int) -> np.ndarray:
    """Sample indices where bins start (and the end): each equal-mass edge moved to the nearest
    boundary between tie groups, so equal confidences never straddle two bins."""
    total = cum_w[-1]
    bounds = np.r_[cum_w[o.starts], total]  # weight before each tie group, then the total
    cut_at = np.r_[o.starts, len(o.conf)]  # the sample index of each of those boundaries
    targets = _bin_edges(int(round(total)), bins)[1:-1]
    j = np.searchsorted(bounds, targets).clip(1, len(bounds) - 1)
    nearest = np.where(bounds[j] - targets < targets - bounds[j - 1], j, j - 1)  # ties: lower edge
    idx = np.unique(np.r_[0, cut_at[nearest], len(o.conf)])
    keep = np.r_[True, np.diff(cum_w[idx]) > 0]  # drop edges that would leave an empty bin
    idx = idx[keep]
    if idx[-1] != len(o.conf):
        idx[-1] = len(o.conf)
    return idx


def _binned(o: _Ordered, w: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin: count, summed confidence and summed correctness, where sample i weighs w[i]
    (w = 1 for the data, case multiplicities for a bootstrap draw)."""
    cum_w = np.r_[0, np.cumsum(w)]
    idx = _cuts(o, cum_w, bins)
    cum_c = np.r_[0, np.cumsum(w * o.conf)]
    cum_a = np.r_[0, np.cumsum(w * o.correct)]
    return np.diff(cum_w[idx]), np.diff(cum_c[idx]), np.diff(cum_a[idx])


def _ece(binned: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
    count, conf, acc = binned
    return float(np.sum(np.abs(acc - conf)) / count.sum())  # sums: |n_b acc_b - n_b conf_b|


def _ece_debiased(binned: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
    count, conf, acc = binned
    keep = count >= 2  # the variance term is undefined for a single sample: such a bin adds nothing
    n_b, mean_acc = count[keep], acc[keep] / count[keep]
    sq = (mean_acc - conf[keep] / n_b) ** 2 - mean_acc * (1.0 - mean_acc) / (n_b - 1)
    return float(np.sqrt(max(np.sum(n_b * sq) / count.sum(), 0.0)))


def _brier(o: _Ordered, w: np.ndarray) -> float:
    return float(np.sum(w * (o.conf - o.correct) ** 2) / w.sum())


def _group_sums(o: _Ordered, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per tie group (ascending confidence): weight of correct and of wrong samples."""
    total = np.add.reduceat(w, o.starts)
    pos = np.add.reduceat(w * o.correct, o.starts)
    return pos, total - pos


def _auroc_rank(pos: np.ndarray, neg: np.ndarray) -> float:
    """Mann-Whitney AUROC: per correct sample, the weight of wrong ones below it (ties count half)."""
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    below = np.cumsum(neg) - neg
    return float(np.sum(pos * (below + 0.5 * neg)) / (n_pos * n_neg))


def _risk_groups(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tie groups from high to low confidence: group weight, cumulative answered and errors."""
    size = (pos + neg)[::-1]
    return size, np.cumsum(size), np.cumsum(neg[::-1])


def _aurc(pos: np.ndarray, neg: np.ndarray) -> float:
    size, answered, errors = _risk_groups(pos, neg)
    risk = np.divide(errors, answered, out=np.zeros_like(errors, dtype=float), where=answered > 0)
    return float(np.sum(size * risk) / size.sum())


def _prepare(confidence: Any, correct: Any) -> tuple[_Ordered, np.ndarray]:
    conf, corr = _check(confidence, correct)
    return _Ordered.of(conf, corr), np.ones(len(conf))


def ece(confidence: Any, correct: Any, bins: int = 10, *, debiased: bool = True) -> float:
    """Calibration error over equal-mass bins: debiased (Kumar et al. 2019) unless `debiased=False`."""
    return ece_debiased(confidence, correct, bins) if debiased else ece_plugin(confidence, correct, bins)


def ece_plugin(confidence: Any, correct: Any, bins: int = 10) -> float:
    """Plug-in expected calibration error over equal-mass bins: sum of (n_b/n)|acc_b - conf_b|."""
    return _ece(_binned(*_prepare(confidence, correct), bins))


def ece_debiased(confidence: Any, correct: Any, bins: int = 10) -> float:
    """Kumar et al. (2019) debiased L2 calibration error over the same equal-mass bins."""
    return _ece_debiased(_binned(*_prepare(confidence, correct), bins))


def brier(confidence: Any, correct: Any) -> float:
    """Mean squared gap between confidence and the 0/1 outcome."""
    return _brier(*_prepare(confidence, correct))


def auroc(confidence: Any, correct: Any) -> float:
    """How well confidence ranks correct above wrong answers (scikit-learn); NaN with one class only."""
    conf, corr = _check(confidence, correct)
    if corr.min() == corr.max():
        return float("nan")
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(corr, conf))


def auroc_rank(confidence: Any, correct: Any) -> float:
    """The same AUROC in Mann-Whitney form; what bootstrap draws use (no sort, no sklearn overhead)."""
    return _auroc_rank(*_group_sums(*_prepare(confidence, correct)))


def aurc(confidence: Any, correct: Any) -> float:
    """Area under the risk-coverage curve: each sample weighs the risk at its own threshold.

    Without ties this is the usual mean over k of the error rate of the k most confident
    answers (Geifman et al. 2019); tied confidences share one point, so order cannot matter.
    """
    return _aurc(*_group_sums(*_prepare(confidence, correct)))


def risk_coverage(confidence: Any, correct: Any, max_points: int = 201) -> tuple[RiskCoveragePoint, ...]:
    """The risk-coverage curve at each distinct threshold, thinned to at most `max_points`."""
    o, w = _prepare(confidence, correct)
    _, answered, errors = _risk_groups(*_group_sums(o, w))
    thresholds = o.conf[o.starts][::-1]
    keep = np.arange(len(thresholds))
    if len(keep) > max_points:  # evenly spaced in coverage, always keeping both ends
        targets = np.linspace(answered[0], answered[-1], max_points)
        keep = np.unique(np.searchsorted(answered, targets).clip(0, len(answered) - 1))
    n = len(o.conf)
    return tuple(RiskCoveragePoint(float(thresholds[i]), float(answered[i] / n), float(errors[i] / answered[i]))
                 for i in keep)


def reliability(confidence: Any, correct: Any, bins: int = 10) -> tuple[ReliabilityBin, ...]:
    """Reliability-diagram data: per equal-mass bin, mean confidence against accuracy."""
    o, w = _prepare(confidence, correct)
    count, conf, acc = _binned(o, w, bins)
    edges = _cuts(o, np.r_[0, np.cumsum(w)], bins)
    return tuple(ReliabilityBin(float(o.conf[lo]), float(o.conf[hi - 1]), float(c / k), float(a / k), int(k))
                 for lo, hi, k, c, a in zip(edges[:-1], edges[1:], count, conf, acc))


def _all_metrics(o: _Ordered, w: np.ndarray, bins: int) -> dict[str, float]:
    binned, groups = _binned(o, w, bins), _group_sums(o, w)
    return {"ece": _ece_debiased(binned), "ece_plugin": _ece(binned), "brier": _brier(o, w),
            "auroc": _auroc_rank(*groups), "aurc": _aurc(*groups)}


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
    order = np.argsort(conf, kind="stable")
    o = _Ordered.of(conf, corr)
    boot = CaseBootstrap(ids[order], n_boot, seed)  # weights come out aligned with the sorted samples
    point = _all_metrics(o, np.ones(len(conf)), bins) | {"auroc": auroc(conf, corr)}
    est = bootstrap_estimates(point, lambda w: _all_metrics(o, w, bins), boot, recentre=("ece",))
    return CalibrationReport(n=len(conf), reliability=reliability(conf, corr, bins),
                             risk_coverage=risk_coverage(conf, corr), signal=signal, **est)
