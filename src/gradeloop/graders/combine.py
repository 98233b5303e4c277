"""How a sample's grades become its verdict: it passes when every grader passes; its score is the weighted mean."""
from __future__ import annotations

from typing import Sequence

from gradeloop.graders.base import Grade, Grader


def combine(graders: Sequence[Grader], grades: Sequence[Grade]) -> tuple[bool | None, float | None]:
    """(passed, score) of one sample; (None, None) when a grade is an error or there is nothing to judge.

    Weights of 0 still have to pass; if all weights are 0 the score is the plain mean.
    """
    if len(graders) != len(grades):
        raise ValueError(f"{len(graders)} graders but {len(grades)} grades")
    if not grades or any(g.error is not None for g in grades):
        return None, None
    total = 0.0
    weighted = 0.0
    for grader, g in zip(graders, grades):
        total += grader.weight
        weighted += grader.weight * g.score
    score = weighted / total if total > 0 else sum(g.score for g in grades) / len(grades)
    return all(g.passed for g in grades), score
