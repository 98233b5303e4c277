"""Small builders shared by the grader tests."""
from __future__ import annotations

from typing import Any

import pytest

from gradeloop.errors import InputError
from gradeloop.graders import Grade, build_grader
from gradeloop.suite.model import Case, GraderSpec

CASE = Case("c1", "What is 12+7?", reference="19", tags={"locale": "en-GB"}, metadata={"x": "meta-x"},
            file="suite.yaml", line=3)


def spec(type_: str, **params: Any) -> GraderSpec:
    return GraderSpec(type_, params, file="suite.yaml", line=7)


def grade(type_: str, output: str, case: Case = CASE, **params: Any) -> Grade:
    return build_grader(spec(type_, **params), case).grade(case, output)


def bad(type_: str, case: Case | None = CASE, **params: Any) -> InputError:
    """Building must fail with an InputError that names the spec's file and line."""
    with pytest.raises(InputError) as info:
        build_grader(spec(type_, **params), case)
    err = info.value
    assert err.file == "suite.yaml" and err.line == 7
    return err
