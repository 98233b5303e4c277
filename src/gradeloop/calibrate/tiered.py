"""Tiered confidence: a cheap signal for every request, a heavy path only in its gray zone.

Requests with cheap >= high are answered directly, those below low abstain, and those in
[low, high) take the heavy path (more samples, a verifier) and are answered when the heavy
signal clears its own threshold. That threshold is certified by the same fixed-sequence
Learn-then-Test as `select_threshold`, on the error rate of the whole tiered system, for the
given gray zone. The report sets the cost (share escalated, extra samples) against the risk
saved over answering the gray zone blind.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gradeloop.calibrate.policy import Policy, Rule, Verify
from gradeloop.calibrate.selective import (SelectiveResult, _check_levels, clopper_pearson_upper, fixed_sequence,
                                           select_threshold)
from gradeloop.errors import InputError


@dataclass(frozen=True)
class Operating:
    """One way to answer: the share of requests answered and their empirical error rate."""

    coverage: float
    risk: float | None
    n_answered: int
    cost: float  # average heavy-path cost per request (in units of `heavy_cost`)


@dataclass(frozen=True)
class TieredResult:
    """The certified tiered rule and its cost/risk against the alternatives."""

    low: float
    high: float
    heavy_threshold: float | None  # None: the heavy path never answers
    certified: bool  # False: not even the direct-answer region meets alpha at delta
    escalated_share: float  # share of requests sent to the heavy path
    extra_cost: float  # escalated_share * heavy_cost: extra samples (or verifier calls) per request
    risk_upper: float | None
    tiered: Operating
    without_heavy: Operating  # answer every request with cheap >= low, no heavy path
    cheap_only: SelectiveResult  # certified threshold on the cheap signal alone
    heavy_everywhere: SelectiveResult  # certified threshold on the heavy signal for every request
    risk_saved: float | None  # without_heavy.risk - tiered.risk
    alpha: float
    delta: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def policy(self, cheap_signal: str, heavy_signal: str, *, data_version: str | None = None,
               fallback: str = "abstain") -> Policy:
        """The runtime policy: answer >= high, verify in [low, high) with the heavy signal, else fallback."""
        answer = self.high if self.certified else None
        verify = self.low if self.heavy_threshold is not None else None
        rule = Rule({"answer": answer, "verify": verify}, fallback,
                    Verify(heavy_signal, self.heavy_threshold, fallback))
        return Policy(cheap_signal, rule, alpha=self.alpha, delta=self.delta, data_version=data_version,
                      derived={"tiered": self.as_dict()})


def _operating(answered: np.ndarray, wrong: np.ndarray, cost: float) -> Operating:
    k = int(answered.sum())
    return Operating(k / len(answered), float(wrong[answered].mean()) if k else None, k, cost)


def tiered_policy(cheap: Any, heavy: Any, correct: Any, *, low: float, high: float, alpha: float,
                  delta: float, heavy_cost: float = 1.0, correct_heavy: Any | None = None) -> TieredResult:
    """Certify the heavy-path threshold for gray zone [low, high) and report cost against risk.

    `correct` is the correctness of the cheap path's answer; `correct_heavy` that of the answer
    given after the heavy path (e.g. the majority vote), defaulting to `correct`.
    """
    _check_levels(alpha, delta)
    c = np.asarray(cheap, dtype=float).ravel()
    h = np.asarray(heavy, dtype=float).ravel()
    ok = np.asarray(correct).astype(bool).ravel()
    ok_heavy = ok if correct_heavy is None else np.asarray(correct_heavy).astype(bool).ravel()
    if not len(c) == len(h) == len(ok) == len(ok_heavy) or len(c) == 0:
        raise InputError("cheap, heavy and correctness arrays must have the same non-zero length", field="heavy")
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(h))):
        raise InputError("signals must be finite", field="heavy")
    if not low <= high:
        raise InputError(f"gray zone needs low <= high, got [{low}, {high})", field="gray")
    direct, gray = c >= high, (c >= low) & (c < high)
    # the answer given: the cheap one above high, the heavy path's one in the gray zone
    wrong = np.where(gray, ~ok_heavy, ~ok)
    # nested answer sets, most conservative first: direct only, then gray requests by falling heavy score
    candidates = np.r_[np.inf, np.unique(h[gray])[::-1]]
    gray_h = np.sort(h[gray])[::-1]
    gray_wrong = wrong[gray][np.argsort(-h[gray], kind="stable")]
    n_gray = np.searchsorted(-gray_h, -candidates, side="right")
    answered = int(direct.sum()) + n_gray
    errors = int(wrong[direct].sum()) + np.r_[0, np.cumsum(gray_wrong)][n_gray]
    k, _, _ = fixed_sequence(answered, errors, alpha, delta)
    threshold = None if k is None or k == 0 else float(candidates[k])
    answer_mask = direct | (gray & (h >= threshold)) if threshold is not None else direct.copy()
    if k is None:
        answer_mask[:] = False
    escalated = float(gray.mean())
    tiered_op = _operating(answer_mask, wrong, escalated * heavy_cost)
    blind = _operating(c >= low, ~ok, 0.0)
    saved = None if blind.risk is None or tiered_op.risk is None else blind.risk - tiered_op.risk
    upper = None if k is None else clopper_pearson_upper(int(errors[k]), int(answered[k]), delta)
    return TieredResult(low=float(low), high=float(high), heavy_threshold=threshold, certified=k is not None,
                        escalated_share=escalated, extra_cost=escalated * heavy_cost, risk_upper=upper,
                        tiered=tiered_op, without_heavy=blind, cheap_only=select_threshold(c, ok, alpha, delta),
                        heavy_everywhere=select_threshold(h, ok_heavy, alpha, delta), risk_saved=saved,
                        alpha=alpha, delta=delta, n=len(c))
