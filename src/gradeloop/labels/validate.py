"""Agreement of a grader (typically an llm_judge) with human labels: Cohen's κ, TPR and TNR.

"Positive" is a pass. TPR is how often the grader passes what humans pass, TNR how often it fails
what humans fail, each with a Wilson interval; κ is agreement beyond chance with a bootstrap
interval that resamples whole cases (samples of one case are not independent). The verdict fails
closed: too few labels, or no human pass or no human fail, is inconclusive, never a pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from gradeloop.labels.records import Label
from gradeloop.stats.estimate import wilson_interval

MIN_LABELS = 20  # below this no interval is narrow enough to vouch for a judge


@dataclass(frozen=True, slots=True)
class Rate:
    """A proportion with its interval and counts."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    hits: int
    n: int

    def as_dict(self) -> dict:
        return {"value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high, "hits": self.hits, "n": self.n}


@dataclass(frozen=True, slots=True)
class JudgeValidation:
    """κ, TPR, TNR of one grader against human labels, and whether it may gate."""

    grader: str
    n_labels: int
    n_cases: int
    confusion: dict[str, int]  # tp, fn, fp, tn (positive = pass; rows are the humans' verdicts)
    kappa: Rate
    tpr: Rate
    tnr: Rate
    agreement: Rate
    min_kappa: float
    verdict: str  # pass | fail | inconclusive
    reasons: list[str] = field(default_factory=list)
    level: float = 0.95

    def as_dict(self) -> dict:
        return {"schema": "gradeloop.judge_validation/v1", "grader": self.grader, "n_labels": self.n_labels,
                "n_cases": self.n_cases, "confusion": self.confusion, "kappa": self.kappa.as_dict(),
                "tpr": self.tpr.as_dict(), "tnr": self.tnr.as_dict(), "agreement": self.agreement.as_dict(),
                "min_kappa": self.min_kappa, "verdict": self.verdict, "reasons": self.reasons, "level": self.level}


def cohen_kappa(judge: np.ndarray, human: np.ndarray) -> float | None:
    """κ for two binary raters; None when chance agreement is total (one class only on both sides)."""
    n = len(judge)
    if n == 0:
        return None
    po = float(np.mean(judge == human))
    pj, ph = float(np.mean(judge)), float(np.mean(human))
    pe = pj * ph + (1 - pj) * (1 - ph)
    return None if pe >= 1.0 - 1e-12 else (po - pe) / (1 - pe)


def proportion(hits: int, n: int, level: float) -> Rate:
    if n == 0:
        return Rate(None, None, None, 0, 0)
    lo, hi = wilson_interval(hits / n, n, level)
    return Rate(hits / n, lo, hi, hits, n)


def _kappa_interval(judge: np.ndarray, human: np.ndarray, cases: np.ndarray, level: float,
                    resamples: int, seed: int) -> tuple[float | None, float | None]:
    """Percentile interval of κ over a case-clustered bootstrap (fixed seed: same labels, same interval)."""
    uniq, inverse = np.unique(cases, return_inverse=True)
    k = len(uniq)
    if k < 2:
        return None, None
    # per case: counts of (judge, human) cells, so a resample is a sum of case rows
    cells = np.zeros((k, 4))
    np.add.at(cells, (inverse, judge * 2 + human), 1)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, k, size=(resamples, k))
    counts = np.zeros((resamples, 4))
    for c in range(4):
        counts[:, c] = cells[picks, c].sum(axis=1)
    n = counts.sum(axis=1)
    po = (counts[:, 0] + counts[:, 3]) / n  # cells: 0=(fail,fail) 1=(fail,pass) 2=(pass,fail) 3=(pass,pass)
    pj = (counts[:, 2] + counts[:, 3]) / n
    ph = (counts[:, 1] + counts[:, 3]) / n
    pe = pj * ph + (1 - pj) * (1 - ph)
    ok = pe < 1.0 - 1e-12
    if not ok.any():
        return None, None
    kappas = (po[ok] - pe[ok]) / (1 - pe[ok])
    alpha = 1 - level
    return float(np.quantile(kappas, alpha / 2)), float(np.quantile(kappas, 1 - alpha / 2))


def validate_grader(labels: Sequence[Label], grader: str, *, min_kappa: float = 0.6, level: float = 0.95,
                    resamples: int = 2000, seed: int = 0) -> JudgeValidation:
    """Compare `grader`'s recorded verdicts with the humans' on every usable label of that grader.

    The judge passes validation only when κ's lower bound reaches `min_kappa`.
    """
    usable = [x for x in labels if x.grader == grader and x.human_passed is not None]
    judge = np.array([int(bool(x.grade_passed)) for x in usable], dtype=int)
    human = np.array([int(bool(x.human_passed)) for x in usable], dtype=int)
    cases = np.array([f"{x.run_id}\x00{x.suite}\x00{x.case_id}" for x in usable], dtype=object)
    tp = int(np.sum((judge == 1) & (human == 1)))
    fn = int(np.sum((judge == 0) & (human == 1)))
    fp = int(np.sum((judge == 1) & (human == 0)))
    tn = int(np.sum((judge == 0) & (human == 0)))
    n = len(usable)
    kappa = cohen_kappa(judge, human)
    lo, hi = _kappa_interval(judge, human, cases.astype(str), level, resamples, seed) if n else (None, None)
    reasons: list[str] = []
    skipped = sum(1 for x in labels if x.grader == grader) - n
    if skipped:
        reasons.append(f"{skipped} label(s) of grades that errored were left out")
    if n < MIN_LABELS:
        reasons.append(f"only {n} usable label(s); at least {MIN_LABELS} are needed")
    if tp + fn == 0 or fp + tn == 0:
        reasons.append("the humans' labels hold no " + ("pass" if tp + fn == 0 else "fail")
                       + ": TPR/TNR and κ cannot be judged")
    if kappa is None or lo is None:
        verdict = "inconclusive"
        reasons.append("κ is undefined on these labels")
    elif reasons and (n < MIN_LABELS or tp + fn == 0 or fp + tn == 0):
        verdict = "inconclusive"
    else:
        verdict = "pass" if lo >= min_kappa else "fail"
        if verdict == "fail":
            reasons.append(f"κ lower bound {lo:.3f} < {min_kappa}")
    return JudgeValidation(
        grader=grader, n_labels=n, n_cases=len(set(cases.tolist())),
        confusion={"tp": tp, "fn": fn, "fp": fp, "tn": tn},
        kappa=Rate(kappa, lo, hi, tp + tn, n), tpr=proportion(tp, tp + fn, level), tnr=proportion(tn, tn + fp, level),
        agreement=proportion(tp + tn, n, level), min_kappa=min_kappa, verdict=verdict, reasons=reasons, level=level)
