"""Per-sample confidence signals derived from a run: token log-probabilities, self-consistency,
a verifier grader's score, an LLM judge's stated confidence, and user-defined functions.

Signals the target already reported (e.g. `confidence` from a replay file) are kept;
derived ones are added next to them in each sample's `signals`.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable, Mapping

from gradeloop.calibrate.agreement import Equivalence, agreement
from gradeloop.calibrate.dataset import is_errored, run_cases
from gradeloop.errors import InputError
from gradeloop.plugins import load_callable

CustomSignal = Callable[[dict, dict], float]


def _logprob_signals(logprobs: Any, where: str, source: str | None) -> dict[str, float]:
    """Mean and min token log-probability, and their exp() as probability-like values in [0, 1]."""
    if logprobs is None:
        return {}
    if not isinstance(logprobs, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in logprobs):
        raise InputError("logprobs must be a list of finite numbers or null", file=source, field=f"{where}.logprobs")
    if not logprobs:
        return {}
    mean, low = sum(logprobs) / len(logprobs), min(logprobs)
    # log-probabilities are <= 0; clip the rounding noise some servers return just above 0
    return {"logprob_mean": float(mean), "logprob_min": float(low),
            "p_mean": min(1.0, math.exp(mean)), "p_min": min(1.0, math.exp(low))}


def _grade_signal(grades: Any, where: str, source: str | None, *, grader: str | None,
                  judge: bool) -> float | None:
    """A named grader's score (verifier), or a judge grade's signals.confidence."""
    if not isinstance(grades, list):
        return None
    for k, g in enumerate(grades):
        if not isinstance(g, dict) or g.get("error"):
            continue
        if grader is not None and g.get("grader") != grader:
            continue
        signals = g.get("signals")
        value = (signals.get("confidence") if isinstance(signals, dict) else None) if judge else g.get("score")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            field = "signals.confidence" if judge else "score"
            raise InputError(f"grade value must be a finite number, got {value!r}", file=source,
                             field=f"{where}.grades[{k}].{field}")
        return float(value)
    return None


def _custom_value(name: str, fn: CustomSignal, case: dict, sample: dict, where: str,
                  source: str | None) -> float:
    try:
        value = fn(case, sample)
    except Exception as exc:  # user code: report which case broke it, not a traceback
        raise InputError(f"custom signal {name!r} raised {type(exc).__name__}: {exc}", file=source,
                         field=f"{where}.signals.{name}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"custom signal {name!r} returned {value!r}, not a finite number", file=source,
                         field=f"{where}.signals.{name}")
    return float(value)


def compute_signals(run: dict, *, equivalence: Equivalence | None = None,
                    custom: Mapping[str, CustomSignal] = {}, verifier_grader: str | None = None,
                    judge_grader: str | None = None, source: str | None = None) -> dict:
    """A copy of the run whose graded samples carry the derived signals.

    Adds `logprob_mean`, `logprob_min`, `p_mean`, `p_min` (when logprobs exist),
    `self_consistency` (share of the case's answered samples equivalent to this one),
    `verifier` (score of grader `verifier_grader`), `judge_confidence` (a grade's
    signals.confidence, from `judge_grader` when named) and one entry per custom function.
    Errored samples get no derived signals.
    """
    out = copy.deepcopy(run)
    verifier_seen = False
    for i, case in enumerate(run_cases(out, source)):
        answered = [(j, s) for j, s in enumerate(case["samples"])
                    if isinstance(s, dict) and not is_errored(s) and isinstance(s.get("output"), str)]
        consistency = agreement([s["output"] for _, s in answered], equivalence)
        share = {j: c for (j, _), c in zip(answered, consistency)}
        for j, sample in enumerate(case["samples"]):
            where = f"cases[{i}].samples[{j}]"
            if not isinstance(sample, dict):
                raise InputError("a sample must be an object", file=source, field=where)
            if is_errored(sample):
                continue
            signals = sample.get("signals")
            if signals is None:
                signals = sample["signals"] = {}
            elif not isinstance(signals, dict):
                raise InputError("signals must be an object", file=source, field=f"{where}.signals")
            signals.update(_logprob_signals(sample.get("logprobs"), where, source))
            if j in share:
                signals["self_consistency"] = share[j]
            if verifier_grader is not None:
                score = _grade_signal(sample.get("grades"), where, source, grader=verifier_grader, judge=False)
                if score is not None:
                    signals["verifier"] = score
                    verifier_seen = True
            judged = _grade_signal(sample.get("grades"), where, source, grader=judge_grader, judge=True)
            if judged is not None:
                signals["judge_confidence"] = judged
            for name, fn in custom.items():
                signals[name] = _custom_value(name, fn, case, sample, where, source)
    if verifier_grader is not None and not verifier_seen:
        raise InputError(f"no sample has a grade from verifier grader {verifier_grader!r}", file=source,
                         field="verifier_grader")
    return out


def load_custom_signal(spec: str) -> tuple[str, CustomSignal]:
    """Parse `name=module:function` and import the function (the user's own code, as with py: targets)."""
    name, eq, target = spec.partition("=")
    if not eq or not name.strip():
        raise InputError(f"expected name=module:function, got {spec!r}", field="--custom-signal")
    return name.strip(), load_callable(target, field="--custom-signal", usage="name=module:function")
