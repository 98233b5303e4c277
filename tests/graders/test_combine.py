"""combine (a sample's verdict) and safe_grade (crashing graders become errors)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from gradeloop.graders import Grade, combine, safe_grade
from tests.graders.helpers import CASE


@dataclass
class Fixed:
    name: str
    weight: float
    result: object = None

    def grade(self, case, output):
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def test_combine_weighted_mean_and_all_must_pass():
    gs = [Fixed("a", 1.0), Fixed("b", 3.0)]
    assert combine(gs, [Grade(1.0, True), Grade(0.5, True)]) == (True, pytest.approx(0.625))
    assert combine(gs, [Grade(1.0, True), Grade(0.9, False)]) == (False, pytest.approx(0.925))


def test_combine_errors_and_edge_cases():
    gs = [Fixed("a", 1.0), Fixed("b", 1.0)]
    assert combine(gs, [Grade(1.0, True), Grade(0.0, False, error="boom")]) == (None, None)
    assert combine([], []) == (None, None)
    zero = [Fixed("a", 0.0), Fixed("b", 0.0)]
    assert combine(zero, [Grade(1.0, True), Grade(0.0, True)]) == (True, 0.5)
    with pytest.raises(ValueError):
        combine(gs, [Grade(1.0, True)])


def test_safe_grade_turns_failures_into_errors():
    assert safe_grade(Fixed("ok", 1, Grade(1.0, True, grader="ok")), CASE, "x").passed
    g = safe_grade(Fixed("boom", 1, RuntimeError("kaput")), CASE, "x")
    assert g.error is not None and "kaput" in g.error and not g.passed and g.grader == "boom"
    assert safe_grade(Fixed("none", 1, None), CASE, "x").error is not None
    assert safe_grade(Fixed("big", 1, Grade(1.5, True)), CASE, "x").error is not None
    assert safe_grade(Fixed("nan", 1, Grade(float("nan"), True)), CASE, "x").error is not None


def test_grade_signals_are_optional_in_as_dict():
    assert "signals" not in Grade(1.0, True).as_dict()
    assert Grade(1.0, True, signals={"confidence": 0.5}).as_dict()["signals"] == {"confidence": 0.5}
