"""Grading an imported case the way a run does: its graders, then the sample verdict rule."""
from __future__ import annotations

from gradeloop.graders.build import build_graders
from gradeloop.graders.combine import combine
from gradeloop.graders.safety import safe_grade
from gradeloop.suite.model import Case, Suite


def verdict(suite: Suite, case: Case, output: str) -> bool | None:
    """True/False as a run would record the sample; None for a grader error."""
    graders = build_graders(suite, case, judge_factory=lambda model: (lambda prompt: '{"score": 1, "passed": true}'))
    passed, _ = combine(graders, [safe_grade(g, case, output) for g in graders])
    return passed


def case(suite: Suite, case_id: str) -> Case:
    return next(c for c in suite.cases if c.id == case_id)
