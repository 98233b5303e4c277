"""Targets return calls: a real local OpenAI-compatible stub, py: callables, replay lines; and the
run engine stores, caches and exports them."""
from __future__ import annotations

import asyncio
import json
import sys
import textwrap

import pytest

from gradeloop.errors import InputError
from gradeloop.run import Engine, RunConfig, Store, build_run_json
from gradeloop.suite import load_suite
from gradeloop.targets import load_target
from gradeloop.targets.base import Request
from gradeloop.targets.openai import OpenAITarget, parse_completion
from gradeloop.testing import StubServer

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}

SUITE = """\
name: weather-tools
defaults:
  tools:
    - type: function
      function:
        name: get_weather
        description: Current weather for a city
        parameters:
          type: object
          properties: {city: {type: string}}
          required: [city]
  graders:
    - type: tool_call_valid
cases:
  - id: paris
    input: What's the weather in Paris?
    graders:
      - type: tool_call
        expected: [{name: get_weather, arguments: {city: [Paris]}}]
  - id: hello
    input: Say hello.
    tool_choice: none
    graders:
      - type: no_tool_call
"""


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def test_wire_format_parsing():
    body = {"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
        {"id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": "{oops"}}]}}]}
    gen = parse_completion(body)
    assert gen.output == ""
    assert [(c.name, c.arguments, c.id) for c in gen.tool_calls] == [("get_weather", {"city": "Paris"}, "call_a"),
                                                                    ("get_weather", None, "call_b")]
    assert "not valid JSON" in gen.tool_calls[1].error
    bad = parse_completion({"choices": [{"message": {"content": None, "tool_calls": [{"function": {}}]}}]})
    assert "no function name" in bad.detail


def _weather_responder(messages):
    last = messages[-1]
    if last.get("role") == "tool":
        return f"It is {last['content']}."
    text = str(last.get("content", ""))
    if "weather" in text:
        return {"content": None, "tool_calls": [{"name": "get_weather", "arguments": {"city": text.split()[-1][:-1]}}]}
    return "hello"


