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

_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|\Z)", re.DOTALL)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def _call_from_object(obj: Any, text: str) -> ToolCall | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str) or not obj["name"]:
        return None
    if "arguments" not in obj and "parameters" not in obj and set(obj) != {"name"}:
        return None
    arguments, error, raw = parse_arguments(obj.get("arguments", obj.get("parameters")))
    return ToolCall(obj["name"], arguments, error, raw)


def _block_call(body: str) -> ToolCall:
    cut = body.rfind("</")  # an answer cut off inside the closing tag ("...}</tool_c")
    if cut >= 0 and "</tool_call>".startswith(body[cut:]):
        body = body[:cut].rstrip()
    try:
        obj = json.loads(body)
    except ValueError as exc:
        return ToolCall("", None, f"tool call is not valid JSON: {exc}", body)
    call = _call_from_object(obj, body)
    return call or ToolCall("", None, "tool call JSON has no string `name` and `arguments`", body)


def parse_text_calls(text: str) -> tuple[str, tuple[ToolCall, ...]]:
    """(the text outside any calls, the calls) of a model's raw output."""
    if "<tool_call>" in text:
        calls = tuple(_block_call(m.group(1)) for m in _BLOCK.finditer(text))
        return _BLOCK.sub("", text).strip(), calls
    stripped = text.strip()
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
    calls = [_call_from_object(o, stripped) for o in items]
    if not calls or any(c is None for c in calls):
        return text, ()  # JSON, but not calls: an answer that happens to be JSON
    return "", tuple(c for c in calls if c is not None)
