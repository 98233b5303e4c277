"""Tool calls written as text by a local model: Hermes/Qwen `<tool_call>` blocks and plain JSON.

Chat templates that support tools (Qwen2.5, Hermes, many fine-tunes) ask the model to write
`<tool_call>{"name": ..., "arguments": {...}}</tool_call>`; Llama-style templates ask for a bare
JSON object `{"name": ..., "parameters": {...}}`. Both are read here; a block that is not valid
JSON becomes a call with a parse error (the grader's input), never an exception.
"""
from __future__ import annotations

import json
import re
from typing import Any

from gradeloop.tools.calls import ToolCall, parse_arguments

_OPEN, _CLOSE = "<tool_call>", "</tool_call>"
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def _call_from_object(obj: Any, text: str) -> ToolCall | None:
    if type(obj) is not dict:
        return None
    name = obj.get("name")
    if type(name) is not str or not name:
        return None
    args = obj.get("arguments", obj.get("parameters"))
    if type(args) is dict:  # freshly decoded: no copy needed
        return ToolCall(name, args)
    if args is None and "arguments" not in obj and "parameters" not in obj and len(obj) != 1:
        return None
    arguments, error, raw = parse_arguments(args)
    return ToolCall(name, arguments, error, raw)


_raw_decode = json.JSONDecoder().raw_decode


def _block_call(body: str) -> ToolCall:
    cut = body.rfind("</")  # an answer cut off inside the closing tag ("...}</tool_c")
    if cut >= 0 and "</tool_call>".startswith(body[cut:]):
        body = body[:cut].rstrip()
    try:
        # raw_decode skips json.loads' whitespace scans (the body is stripped); trailing text fails below
        obj, end = _raw_decode(body)
        if end != len(body):
            obj = json.loads(body)
    except ValueError as exc:
        return ToolCall("", None, f"tool call is not valid JSON: {exc}", body)
    if type(obj) is dict:  # the common form, without the general path's checks
        name, args = obj.get("name"), obj.get("arguments")
        if type(name) is str and name and type(args) is dict:
            return ToolCall(name, args)
    call = _call_from_object(obj, body)
    return call or ToolCall("", None, "tool call JSON has no string `name` and `arguments`", body)


def text_calls(text: str) -> tuple[ToolCall, ...]:
    """Only the calls a model's raw output writes (graders and rewards need no leftover text)."""
    pos = text.find(_OPEN)
    if pos < 0:
        return parse_text_calls(text)[1]
    calls = []
    while pos >= 0:
        body_start = pos + 11  # len("<tool_call>")
        end = text.find(_CLOSE, body_start)
        calls.append(_block_call((text[body_start:] if end < 0 else text[body_start:end]).strip()))
        if end < 0:
            break
        pos = text.find(_OPEN, end + 12)  # len("</tool_call>")
    return tuple(calls)


def parse_text_calls(text: str) -> tuple[str, tuple[ToolCall, ...]]:
    """(the text outside any calls, the calls) of a model's raw output."""
    start = text.find(_OPEN)
    if start >= 0:
        calls, rest, pos = [], [text[:start]], start
        while pos >= 0:
            body_start = pos + len(_OPEN)
            end = text.find(_CLOSE, body_start)
            body = text[body_start:] if end < 0 else text[body_start:end]
            calls.append(_block_call(body.strip()))
            if end < 0:
                break
            pos = text.find(_OPEN, end + len(_CLOSE))
            rest.append(text[end + len(_CLOSE):] if pos < 0 else text[end + len(_CLOSE):pos])
        return "".join(rest).strip(), tuple(calls)
    stripped = text.strip()
    if not stripped.startswith(("{", "[", "```")):
        return text, ()  # the common answer: no call, decided without a parse
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1)
    if not stripped.startswith(("{", "[")):
        return text, ()
    try:
        obj = json.loads(stripped)
    except ValueError:
        return text, ()
    items = obj if isinstance(obj, list) else [obj]
    found = [_call_from_object(o, stripped) for o in items]
    calls = [c for c in found if c is not None]
    if not calls or len(calls) != len(found):
        return text, ()  # JSON, but not calls: an answer that happens to be JSON
    return "", tuple(calls)
