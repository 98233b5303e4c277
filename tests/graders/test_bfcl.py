"""BFCL's AST rules, one at a time, on constructed calls (graders/bfcl.py)."""
from __future__ import annotations

from gradeloop.graders.bfcl import Rules, check_call, standardize
from gradeloop.tools.calls import ToolCall

FN = {"name": "get_weather", "parameters": {"type": "object", "properties": {
    "city": {"type": "string"}, "days": {"type": "integer"}, "temp": {"type": "number"},
    "metric": {"type": "boolean"}, "cities": {"type": "array", "items": {"type": "string"}},
    "opts": {"type": "object"}, "stops": {"type": "array", "items": {"type": "object"}}},
    "required": ["city"]}}


def check(args, expected, fn=FN, rules=Rules(), name="get_weather"):
    return check_call(ToolCall(name, args), "get_weather", expected, fn, rules)


def test_exact_function_name():
    r = check({"city": "Paris"}, {"city": ["Paris"]}, name="get_weather_v2")
    assert not r.valid and r.score == 0.0 and "expected 'get_weather'" in r.problems[0]
    r = check({"city": "Paris"}, {"city": ["Paris"]}, name="Get_Weather")
    assert not r.valid  # names are not normalised


def test_required_parameter_must_be_present():
    r = check({"days": 3}, {"city": ["Paris"], "days": [3]})
    assert not r.valid and any("missing required parameter 'city'" in p for p in r.problems)
    assert 0.5 < r.score < 1.0  # name right, one of two parameters right


def test_parameter_absent_from_expected_is_unexpected():
    r = check({"city": "Paris", "days": 3}, {"city": ["Paris"]})
    assert not r.valid and any("unexpected parameter 'days'" in p for p in r.problems)


def test_parameter_absent_from_schema_is_unexpected():
    r = check({"city": "Paris", "mood": "x"}, {"city": ["Paris"], "mood": ["x"]})
    assert not r.valid and any("unexpected parameter 'mood'" in p for p in r.problems)


def test_empty_string_marks_optional():
    assert check({"city": "Paris"}, {"city": ["Paris"], "days": [3, ""]}).valid
    r = check({"city": "Paris"}, {"city": ["Paris"], "days": [3]})
    assert not r.valid and any("missing parameter 'days'" in p for p in r.problems)


def test_any_acceptable_value_matches():
    assert check({"city": "Paris", "days": 5}, {"city": ["Paris"], "days": [3, 5]}).valid
    assert not check({"city": "Paris", "days": 4}, {"city": ["Paris"], "days": [3, 5]}).valid


def test_int_accepted_for_float_never_string_for_number():
    assert check({"city": "Paris", "temp": 20}, {"city": ["Paris"], "temp": [20.0]}).valid
    r = check({"city": "Paris", "temp": "20"}, {"city": ["Paris"], "temp": [20.0]})
    assert not r.valid and any("expected float, got str" in p for p in r.problems)
    assert not check({"city": "Paris", "temp": 20}, {"city": ["Paris"], "temp": [20.0]},
                     rules=Rules(int_as_float=False)).valid
    # a float where the schema says integer, and a bool for an integer, are wrong types
    assert not check({"city": "Paris", "days": 3.0}, {"city": ["Paris"], "days": [3]}).valid
    assert not check({"city": "Paris", "days": True}, {"city": ["Paris"], "days": [1]}).valid


def test_strings_compared_after_bfcl_normalisation():
    assert standardize("New York, NY") == "newyorkny"
    assert standardize("A-b_c*d^e/f.g") == "abcdefg"
    assert check({"city": "new york  ny"}, {"city": ["New York, NY"]}).valid
    assert check({"city": "April 1,2024"}, {"city": ["April 1, 2024"]}).valid
    assert not check({"city": "new york  ny"}, {"city": ["New York, NY"]},
                     rules=Rules(normalize_strings=False)).valid
    assert not check({"city": "Boston"}, {"city": ["New York"]}).valid


def test_lists_in_order():
    exp = {"city": ["Paris"], "cities": [["Paris", "Rome"]]}
    assert check({"city": "Paris", "cities": ["paris", "ROME"]}, exp).valid
    assert not check({"city": "Paris", "cities": ["Rome", "Paris"]}, exp).valid
    assert not check({"city": "Paris", "cities": ["Paris"]}, exp).valid


def test_dicts_without_extra_keys():
    exp = {"city": ["Paris"], "opts": [{"unit": ["c", "celsius"], "lang": ["en", ""]}]}
    assert check({"city": "Paris", "opts": {"unit": "Celsius"}}, exp).valid
    assert check({"city": "Paris", "opts": {"unit": "c", "lang": "en"}}, exp).valid
    assert not check({"city": "Paris", "opts": {"unit": "c", "extra": 1}}, exp).valid  # extra key
    assert not check({"city": "Paris", "opts": {"lang": "en"}}, exp).valid  # missing non-optional key
    assert not check({"city": "Paris", "opts": {"unit": "k"}}, exp).valid


def test_list_of_dicts_by_position():
    exp = {"city": ["Paris"], "stops": [[{"at": ["Lyon"]}, {"at": ["Nice"]}]]}
    assert check({"city": "Paris", "stops": [{"at": "lyon"}, {"at": "nice"}]}, exp).valid
    assert not check({"city": "Paris", "stops": [{"at": "nice"}, {"at": "lyon"}]}, exp).valid


def test_unparsable_arguments_score_name_only():
    r = check_call(ToolCall("get_weather", None, "arguments are not valid JSON: x", "{city"), "get_weather",
                   {"city": ["Paris"]}, FN)
    assert not r.valid and r.score == 0.5 and "not valid JSON" in r.problems[0]


def test_without_schema_types_come_from_acceptable_values():
    assert check({"city": "Paris", "n": 2}, {"city": ["Paris"], "n": [2.0]}, fn=None).valid
    assert not check({"city": "Paris", "n": "2"}, {"city": ["Paris"], "n": [2]}, fn=None).valid
