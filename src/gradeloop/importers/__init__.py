"""Importers: suites from promptfoo configs, OpenAI Evals definitions, Inspect datasets and InstructLab qna.yaml."""
from gradeloop.importers.result import ImportIssue, ImportResult, check_graders, write_suite

__all__ = ["ImportIssue", "ImportResult", "check_graders", "write_suite"]
