"""Tool-call graders on Replies (calls from a target) and on plain text (a trainer's completion)."""
from __future__ import annotations

from gradeloop.graders import build_grader
from gradeloop.suite.model import Case, GraderSpec
from gradeloop.tools.calls import Reply, ToolCall
from tests.graders.helpers import bad

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
    "required": ["city"]}}}
TICKET = {"type": "function", "function": {"name": "create_ticket", "parameters": {
    "type": "object", "properties": {"title": {"type": "string"}, "priority": {"type": "integer"}},
    "required": ["title"]}}}
CASE = Case("t1", "Weather in Paris and Rome?", tools=(WEATHER, TICKET), file="suite.yaml", line=3)


def grade(type_, output, case=CASE, **params):
    return build_grader(GraderSpec(type_, params, "suite.yaml", 7), case).grade(case, output)


def reply(*calls, text=""):
    return Reply(text, [ToolCall(n, a) for n, a in calls])


PARALLEL = [{"name": "get_weather", "arguments": {"city": ["Paris"], "unit": ["c", ""]}},
            {"name": "get_weather", "arguments": {"city": ["Rome"], "unit": ["c", ""]}}]


def test_parallel_calls_match_in_any_order_one_to_one():
    g = grade("tool_call", reply(("get_weather", {"city": "rome"}), ("get_weather", {"city": "Paris", "unit": "c"})),
              expected=PARALLEL)
    assert g.passed and g.score == 1.0
    # the same call twice cannot satisfy both expected calls
    g = grade("tool_call", reply(("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Paris"})),
              expected=PARALLEL)
    assert not g.passed and 0.5 < g.score < 1.0


def test_ordered_option_is_stricter():
    out = reply(("get_weather", {"city": "Rome"}), ("get_weather", {"city": "Paris"}))
    assert grade("tool_call", out, expected=PARALLEL).passed
    assert not grade("tool_call", out, expected=PARALLEL, ordered=True).passed


def test_wrong_count_fails_and_extra_calls_option():
    one = [PARALLEL[0]]
    out = reply(("get_weather", {"city": "Paris"}), ("create_ticket", {"title": "x"}))
    g = grade("tool_call", out, expected=one)
    assert not g.passed and g.score == 0.5 and "2 call(s)" in g.reason
    assert grade("tool_call", out, expected=one, allow_extra_calls=True).passed
    g = grade("tool_call", reply(), expected=one)
    assert not g.passed and g.score == 0.0


def test_partial_credit_orders_near_misses():
    exp = [{"name": "get_weather", "arguments": {"city": ["Paris"], "unit": ["c"]}}]
    wrong_name = grade("tool_call", reply(("create_ticket", {"title": "Paris"})), expected=exp).score
    wrong_arg = grade("tool_call", reply(("get_weather", {"city": "Paris", "unit": "f"})), expected=exp).score
    right = grade("tool_call", reply(("get_weather", {"city": "Paris", "unit": "c"})), expected=exp).score
    assert wrong_name < wrong_arg < right == 1.0
    assert grade("tool_call", reply(("get_weather", {"city": "Paris", "unit": "f"})), expected=exp,
                 partial_credit=False).score == 0.0


def test_calls_parsed_from_plain_text():
    exp = [{"name": "get_weather", "arguments": {"city": ["Paris"]}}]
    text = 'Sure.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    assert grade("tool_call", text, expected=exp).passed
    assert grade("tool_call", '{"name": "get_weather", "parameters": {"city": "Paris"}}', expected=exp).passed
    assert not grade("tool_call", "It is sunny in Paris.", expected=exp).passed


def test_tool_call_valid_checks_names_and_schemas():
    assert grade("tool_call_valid", reply(("get_weather", {"city": "Paris", "unit": "c"}))).passed
    g = grade("tool_call_valid", reply(("get_weather", {"city": "Paris", "unit": "kelvin"})))
    assert not g.passed and "unit" in g.reason
    g = grade("tool_call_valid", reply(("get_weather", {"unit": "c"})))
    assert not g.passed and "'city' is a required property" in g.reason
    g = grade("tool_call_valid", reply(("delete_all", {})))
    assert not g.passed and "not a declared tool" in g.reason
    broken = Reply("", [ToolCall("get_weather", None, "arguments are not valid JSON: x", "{")])
    assert not grade("tool_call_valid", broken).passed
    assert not grade("tool_call_valid", reply()).passed
    assert grade("tool_call_valid", reply(), require_call=False).passed
    g = grade("tool_call_valid", reply(("get_weather", {"city": "Paris"})), case=Case("x", "hi"))
    assert g.error and "declares no tools" in g.error


def test_no_tool_call_f1_and_forbidden():
    assert grade("no_tool_call", Reply("It is 4.")).passed
    assert not grade("no_tool_call", reply(("get_weather", {"city": "x"}))).passed
    out = reply(("get_weather", {"city": "x"}), ("create_ticket", {"title": "y"}))
    g = grade("tool_call_f1", out, expected=["get_weather"])
    assert abs(g.score - 2 / 3) < 1e-9 and not g.passed
    assert grade("tool_call_f1", out, expected=["get_weather"], threshold=0.6).passed
    assert grade("tool_call_f1", out, expected=["create_ticket", "get_weather"]).score == 1.0
    assert grade("tool_call_f1", reply(), expected=["get_weather"]).score == 0.0
    g = grade("forbidden_tools", out, names=["create_ticket", "delete_all"])
    assert not g.passed and "create_ticket" in g.reason
    assert grade("forbidden_tools", reply(("get_weather", {"city": "x"})), names=["create_ticket"]).passed


def test_bad_parameters_name_file_line_field():
    err = bad("tool_call", expected=[{"name": "get_weather", "args": {}}])
    assert "expected" in (err.field or "")
    err = bad("tool_call", expected=[])
    assert "expected" in (err.field or "")
    bad("forbidden_tools", names=[])
