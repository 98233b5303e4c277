"""Importers: suites from promptfoo configs, OpenAI Evals definitions, Inspect datasets and InstructLab qna.yaml.

Each importer returns an ImportResult (the suite, the issues met with file:line, and side
outputs: replay rows, training rows); `write_suite` writes it and loads it back.
"""
from gradeloop.importers.inspect_dataset import import_inspect_dataset
from gradeloop.importers.instructlab import import_instructlab
from gradeloop.importers.openai_evals import import_legacy_jsonl, import_openai_eval
from gradeloop.importers.promptfoo import import_promptfoo
from gradeloop.importers.result import ImportIssue, ImportResult, check_graders, write_suite

__all__ = ["ImportIssue", "ImportResult", "check_graders", "import_inspect_dataset", "import_instructlab",
           "import_legacy_jsonl", "import_openai_eval", "import_promptfoo", "write_suite"]
