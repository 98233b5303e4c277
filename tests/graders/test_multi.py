"""The multi grader: weighted mean or formula over named sub-graders; errors propagate."""
from __future__ import annotations

import pytest

from gradeloop.graders import build_grader
from tests.graders.helpers import CASE, bad, grade, spec

SUBS = {
    "kw": {"type": "contains_all", "values": ["otp", "expiry", "lockout", "retries"]},
    "safe": {"type": "not_contains", "values": ["bypass auth"]},
    "short": {"type": "length", "max": 20, "unit": "words"},
}
OUT = "Test OTP expiry and lockout."  # kw = 0.75, safe = 1, short = 1


def test_weighted_mean_default_weights_and_threshold():
    g = grade("multi", OUT, graders=SUBS)
    assert g.score == pytest.approx((0.75 + 1 + 1) / 3) and not g.passed
    assert "kw=0.75" in g.reason
    assert grade("multi", OUT, graders=SUBS, pass_threshold=0.9).passed


def test_explicit_weights_and_sub_grader_weight():
    g = grade("multi", OUT, graders=SUBS, weights={"kw": 2, "safe": 1, "short": 1})
    assert g.score == pytest.approx((1.5 + 1 + 1) / 4)
    subs = {**SUBS, "kw": {**SUBS["kw"], "weight": 0}}
    assert grade("multi", OUT, graders=subs).score == pytest.approx(1.0)


def test_formula():
    g = grade("multi", OUT, graders=SUBS, formula="0.5 * kw + 0.5 * min(safe, short)")
    assert g.score == pytest.approx(0.875) and "formula" in g.reason
    assert grade("multi", OUT, graders=SUBS, formula="kw >= 0.75", pass_threshold=1.0).passed


def test_formula_out_of_range_is_clipped_and_reported():
    g = grade("multi", OUT, graders=SUBS, formula="kw + safe + short")
    assert g.score == 1.0 and "clipped" in g.reason


def test_passed_when_all():
    g = grade("multi", OUT, graders=SUBS, passed_when="all", pass_threshold=0.0)
    assert not g.passed
    assert grade("multi", OUT, graders={"safe": SUBS["safe"]}, passed_when="all").passed


def test_division_by_zero_is_a_grade_error():
    g = grade("multi", "nothing", graders=SUBS, formula="safe / kw")
    assert g.error is not None and "formula" in g.error


def test_sub_grader_error_makes_the_whole_grade_an_error():
    judge_sub = {"type": "llm_judge", "rubric": "r", "model": "m"}
    g = build_grader(spec("multi", graders={"j": judge_sub, **SUBS}), CASE, judge_factory=lambda m: (lambda p: "??"))
    out = g.grade(CASE, OUT)
    assert out.error is not None and "j:" in out.error and not out.passed


def test_nested_signals_are_prefixed():
    judge_sub = {"type": "llm_judge", "rubric": "r", "model": "m"}
    reply = '{"score": 1, "passed": true, "confidence": 0.6}'
    g = build_grader(spec("multi", graders={"j": judge_sub}), CASE, judge_factory=lambda m: (lambda p: reply))
    assert g.grade(CASE, OUT).signals == {"j.confidence": 0.6}


def test_formula_trying_import_is_rejected_at_build():
    err = bad("multi", graders=SUBS, formula="__import__('os').system('true')")
    assert err.field == "grader.formula" and "not allowed" in err.message


@pytest.mark.parametrize("params, field", [
    ({}, "grader.graders"),
    ({"graders": {}}, "grader"),
    ({"graders": SUBS, "formula": "nope + kw"}, "grader.formula"),
    ({"graders": SUBS, "weights": {"other": 1}}, "grader"),
    ({"graders": SUBS, "weights": {"kw": 1}, "formula": "kw"}, "grader"),
    ({"graders": {"a": {"type": "regex", "pattern": "("}}}, "grader.graders.a.pattern"),
    ({"graders": {"a": {"type": "nope"}}}, "grader.graders.a.type"),
    ({"graders": {"a": {"values": ["x"]}}}, "grader.graders.a"),
])
def test_bad_parameters(params, field):
    assert bad("multi", **params).field == field


def test_templated_sub_graders_are_filled_per_case_and_python_source_is_left_alone():
    from gradeloop.graders import build_graders
    from gradeloop.suite.model import Case, GraderSpec, Suite

    subs = {"ref": {"type": "contains", "value": "{{ reference }}"},
            "py": {"type": "python", "source": "def grade(case, output):\n    return '{{' not in output\n"}}
    d = GraderSpec("multi", {"graders": subs, "passed_when": "all"})
    c1, c2 = Case("a", "q", reference="alpha"), Case("b", "q", reference="beta")
    suite = Suite("s", (c1, c2), default_graders=(d,))
    g1, g2 = build_graders(suite, c1)[0], build_graders(suite, c2)[0]
    assert g1.grade(c1, "alpha").passed and not g2.grade(c2, "alpha").passed and g2.grade(c2, "beta").passed
