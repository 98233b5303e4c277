"""Scoring production traffic with the release suite's default graders — the graders that gated it.

Production has no reference answer, so a grader that names one (`{{ reference }}`, or the
case's `expect`, `metadata` or `parent`) is refused when the monitor starts, naming where it
was written. `{{ tags.x }}`, `{{ input }}` and `{{ id }}` are filled from each logged request.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Mapping

from gradeloop.errors import InputError
from gradeloop.graders import build_grader, build_graders, combine, is_refusal, safe_grade
from gradeloop.graders.base import JudgeFactory
from gradeloop.graders.templating import TEMPLATE, needs_case
from gradeloop.monitor.records import LogRecord
from gradeloop.suite import load_suite
from gradeloop.suite.model import Case, Suite
from gradeloop.tools.calls import Reply

_NO_PRODUCTION_VALUE = ("reference", "expect", "metadata", "parent")


@dataclass(frozen=True, slots=True)
class Scored:
    """One request's verdict and the features drift is measured on."""

    ts: float
    tags: Mapping[str, str]
    error: bool  # the request itself failed (logged `error`)
    passed: bool | None  # None: request error or grader error
    score: float | None
    grader_error: str | None
    refused: bool | None  # None when there is no output
    output_words: int | None
    latency_s: float | None
    confidence: float | None
    tool_calls: int | None = None  # calls made; None when the log line does not log calls
    tool_call_failures: int = 0  # calls that failed (logged error, or arguments that do not parse)


def _template_paths(value: Any) -> list[str]:
    if isinstance(value, str):
        return TEMPLATE.findall(value) if "{{" in value else []
    if isinstance(value, Mapping):
        return [p for v in value.values() for p in _template_paths(v)]
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in _template_paths(v)]
    return []


def check_production_graders(suite: Suite) -> None:
    """Refuse default graders that need what production has no value for (a reference, above all)."""
    if not suite.default_graders:
        raise InputError("the suite has no defaults.graders: the monitor applies only the suite's default "
                         "graders to logged requests", file=suite.source, field="defaults.graders")
    for i, spec in enumerate(suite.default_graders):
        for path in _template_paths(spec.params):
            head = path.removeprefix("item.").partition(".")[0]
            if head in _NO_PRODUCTION_VALUE:
                raise InputError(f"grader '{spec.type}' needs the case {head} ({{{{ {path} }}}}), which production "
                                 "logs do not have; monitor with graders that judge the output alone",
                                 file=spec.file or suite.source, line=spec.line, field=f"defaults.graders[{i}]")


def load_production_suite(path: str) -> Suite:
    """The suite whose defaults score traffic; its cases are not needed, only its default graders."""
    suite = load_suite(path)
    check_production_graders(suite)
    return replace(suite, cases=())


class Scorer:
    """Grades each logged request with the suite's default graders (built once, unless templated)."""

    def __init__(self, suite: Suite, judge_factory: JudgeFactory | None = None) -> None:
        check_production_graders(suite)
        self.suite = suite
        self.judge_factory = judge_factory
        base_dir = os.path.dirname(suite.source) if suite.source else None
        for i, spec in enumerate(suite.default_graders):  # bad parameters fail now, naming the suite
            if not needs_case(spec.params):
                build_grader(spec, judge_factory=judge_factory, base_dir=base_dir, where=f"defaults.graders[{i}]")

    def case_for(self, record: LogRecord) -> Case:
        return Case(id=f"{record.file}:{record.line}", input=record.input, tags=record.tags,
                    file=record.file, line=record.line, tools=self.suite.tools)

    def graders_for(self, case: Case, file: str | None = None, line: int | None = None) -> tuple:
        try:
            return build_graders(self.suite, case, judge_factory=self.judge_factory)
        except InputError as exc:
            if file is None or "has no value for" not in exc.message:
                raise
            # A {{ tags.x }} template this request cannot fill: the log line is what is wrong.
            raise InputError(f"{exc.message} (needed by {exc.field} in {exc.file})", file=file, line=line,
                             field="tags") from None

    def grade(self, case: Case, output: str, file: str | None = None,
              line: int | None = None) -> tuple[bool | None, float | None, str | None]:
        """(passed, score, grader error) of one output."""
        graders = self.graders_for(case, file, line)
        grades = [safe_grade(g, case, output) for g in graders]
        passed, score = combine(graders, grades)
        errors = [f"{g.grader}: {g.error}" for g in grades if g.error is not None]
        return passed, score, ("; ".join(errors) if errors else None)

    def score(self, record: LogRecord) -> Scored:
        """The verdict and features of one logged request."""
        output = record.output
        calls = record.tool_calls
        n_calls = None if calls is None else len(calls)
        failures = 0 if calls is None else sum(c.error is not None for c in calls)
        if record.error is not None or output is None:  # a failed request: no verdict, no output features
            return Scored(record.ts, record.tags, True, None, None, None, None, None, record.latency_s, None,
                          n_calls, failures)
        graded = Reply(output, calls) if calls else output  # tool-call graders read the calls
        passed, score, gerr = self.grade(self.case_for(record), graded, record.file, record.line)
        return Scored(record.ts, record.tags, False, passed, score, gerr, is_refusal(output), len(output.split()),
                      record.latency_s, record.confidence, n_calls, failures)
