"""Graders: every check a case can name in suite YAML, built from specs by `build_grader`.

A grader is `grade(case, output) -> Grade`; `combine` turns a sample's grades into its
verdict and `safe_grade` keeps a crashing grader from becoming a pass.
"""
from gradeloop.graders.base import Grade, Grader, JudgeFactory, JudgeFn
from gradeloop.graders.build import build_grader, build_graders, grader_docs
from gradeloop.graders.combine import combine
from gradeloop.graders.refusal import is_refusal
from gradeloop.graders.safety import safe_grade

__all__ = ["Grade", "Grader", "JudgeFactory", "JudgeFn", "build_grader", "build_graders", "combine",
           "grader_docs", "is_refusal", "safe_grade"]
