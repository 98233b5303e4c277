"""regex, exact and normalized_match graders."""
from __future__ import annotations

import pytest

from gradeloop.graders.match import normalize_answer
from tests.graders.helpers import bad, grade


def test_regex_search_pass_and_fail():
    assert grade("regex", "Step 1: open the page", pattern=r"^Step 1").passed
    g = grade("regex", "First, open the page", pattern=r"^Step 1")
    assert (g.score, g.passed) == (0.0, False) and "no match" in g.reason


def test_regex_flags_string_and_list():
    assert grade("regex", "intro\nstep 1", pattern=r"^STEP 1", flags=["ignorecase", "multiline"]).passed
    assert grade("regex", "intro\nstep 1", pattern=r"^STEP 1", flags="i|m").passed
    assert not grade("regex", "intro\nstep 1", pattern=r"^STEP 1", flags="ignorecase").passed
    assert grade("regex", "a\nb", pattern=r"a.b", flags=["dotall"]).passed


def test_regex_fullmatch_and_negate():
    assert grade("regex", "2024-01-05", pattern=r"\d{4}-\d{2}-\d{2}", match="fullmatch").passed
    assert not grade("regex", "on 2024-01-05", pattern=r"\d{4}-\d{2}-\d{2}", match="fullmatch").passed
    assert grade("regex", "all good", pattern=r"password\s*=", negate=True).passed
    assert not grade("regex", "password = hunter2", pattern=r"password\s*=", negate=True).passed


def test_invalid_regex_is_an_input_error_at_build():
    err = bad("regex", pattern="(unclosed")
    assert err.field == "grader.pattern" and "invalid regular expression" in err.message


@pytest.mark.parametrize("params, field", [
    ({}, "grader.pattern"),
    ({"pattern": "x", "flags": ["bogus"]}, "grader.flags"),
    ({"pattern": "x", "match": "prefix"}, "grader.match"),
])
def test_regex_bad_parameters(params, field):
    assert bad("regex", **params).field == field


def test_exact():
    assert grade("exact", "  Paris \n", value="Paris").passed
    assert not grade("exact", "paris", value="Paris").passed
    assert grade("exact", "paris", value="Paris", case_sensitive=False).passed
    assert not grade("exact", " Paris", value="Paris", strip=False).passed
    assert bad("exact").field == "grader.value"


def test_normalize_answer_like_squad():
    assert normalize_answer("The  Eiffel-Tower!") == "eiffel tower"
    assert normalize_answer("An apple, a day.") == "apple day"


def test_normalized_match():
    assert grade("normalized_match", "The Eiffel Tower.", value="eiffel tower").passed
    g = grade("normalized_match", "The Louvre", value="eiffel tower")
    assert (g.score, g.passed) == (0.0, False)
    assert grade("normalized_match", "Lyon", values=["Paris", "lyon"]).passed
    assert not grade("normalized_match", "It is Paris, France", value="Paris").passed
    assert grade("normalized_match", "It is Paris, France", value="Paris", contains=True).passed
    assert not grade("normalized_match", "Parisian food", value="Paris", contains=True).passed
    assert bad("normalized_match").field == "grader"
    assert bad("normalized_match", values=[]).field == "grader"


@pytest.mark.parametrize("reference, output, passed", [
    ("A", "", False), ("A", "The", False), ("A", "?", False), ("A", "A", True), ("A", "a.", True),
    ("the", "The", True), ("the", "", False), ("the", "a", False),
    ("-", "-", True), ("-", "", False), ("-", "?", False),
    ("Paris", "the Paris!", True),  # ordinary answers keep SQuAD's normalisation
])
def test_normalized_match_reference_that_normalises_to_nothing(reference, output, passed):
    assert grade("normalized_match", output, value=reference).passed is passed


def test_normalized_match_contains_option_letter():
    assert grade("normalized_match", "The answer is A", value="A", contains=True).passed
    assert not grade("normalized_match", "The answer is B", value="A", contains=True).passed
    assert grade("normalized_match", "Answer: (B)", values=["A", "B"], contains=True).passed


def test_normalized_match_rejects_an_empty_answer():
    assert "must not be empty" in bad("normalized_match", value="  ").message


def test_regex_catastrophic_pattern_on_90_chars_is_bounded():
    # The pattern of the issue finishes (the regex engine does not backtrack on it) ...
    g = grade("regex", "a" * 89 + "!", pattern=r"^(\w+\s?)*$")
    assert g.error is None and not g.passed
    # ... and one that does backtrack ends in a grader error at the time limit, never a verdict.
    g = grade("regex", "a" * 89 + "!", pattern=r"^(\w|\w\w)*$", timeout=0.05)
    assert g.error is not None and "timed out" in g.error and not g.passed
    g = grade("regex", "a" * 89 + "!", pattern=r"^(\w|\w\w)*$", negate=True, timeout=0.05)
    assert g.error is not None and not g.passed  # negation cannot turn a timeout into a pass


def test_regex_timeout_error_is_recorded_by_the_run_engine():
    from gradeloop.run.engine import grade_output
    from gradeloop.graders import build_grader
    from tests.graders.helpers import CASE, spec

    grader = build_grader(spec("regex", pattern=r"^(\w|\w\w)*$", timeout=0.05), CASE)
    passed, score, grades, error, _ = grade_output(CASE, [grader], "a" * 89 + "!")
    assert passed is None and score is None and "timed out" in grades[0]["error"]
