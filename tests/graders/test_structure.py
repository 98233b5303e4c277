"""json_valid, json_schema and length graders."""
from __future__ import annotations

import pytest

from tests.graders.helpers import bad, grade

SCHEMA = {"type": "object", "required": ["severity"],
          "properties": {"severity": {"enum": ["low", "high"]}}}


def test_json_valid():
    assert grade("json_valid", '{"a": 1}').passed
    assert grade("json_valid", 'Here it is:\n```json\n{"a": 1}\n```\nDone.').passed
    g = grade("json_valid", "{a: 1}")
    assert (g.score, g.passed) == (0.0, False) and "not JSON" in g.reason
    assert not grade("json_valid", '```json\n{"a": 1}\n```', allow_fence=False).passed


def test_json_schema_pass_and_fail():
    assert grade("json_schema", '{"severity": "high"}', schema=SCHEMA).passed
    assert grade("json_schema", '```json\n{"severity": "low"}\n```', schema=SCHEMA).passed
    g = grade("json_schema", '{"severity": "urgent"}', schema=SCHEMA)
    assert not g.passed and "severity" in g.reason
    g = grade("json_schema", '{"title": "x"}', schema=SCHEMA)
    assert not g.passed and "required" in g.reason
    assert not grade("json_schema", "not json", schema=SCHEMA).passed


def test_invalid_schema_is_an_input_error_at_build():
    err = bad("json_schema", schema={"type": "objekt"})
    assert err.field == "grader.schema" and "invalid JSON Schema" in err.message
    assert bad("json_schema").field == "grader.schema"
    assert bad("json_schema", schema=[1]).field == "grader.schema"


def test_length_chars_and_words():
    assert grade("length", "abcde", min=1, max=5).passed
    g = grade("length", "abcdef", max=5)
    assert not g.passed and "6 chars" in g.reason
    assert grade("length", "one two three", unit="words", min=3).passed
    assert not grade("length", "one two", unit="words", min=3).passed


@pytest.mark.parametrize("params, field", [
    ({}, "grader"),
    ({"min": 5, "max": 2}, "grader"),
    ({"min": -1}, "grader.min"),
    ({"max": 3, "unit": "tokens"}, "grader.unit"),
])
def test_length_bad_parameters(params, field):
    assert bad("length", **params).field == field


@pytest.mark.parametrize("output", ["NaN", "Infinity", "-Infinity", '{"score": NaN}', '[1, Infinity]',
                                    '```json\n{"score": -Infinity}\n```'])
def test_json_valid_rejects_nan_and_infinity(output):
    g = grade("json_valid", output)
    assert not g.passed and "not JSON" in g.reason


def test_json_schema_rejects_nan_number():
    schema = {"type": "object", "properties": {"score": {"type": "number", "minimum": 0}}}
    assert not grade("json_schema", '{"score": NaN}', schema=schema).passed
    assert not grade("json_schema", '{"score": Infinity}', schema=schema).passed
    assert grade("json_schema", '{"score": 1e308}', schema=schema).passed
