"""What every grader returns and the shape every grader has.

A grader is pure and thread-safe: `grade(case, output) -> Grade`. A grader that cannot
judge (it raised, timed out, or its judge model failed) returns a Grade with `error` set;
such a grade is neither a pass nor a fail and the sample is reported as a grader error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping, Protocol, runtime_checkable

if TYPE_CHECKING:
    from gradeloop.suite.model import Case


@dataclass(frozen=True, slots=True)
class Grade:
    """One grader's verdict on one output: a score in [0, 1], pass/fail and why."""

    score: float
    passed: bool
    reason: str = ""
    grader: str = ""
    error: str | None = None
    # Numbers a grader observed besides its score, e.g. a judge's stated {"confidence": 0.8}.
    signals: Mapping[str, float] | None = None

    def as_dict(self) -> dict:
        d = {"grader": self.grader, "score": self.score, "passed": self.passed, "reason": self.reason}
        if self.error is not None:
            d["error"] = self.error
        if self.signals is not None:
            d["signals"] = dict(self.signals)
        return d


@runtime_checkable
class Grader(Protocol):
    """Anything with a name, a weight and `grade(case, output) -> Grade`."""

    name: str
    weight: float

    def grade(self, case: "Case", output: str) -> Grade: ...


# A judge is a plain callable from prompt text to completion text; whoever builds graders
# (the CLI, the run engine) turns a target spec into one. Graders never import targets.
JudgeFn = Callable[[str], str]
JudgeFactory = Callable[[str], JudgeFn]
