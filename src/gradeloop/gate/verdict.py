"""Verdicts: every gate decision is pass, fail or inconclusive, and inconclusive fails by default.

- `fail`: a regression shown: the decision interval excludes zero after correction and the drop
  is beyond the practical margin; or the candidate errors more than its baseline.
- `inconclusive`: the data cannot support a pass: errors or missing outputs beyond the policy's
  allowance, a slice with no usable case, or an observed drop beyond `max_drop` that the test
  cannot confirm. One line says what would decide it.
- `pass`: none of the above.

A decision that lacks the data to rule out a regression is never `pass` (DESIGN: decisions fail
closed); passing an inconclusive result takes an explicit `on_inconclusive: pass`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from statistics import NormalDist
from typing import Iterable, Literal

from gradeloop.stats.paired_test import ShiftTest


class Verdict(str, Enum):
    """pass | fail | inconclusive; a str, so it serialises as its value."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


def combine(verdicts: Iterable[Verdict | str]) -> Verdict:
    """fail if any fails, else inconclusive if any is, else pass (nothing to judge is inconclusive)."""
    seen = [Verdict(v) for v in verdicts]
    if not seen:
        return Verdict.INCONCLUSIVE
    if Verdict.FAIL in seen:
        return Verdict.FAIL
    if Verdict.INCONCLUSIVE in seen:
        return Verdict.INCONCLUSIVE
    return Verdict.PASS


def passes(verdict: Verdict | str, on_inconclusive: Literal["fail", "pass"] = "fail") -> bool:
    """Whether the verdict lets the release through (exit 0) under the policy."""
    v = Verdict(verdict)
    return v is Verdict.PASS or (v is Verdict.INCONCLUSIVE and on_inconclusive == "pass")


def exit_code(verdict: Verdict | str, on_inconclusive: Literal["fail", "pass"] = "fail") -> int:
    return 0 if passes(verdict, on_inconclusive) else 1


@dataclass(frozen=True, slots=True)
class ErrorCount:
    """Samples planned for a scope and how many of them errored or are missing."""

    errors: int = 0
    target: int = 0
    grader: int = 0
    missing: int = 0
    planned: int = 0

    @property
    def rate(self) -> float:
        """Share of planned samples without a verdict; 1.0 when nothing was planned (no data)."""
        return self.errors / self.planned if self.planned else 1.0

    def __add__(self, other: "ErrorCount") -> "ErrorCount":
        return ErrorCount(self.errors + other.errors, self.target + other.target, self.grader + other.grader,
                          self.missing + other.missing, self.planned + other.planned)

    def as_dict(self) -> dict:
        return {"errors": self.errors, "target": self.target, "grader": self.grader, "missing": self.missing,
                "planned": self.planned, "rate": self.rate}


def case_errors(case: dict | None, samples_per_case: int) -> ErrorCount:
    """Errors of one run-JSON case: target and grader errors, and planned samples never recorded."""
    planned = max(int(samples_per_case), 1)
    if case is None:
        return ErrorCount(planned, 0, 0, planned, planned)
    target = grader = 0
    for s in case.get("samples", ()):
        kind = s.get("error_kind")
        if kind == "grader":
            grader += 1
        elif kind is not None or (s.get("error") and s.get("passed") is None):
            target += 1
    recorded = len(case.get("samples", ()))
    missing = max(planned - recorded, 0)
    planned = max(planned, recorded)
    return ErrorCount(target + grader + missing, target, grader, missing, planned)


@dataclass(frozen=True, slots=True)
class ScopeVerdict:
    """The verdict of one scope (overall, a suite, a slice), the statistical finding and why."""

    verdict: Verdict
    finding: str  # regression | regression within margin | improvement | no significant change | not tested | ...
    reasons: tuple[str, ...] = ()
    to_decide: str | None = None  # one line: what would decide an inconclusive verdict


def cases_to_decide(sd: float, effect: float, alpha: float, power: float = 0.8) -> int:
    """Cases a one-sided paired test at `alpha` needs to detect `effect` with `power` (normal
    approximation on the per-case difference sd), and never fewer than the exact sign-flip test
    needs to reach `alpha` at all (2^-n <= alpha)."""
    exact_floor = math.ceil(math.log2(1.0 / alpha))
    if effect <= 0:
        return exact_floor
    z = NormalDist().inv_cdf(1.0 - alpha) + NormalDist().inv_cdf(power)
    sd = max(sd, effect / 2.0)  # an observed sd of 0 (every case moved alike) is no promise
    return max(exact_floor, math.ceil((z * sd / effect) ** 2))


def judge_difference(name: str, test: ShiftTest | None, *, tested: bool, margin: float, max_drop: float,
                     alpha: float, power: float, sd_hint: float, min_cases: int) -> ScopeVerdict:
    """pass / fail / inconclusive of one scope's paired difference, decided by its interval."""
    if test is None or test.diff.n_cases == 0:
        return ScopeVerdict(Verdict.INCONCLUSIVE, "no data", ("no case has valid samples in both runs",),
                            f"{name}: no case with valid samples in both runs; rerun the failed samples")
    n, mean = test.diff.n_cases, test.diff.mean
    drop = -mean
    if tested and test.drop_shown:
        if drop > margin:
            return ScopeVerdict(Verdict.FAIL, "regression", (f"drop {drop:.3f} shown (upper bound "
                                                             f"{test.diff.ci_high:+.3f} < 0) beyond the margin "
                                                             f"{margin:.3f}",))
        return ScopeVerdict(Verdict.PASS, "regression within margin")
    finding = ("improvement" if tested and test.gain_shown else
               "no significant change" if tested else f"not tested ({n} cases < {min_cases})")
    if drop > max_drop:
        need = max(cases_to_decide(test.sd if n >= 10 else sd_hint, max_drop, alpha, power), min_cases)
        line = (f"{name}: {n} cases, observed {mean:+.2f}; confirming or ruling out a "
                f"{max_drop * 100:.0f}-point drop needs ~{need} cases")
        return ScopeVerdict(Verdict.INCONCLUSIVE, finding,
                            (f"observed drop {drop:.3f} beyond max_drop {max_drop:.3f} that the test cannot "
                             "confirm",), line)
    return ScopeVerdict(Verdict.PASS, finding)


def judge_errors(name: str, cand: ErrorCount, base: ErrorCount | None, *, max_error_rate: float,
                 max_error_increase: float) -> ScopeVerdict | None:
    """fail when the candidate errors more than its baseline beyond the allowance; inconclusive when
    its error rate is beyond `max_error_rate`; None when errors are within the policy."""
    rate = cand.rate
    if base is not None and base.planned and rate - base.rate > max_error_increase + 1e-12:
        why = (f"error rate {rate:.2f} ({cand.errors} of {cand.planned} samples) vs baseline {base.rate:.2f} "
               f"(allowed increase {max_error_increase:.2f})")
        return ScopeVerdict(Verdict.FAIL, "more errors", (why,),
                            f"{name}: fix the errors and rerun; errors are never scored as passes")
    if rate > max_error_rate + 1e-12:
        why = f"error rate {rate:.2f} ({cand.errors} of {cand.planned} samples) > max_error_rate {max_error_rate:.2f}"
        return ScopeVerdict(Verdict.INCONCLUSIVE, "errors", (why,),
                            f"{name}: {cand.errors} of {cand.planned} samples errored or are missing; "
                            "rerun them (or allow them with max_error_rate)")
    return None
