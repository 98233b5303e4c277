"""Loading JSONL suites: one case per line, an optional `{"suite": ...}` header."""
from __future__ import annotations

import json

import pytest

from gradeloop.suite import Thresholds, load_suite

from .conftest import load_error


def _lines(*rows: object) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_without_header_name_is_the_stem_and_split_dev(write):
    path = write("math-basics.jsonl", _lines(
        {"id": "a", "input": "1+1?", "reference": 2, "tags": {"op": "add", "hard": False}},
        {"id": 7, "input": [{"role": "user", "content": "hi"}], "expect": "answer",
         "graders": [{"type": "not_refusal"}]},
    ))
    suite = load_suite(path)
    assert (suite.name, suite.split) == ("math-basics", "dev")
    a, b = suite.cases
    assert (a.reference, a.tags, a.line) == ("2", {"op": "add", "hard": "false"}, 1)
    assert (b.id, b.line, b.graders[0].line, b.graders[0].file) == ("7", 2, 2, str(path))


def test_requested_split_labels_a_file_without_one(write):
    assert load_suite(write("s.jsonl", _lines({"id": "a", "input": "x"})), split="holdout").split == "holdout"


def test_header_line_sets_suite_fields(write):
    path = write("s.jsonl", ("\n" + _lines(
        {"suite": {"name": "named", "split": "canary", "description": "d",
                   "thresholds": {"min_pass_rate": 0.5},
                   "defaults": {"graders": [{"type": "contains", "value": "x"}]}}},
        {"id": "a", "input": "x"},
    )).encode())  # bytes: written as they are, leading blank line kept
    suite = load_suite(path)
    assert (suite.name, suite.split, suite.description) == ("named", "canary", "d")
    assert suite.thresholds == Thresholds(0.5)
    assert (suite.default_graders[0].type, suite.default_graders[0].line) == ("contains", 2)
    assert suite.cases[0].line == 3


def test_malformed_json_names_line_and_column(write):
    err = load_error(write("s.jsonl", '{"id": "a", "input": "x"}\n\n{"id": "b", "input": }\n'))
    assert err.line == 3 and "malformed JSON" in err.message and "column" in err.message


def test_non_utf8_jsonl(write):
    err = load_error(write("s.jsonl", b'{"id": "a", "input": "x"}\n{"id": "b", "input": "\xff"}\n'))
    assert err.line == 2 and "UTF-8" in err.message


def test_line_must_be_an_object(write):
    err = load_error(write("s.jsonl", '{"id": "a", "input": "x"}\n["b", "y"]\n'))
    assert err.line == 2 and "JSON object" in err.message


def test_header_only_on_the_first_line(write):
    err = load_error(write("s.jsonl", _lines({"id": "a", "input": "x"}, {"suite": {"name": "late"}})))
    assert (err.line, err.field) == (2, "suite")


@pytest.mark.parametrize("header, field", [
    ({"suite": {"name": "x", "cases": []}}, "suite.cases"),
    ({"suite": "x"}, "suite"),
    ({"suite": {"name": "x"}, "id": "a"}, "id"),
    ({"suite": {"name": "x", "split": "prod"}}, "suite.split"),
    ({"suite": {"nmae": "x"}}, "suite.nmae"),
])
def test_bad_header(write, header, field):
    err = load_error(write("s.jsonl", _lines(header, {"id": "a", "input": "x"})))
    assert (err.line, err.field) == (1, field)


def test_header_without_cases_is_an_empty_suite(write):
    err = load_error(write("s.jsonl", _lines({"suite": {"name": "x"}})))
    assert err.field == "suite.cases" and "no cases" in err.message


def test_case_errors_name_the_line(write):
    err = load_error(write("s.jsonl", _lines({"id": "a", "input": "x"}, {"id": "b", "input": "y", "expect": "maybe"})))
    assert (err.line, err.field) == (2, "expect")
    err = load_error(write("t.jsonl", _lines({"id": "a", "input": "x"}, {"id": "a", "input": "y"})))
    assert (err.line, err.field) == (2, "id") and "lines 1 and 2" in err.message
    err = load_error(write("u.jsonl", _lines({"id": "a", "input": "x", "graders": [{"type": "contains"}, 3]})))
    assert (err.line, err.field) == (1, "graders[1]")


def test_duplicate_json_keys_are_refused(write):
    err = load_error(write("s.jsonl", '{"id": "a", "input": "x", "input": "y"}\n'))
    assert (err.line, err.field) == (1, "input") and "duplicate key" in err.message


def test_unicode_line_separators_inside_strings_do_not_split_lines(write):
    suite = load_suite(write("s.jsonl", '{"id": "a", "input": "one\u2028two"}\n{"id": "b", "input": "z"}\n'))
    assert suite.cases[0].input == "one\u2028two" and suite.cases[1].line == 2