def test_openai_stub_returns_tool_calls_and_sees_tools():
    with StubServer(_weather_responder) as url:
        server_url = url
        target = OpenAITarget("stub", url)
        reqs = [Request("a", "What's the weather in Paris?", tools=(WEATHER,), tool_choice="auto"),
                Request("b", [{"role": "user", "content": "weather in Oslo?"},
                              {"role": "assistant", "content": "", "tool_calls": [
                                  {"id": "call_0", "type": "function",
                                   "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]},
                              {"role": "tool", "tool_call_id": "call_0", "content": "4C"}], tools=(WEATHER,))]

        async def go():
            try:
                return await target.generate(reqs)
            finally:
                await target.aclose()

        first, second = asyncio.run(go())
        assert server_url
    assert first.error is None and first.output == ""
    assert [(c.name, dict(c.arguments)) for c in first.tool_calls] == [("get_weather", {"city": "Paris"})]
    assert second.output == "It is 4C." and second.tool_calls == ()


def test_openai_request_body_carries_tools_and_transcript_arguments_as_json_text():
    target = OpenAITarget("m", "http://127.0.0.1:9/v1")
    body = target.body(Request("a", [{"role": "user", "content": "hi"},
                                     {"role": "assistant", "content": "", "tool_calls": [
                                         {"id": "c", "type": "function",
                                          "function": {"name": "get_weather", "arguments": {"city": "X"}}}]}],
                               tools=(WEATHER,), tool_choice={"type": "function", "function": {"name": "get_weather"}}))
    assert body["tools"] == [WEATHER] and body["tool_choice"]["function"]["name"] == "get_weather"
    sent = body["messages"][1]
    assert sent["content"] is None and sent["tool_calls"][0]["function"]["arguments"] == '{"city": "X"}'
    assert "tools" not in target.body(Request("b", "hi"))


def test_engine_stores_caches_and_exports_calls(tmp_path):
    suite_path = tmp_path / "s.yaml"
    suite_path.write_text(SUITE)
    store = Store(tmp_path / "db.sqlite")
    with StubServer(_weather_responder) as url:
        def run():
            return Engine([load_suite(suite_path)], load_target(f"openai:stub@{url}"), store, RunConfig()).run()

        first = run()
        doc = build_run_json(store, first.run_id)
        store.db.execute("UPDATE runs SET status='done'")  # a second, separate run of the same command
        again = Engine([load_suite(suite_path)], load_target(f"openai:stub@{url}"), store,
                       RunConfig(seed=0)).run()
    cases = {c["id"]: c for c in doc["cases"]}
    paris = cases["paris"]["samples"][0]
    assert paris["tool_calls"] == [{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_0"}]
    assert paris["passed"] is True and [g["grader"] for g in paris["grades"]] == ["tool_call_valid", "tool_call"]
    hello = cases["hello"]["samples"][0]
    assert "tool_calls" not in hello and hello["output"] == "hello"
    # hello passes no_tool_call but fails tool_call_valid (no call): the defaults apply to every case
    assert hello["passed"] is False
    assert again.from_cache == 2
    doc2 = build_run_json(store, again.run_id)
    cached = {c["id"]: c for c in doc2["cases"]}["paris"]["samples"][0]
    assert cached["cached"] is True and cached["tool_calls"][0]["arguments"] == {"city": "Paris"}


def test_py_callable_may_return_tool_calls(tmp_path, monkeypatch):
    (tmp_path / "toolapp.py").write_text(textwrap.dedent("""
        def app(prompt, tools):
            names = [t["function"]["name"] for t in tools]
            return {"tool_calls": [{"type": "function",
                                    "function": {"name": names[0], "arguments": '{"city": "Paris"}'}}]}
        def plain(prompt):
            return {"output": "ok", "tool_calls": [{"name": "f", "arguments": {"a": 1}}]}
        def broken(prompt):
            return {"output": "x", "tool_calls": [{"arguments": {}}]}
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "toolapp", raising=False)

    def gen(spec, req):
        return asyncio.run(load_target(spec).generate([req]))[0]

    g = gen("py:toolapp:app", Request("a", "weather?", tools=(WEATHER,)))
    assert g.output == "" and g.tool_calls[0].name == "get_weather" and g.tool_calls[0].arguments == {"city": "Paris"}
    g = gen("py:toolapp:plain", Request("a", "x"))
    assert g.output == "ok" and g.tool_calls[0].arguments == {"a": 1}
    g = gen("py:toolapp:broken", Request("a", "x"))
    assert g.output is None and "tool_calls[0]" in g.error


def test_replay_lines_with_plain_or_wire_calls(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"case_id": "a", "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"case_id": "b", "output": "", "tool_calls": [{"id": "x", "type": "function",
                                                       "function": {"name": "get_weather", "arguments": "{\"city\": \"Rome\"}"}}]},
        {"case_id": "c", "output": "no calls"}]) + "\n")
    gens = asyncio.run(load_target(f"replay:{path}").generate([Request("a", "q"), Request("b", "q"), Request("c", "q")]))
    assert [g.tool_calls[0].arguments["city"] for g in gens[:2]] == ["Paris", "Rome"]
    assert gens[0].output == "" and gens[2].tool_calls == ()
    path.write_text(json.dumps({"case_id": "a", "tool_calls": [{"name": "f"}, {"arguments": {}}]}) + "\n")
    with pytest.raises(InputError) as info:
        load_target(f"replay:{path}")
    assert info.value.line == 1 and info.value.field == "tool_calls[1]"


def test_suite_tool_validation_errors_name_file_line_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SUITE.replace("name: get_weather\n        description", "name: get weather\n        description"))
    with pytest.raises(InputError) as info:
        load_suite(path)
    assert info.value.field == "defaults.tools[0].function.name" and info.value.line == 6
    path.write_text(SUITE.replace("tool_choice: none", "tool_choice: send_email"))
    with pytest.raises(InputError) as info:
        load_suite(path)
    assert info.value.field == "cases[1].tool_choice" and "not a declared tool" in info.value.message
    path.write_text(SUITE.replace("required: [city]", "required: city"))
    with pytest.raises(InputError) as info:
        load_suite(path)
    assert "not a valid JSON schema" in info.value.message
