"""`safe_grade`: a grader that raises or misbehaves becomes a grader error, never a pass or a crash."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from gradeloop.graders.base import Grade, Grader

if TYPE_CHECKING:
    from gradeloop.suite.model import Case


def safe_grade(grader: Grader, case: "Case", output: str) -> Grade:
    """Call `grader.grade`; any exception, non-Grade result or score outside [0, 1] becomes an error Grade."""
    name = getattr(grader, "name", type(grader).__name__)
    try:
        g = grader.grade(case, output)
    except Exception as exc:  # a grader bug must not stop the run or count as a verdict
        return Grade(0.0, False, "", name, error=f"grader raised {type(exc).__name__}: {exc}"[:500])
    if not isinstance(g, Grade):
        return Grade(0.0, False, "", name, error=f"grader returned {type(g).__name__}, not a Grade")
    if g.error is None and not (isinstance(g.score, (int, float)) and math.isfinite(g.score)
                                and 0.0 <= g.score <= 1.0):
        return Grade(0.0, False, g.reason, name, error=f"grader gave score {g.score!r}, outside [0, 1]")
    return g
