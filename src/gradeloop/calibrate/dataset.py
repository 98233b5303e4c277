"""Turn a run into the arrays calibration works on: one row per graded sample.

Correctness is the sample's `passed`; errored samples (target or grader error, or
`passed` null) are infrastructure failures, not wrong answers, so they are left out and
counted. A graded sample that lacks the requested signal is an input error, never skipped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from gradeloop.errors import InputError


@dataclass(frozen=True)
class SignalData:
    """Confidence, correctness, case ids and case tags of the graded samples of a run."""

    signal: str
    confidence: np.ndarray
    correct: np.ndarray
    case_ids: np.ndarray
    tags: tuple[Mapping[str, str], ...]  # per row: the tags of the row's case
    n_errored: int

    def subset(self, mask: np.ndarray) -> "SignalData":
        """The rows where `mask` is true."""
        idx = np.flatnonzero(mask)
        return SignalData(self.signal, self.confidence[idx], self.correct[idx], self.case_ids[idx],
                          tuple(self.tags[i] for i in idx), self.n_errored)


def run_cases(run: Any, source: str | None = None) -> list[dict]:
    """The run's `cases`, checked to be a list of case objects with sample lists."""
    cases = run.get("cases") if isinstance(run, dict) else None
    if not isinstance(cases, list):
        raise InputError("a run must be an object with a `cases` list", file=source, field="cases")
    for i, case in enumerate(cases):
        if not isinstance(case, dict) or not isinstance(case.get("samples"), list):
            raise InputError("each case must be an object with a `samples` list", file=source,
                             field=f"cases[{i}].samples")
        if not isinstance(case.get("id"), (str, int)):
            raise InputError("each case needs an `id`", file=source, field=f"cases[{i}].id")
    return cases


def is_errored(sample: Mapping[str, Any]) -> bool:
    """True when the sample has no verdict: target/grader error or `passed` null."""
    return sample.get("passed") is None or bool(sample.get("error")) or bool(sample.get("error_kind"))


def case_key(case: Mapping[str, Any]) -> str:
    """A case's identity across suites: `suite/id` when the suite is named."""
    suite = case.get("suite")
    return f"{suite}/{case['id']}" if suite else str(case["id"])


def signal_data(run: dict, signal: str, *, source: str | None = None,
                require_unit_interval: bool = False) -> SignalData:
    """Extract one signal and correctness per graded sample; errored samples are counted, not used."""
    conf: list[float] = []
    correct: list[bool] = []
    ids: list[str] = []
    tags: list[Mapping[str, str]] = []
    errored = 0
    for i, case in enumerate(run_cases(run, source)):
        case_tags = case.get("tags") if isinstance(case.get("tags"), dict) else {}
        for j, sample in enumerate(case["samples"]):
            where = f"cases[{i}].samples[{j}]"
            if not isinstance(sample, dict):
                raise InputError("a sample must be an object", file=source, field=where)
            if is_errored(sample):
                errored += 1
                continue
            passed = sample["passed"]
            if not isinstance(passed, bool):
                raise InputError(f"`passed` must be true, false or null, got {passed!r}", file=source,
                                 field=f"{where}.passed")
            signals = sample.get("signals") or {}
            value = signals.get(signal) if isinstance(signals, dict) else None
            if value is None:
                raise InputError(f"case {case['id']!r} sample {j} has no signal {signal!r}"
                                 f" (available: {', '.join(sorted(signals)) or 'none'})",
                                 file=source, field=f"{where}.signals.{signal}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(f"signal {signal!r} must be a finite number, got {value!r}", file=source,
                                 field=f"{where}.signals.{signal}")
            if require_unit_interval and not 0.0 <= value <= 1.0:
                raise InputError(f"signal {signal!r} is {value}, outside [0, 1]; calibration metrics need a "
                                 "probability-like signal (use p_mean rather than logprob_mean)",
                                 file=source, field=f"{where}.signals.{signal}")
            conf.append(float(value))
            correct.append(passed)
            ids.append(case_key(case))
            tags.append(case_tags)
    if not conf:
        raise InputError(f"no graded samples to calibrate ({errored} errored)", file=source, field="cases")
    return SignalData(signal, np.asarray(conf, dtype=float), np.asarray(correct, dtype=bool),
                      np.asarray(ids, dtype=object), tuple(tags), errored)


def split_by_case(case_ids: np.ndarray, fit_fraction: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (fit, held_out) that keep all samples of a case on one side; seeded."""
    if not 0.0 < fit_fraction < 1.0:
        raise InputError(f"fit fraction must be in (0, 1), got {fit_fraction}", field="fit_fraction")
    unique = np.unique(case_ids)
    if len(unique) < 2:
        raise InputError("splitting needs at least two cases", field="cases")
    rng = np.random.default_rng(seed)
    n_fit = min(max(1, round(fit_fraction * len(unique))), len(unique) - 1)
    fit_cases = set(rng.permutation(unique)[:n_fit].tolist())
    fit = np.fromiter((c in fit_cases for c in case_ids), dtype=bool, count=len(case_ids))
    return fit, ~fit


def first_per_case(case_ids: np.ndarray) -> np.ndarray:
    """Mask of the first row of every case: one answer per request, as a deployment gives."""
    _, first = np.unique(case_ids, return_index=True)
    mask = np.zeros(len(case_ids), dtype=bool)
    mask[first] = True
    return mask
