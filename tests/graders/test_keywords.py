"""Keyword graders: coverage, forbidden terms, case and word-boundary options, the seed harness numbers."""
from __future__ import annotations

import timeit

import pytest

from gradeloop.graders import build_grader
from tests.graders.helpers import CASE, bad, grade, spec

SEED_OUTPUT = "Include OTP expiry checks, invalid OTP retries, and lockout tests."


def test_seed_qa_harness_numbers():
    cov = grade("contains_all", SEED_OUTPUT, values=["otp", "expiry", "lockout"])
    assert (cov.score, cov.passed) == (1.0, True)
    forbidden = grade("not_contains", SEED_OUTPUT, values=["disable security", "bypass auth"])
    assert (forbidden.score, forbidden.passed) == (1.0, True)
    assert "forbidden hits: 0" in forbidden.reason


def test_contains_single_value_pass_and_fail_case_insensitive():
    assert grade("contains", "Account LOCKOUT after 5 tries", value="lockout").passed
    g = grade("contains", "nothing here", value="lockout")
    assert (g.score, g.passed) == (0.0, False) and "missing" in g.reason
    assert g.grader == "contains"


def test_contains_case_sensitive():
    assert not grade("contains", "LOCKOUT", value="lockout", case_sensitive=True).passed
    assert grade("contains", "lockout", value="lockout", case_sensitive=True).passed


def test_contains_with_several_values_needs_all():
    assert grade("contains", "otp and expiry", values=["otp", "expiry"]).passed
    g = grade("contains", "otp only", values=["otp", "expiry"])
    assert (g.score, g.passed) == (0.0, False)


def test_contains_all_scores_coverage_and_names_missing():
    g = grade("contains_all", "otp and expiry", values=["otp", "expiry", "lockout", "rate limit"])
    assert g.score == pytest.approx(0.5) and not g.passed
    assert "2/4" in g.reason and "lockout" in g.reason and "rate limit" in g.reason


def test_contains_any():
    assert grade("contains_any", "use a TOTP app", values=["sms", "totp"]).passed
    g = grade("contains_any", "use email", values=["sms", "totp"])
    assert (g.score, g.passed) == (0.0, False) and "none of" in g.reason


def test_not_contains_counts_and_lists_hits():
    g = grade("not_contains", "Just bypass auth and Disable Security.", values=["disable security", "bypass auth"])
    assert (g.score, g.passed) == (0.0, False)
    assert "forbidden hits: 2" in g.reason and "bypass auth" in g.reason


def test_word_boundary():
    assert grade("contains", "account lockout", value="lock").passed
    assert not grade("contains", "account lockout", value="lock", word_boundary=True).passed
    assert grade("contains", "the Lock is set", value="lock", word_boundary=True).passed
    assert grade("contains", "written in C++ today", value="c++", word_boundary=True).passed
    assert grade("not_contains", "blocked", values=["lock"], word_boundary=True).passed


@pytest.mark.parametrize("params, field", [
    ({}, "grader"),
    ({"value": "a", "values": ["b"]}, "grader"),
    ({"values": []}, "grader"),
    ({"values": ["ok", ""]}, "grader"),
    ({"values": "otp"}, "grader.values"),
    ({"value": "a", "vaules": ["x"]}, "grader.vaules"),
    ({"value": "a", "weight": -1}, "grader.weight"),
])
def test_bad_parameters_name_the_field(params, field):
    err = bad("contains_all", **params)
    assert err.field == field


def test_name_and_weight():
    g = build_grader(spec("contains", value="x", name="mentions-x", weight=2.5))
    assert (g.name, g.weight) == ("mentions-x", 2.5)
    assert g.grade(CASE, "x").grader == "mentions-x"


def test_contains_costs_microseconds():
    g = build_grader(spec("contains", value="lockout"))
    n = 20000
    per_call = min(timeit.repeat(lambda: g.grade(CASE, SEED_OUTPUT), number=n, repeat=3)) / n
    assert per_call < 20e-6  # a few µs when the machine is idle; generous for a loaded CI box
