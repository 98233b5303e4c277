"""The numeric grader: numbers pulled from prose, tolerances, extraction modes."""
from __future__ import annotations

import pytest

from gradeloop.graders.numeric import extract_number, find_numbers
from tests.graders.helpers import bad, grade


@pytest.mark.parametrize("text, numbers", [
    ("12+7 = 19", [12, 7, 19]),
    ("It costs 1,234 dollars", [1234]),
    ("-3.5 degrees", [-3.5]),
    ("about 1e3 items", [1000]),
    ("between 2020-2021", [2020, 2021]),
    ("x = \u22124", [-4]),
    ("1,2345 and .5", [1, 2345, 0.5]),
    ("$1,234.50 total", [1234.5]),
    ("no numbers", []),
])
def test_find_numbers(text, numbers):
    assert find_numbers(text) == pytest.approx(numbers)


def test_extract_modes():
    assert extract_number("3 then 4", "first") == 3
    assert extract_number("3 then 4", "last") == 4
    assert extract_number("3 then 4", "only") is None
    assert extract_number("just 4", "only") == 4


def test_numeric_pass_and_fail_from_prose():
    assert grade("numeric", "12 + 7 is 19.", value=19).passed
    g = grade("numeric", "12 + 7 is 20.", value=19)
    assert (g.score, g.passed) == (0.0, False) and "got 20" in g.reason


def test_numeric_reference_template_and_string_value():
    assert grade("numeric", "The answer is 19", value="{{ reference }}", tolerance=0).passed
    assert grade("numeric", "Total: 1234", value="1,234").passed


def test_numeric_tolerances():
    assert grade("numeric", "3.14", value=3.14159, tolerance=0.01).passed
    assert not grade("numeric", "3.1", value=3.14159, tolerance=0.01).passed
    assert grade("numeric", "about 105", value=100, rel_tolerance=0.05).passed
    assert not grade("numeric", "about 106", value=100, rel_tolerance=0.05).passed
    assert grade("numeric", "0.30000000000000004", value=0.3).passed


def test_numeric_extraction_options_and_no_number():
    assert grade("numeric", "19, not 20", value=19, extract="first").passed
    assert not grade("numeric", "19, not 20", value=19).passed
    g = grade("numeric", "19, not 20", value=19, extract="only")
    assert not g.passed and "exactly one" in g.reason
    g = grade("numeric", "nineteen", value=19)
    assert not g.passed and "no number" in g.reason


@pytest.mark.parametrize("params, field", [
    ({}, "grader.value"),
    ({"value": "many 1 2"}, "grader.value"),
    ({"value": 1, "tolerance": -1}, "grader.tolerance"),
    ({"value": 1, "extract": "middle"}, "grader.extract"),
    ({"value": float("inf")}, "grader.value"),
])
def test_numeric_bad_parameters(params, field):
    assert bad("numeric", **params).field == field


@pytest.mark.parametrize("text, numbers", [
    ("The answer is 12 (checked with GPT4)", [12.0]),
    ("H2O boils at 100 C", [100.0]),
    ("x86 and arm64 builds: 2", [2.0]),
    ("var_1 = 5", [5.0]),
    ("it weighs 12kg", [12.0]),  # a unit after the number keeps it
    ("COVID-19 started in 2019", [19.0, 2019.0]),
])
def test_digits_glued_to_a_preceding_letter_are_not_numbers(text, numbers):
    assert find_numbers(text) == numbers


def test_numeric_grader_ignores_model_names():
    assert grade("numeric", "The answer is 12 (checked with GPT4)", value=12).passed
