"""Building Cases from Records: the cheap path for plain cases builds exactly what the checking path builds."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.suite.build import build_case, checked_case
from gradeloop.suite.record import Record

PLAIN = [
    {"id": "a", "input": "What is 1+1?"},
    {"id": " padded ", "input": "x", "reference": "2", "tags": {"op": "add", "locale": "en"}, "expect": "answer",
     "parent": "p", "metadata": {"n": 1}, "graders": [{"type": " contains ", "value": "2", "weight": 2}]},
    {"id": "b", "input": "y", "graders": [{"type": "contains", "values": ["a", "b"]}, {"type": "not_refusal"}]},
    {"id": "c", "input": "z", "tags": {}, "graders": [], "metadata": {}},
]
UNUSUAL = [
    {"id": 7, "input": "x"},  # numbers become text
    {"id": "a", "input": [{"role": "user", "content": "hi"}]},  # chat input
    {"id": "a", "input": "x", "reference": 3, "tags": {"hard": False}},
]


@pytest.mark.parametrize("data", PLAIN + UNUSUAL)
def test_fast_and_checked_paths_build_equal_cases(data):
    lines = {"graders[0]": 5, "graders[1]": 6}
    for rec in (Record(data, 3), Record(data, 3, lines, "cases[0]")):
        assert build_case(rec, "f.yaml") == checked_case(rec, "f.yaml")


def test_grader_lines_come_from_the_record():
    data = PLAIN[2]
    case = build_case(Record(data, 3, {"graders[1]": 9}), "f.yaml")
    assert [g.line for g in case.graders] == [3, 9]
    assert [(g.type, dict(g.params)) for g in case.graders] == [("contains", {"values": ["a", "b"]}),
                                                                ("not_refusal", {})]


@pytest.mark.parametrize("data, field", [
    ({"id": "a", "input": "x", "tags": {"k": ["v"]}}, "tags.k"),
    ({"id": "a", "input": "x", "grader": []}, "grader"),
    ({"id": " ", "input": "x"}, "id"),
    ({"id": "a", "input": "  "}, "input"),
    ({"id": "a", "input": "x", "expect": "answr"}, "expect"),
    ({"id": "a", "input": "x", "graders": [{"type": ""}]}, "graders[0].type"),
    ({"id": "a", "input": "x", "graders": ["contains"]}, "graders[0]"),
    ({"id": "a", "input": "x", "metadata": []}, "metadata"),
])
def test_bad_fields_still_name_the_field(data, field):
    with pytest.raises(InputError) as info:
        build_case(Record(data, 4), "f.jsonl")
    assert (info.value.file, info.value.line, info.value.field) == ("f.jsonl", 4, field)
