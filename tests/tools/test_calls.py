"""Tool calls as data: both wire forms, bad arguments kept as errors, text written by local models."""
from __future__ import annotations

import pickle

import pytest

from gradeloop.tools import Reply, ToolCall, parse_call, parse_calls, parse_text_calls


def test_plain_and_openai_wire_forms_give_the_same_call():
    plain = parse_call({"name": "get_weather", "arguments": {"city": "Paris"}})
    wire = parse_call({"id": "call_1", "type": "function",
                       "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}})
    assert (plain.name, plain.arguments) == (wire.name, wire.arguments) == ("get_weather", {"city": "Paris"})
    assert wire.id == "call_1" and wire.error is None


def test_invalid_argument_json_is_kept_with_an_error():
    call = parse_call({"type": "function", "function": {"name": "f", "arguments": "{city: Paris"}})
    assert call.arguments is None and "not valid JSON" in call.error and call.raw == "{city: Paris"
    assert parse_call(call.as_dict()) == call  # a stored failed call reads back the same
    not_object = parse_call({"name": "f", "arguments": "[1, 2]"})
    assert not_object.arguments is None and "JSON object" in not_object.error
    assert parse_call({"name": "f", "arguments": ""}).arguments == {}


def test_wrong_shapes_are_value_errors_naming_the_index():
    with pytest.raises(ValueError, match=r"tool_calls\[1\]: a tool call needs a non-empty string `name`"):
        parse_calls([{"name": "f"}, {"arguments": {}}])
    with pytest.raises(ValueError, match="must be a list"):
        parse_calls({"name": "f"})


def test_wire_round_trip():
    call = ToolCall("f", {"a": 1}, id="c9")
    assert parse_call(call.wire()) == call


def test_reply_is_text_that_carries_calls():
    r = Reply("done", [ToolCall("f", {})], [{"role": "assistant", "content": "x"}])
    assert r == "done" and r.upper() == "DONE" and r.tool_calls[0].name == "f" and r.steps == 1
    back = pickle.loads(pickle.dumps(r))
    assert back.tool_calls == r.tool_calls and back == "done"


@pytest.mark.parametrize("text, names, rest", [
    ('<tool_call>\n{"name": "a", "arguments": {"x": 1}}\n</tool_call>', ["a"], ""),
    ('Let me check.<tool_call>{"name": "a", "arguments": {}}</tool_call>'
     '<tool_call>{"name": "b", "arguments": {"y": "z"}}</tool_call>', ["a", "b"], "Let me check."),
    ('<tool_call>{"name": "a", "arguments": {"x": 1}}', ["a"], ""),  # cut off before the closing tag
    ('{"name": "a", "parameters": {"x": 1}}', ["a"], ""),  # Llama-style plain JSON
    ('```json\n[{"name": "a", "arguments": {}}, {"name": "b", "arguments": {}}]\n```', ["a", "b"], ""),
    ('{"severity": "high"}', [], '{"severity": "high"}'),  # JSON that is an answer, not a call
    ("The weather is fine.", [], "The weather is fine."),
])
def test_text_calls(text, names, rest):
    left, calls = parse_text_calls(text)
    assert [c.name for c in calls] == names and left == rest


def test_bad_tool_call_block_is_a_call_with_an_error():
    _, calls = parse_text_calls("<tool_call>{name: a}</tool_call>")
    assert len(calls) == 1 and calls[0].arguments is None and "not valid JSON" in calls[0].error


def test_a_stored_unparseable_call_without_a_name_reads_back_as_a_failed_call() -> None:
    """A `<tool_call>` block that was not JSON has no name; the cache and run files must read it back."""
    from gradeloop.tools.calls import parse_calls
    from gradeloop.tools.text import text_calls

    [call] = text_calls('<tool_call>{"name": "lookup_order", "arguments": {"order_id": </tool_call>')
    assert call.name == "" and call.error
    [back] = parse_calls([call.as_dict()])
    assert back.name == "" and back.error == call.error and back.arguments is None
    with pytest.raises(ValueError, match="name"):
        parse_calls([{"name": "", "arguments": {}}])  # no error recorded: still bad input
