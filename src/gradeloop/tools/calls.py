"""Tool calls as data: `ToolCall`, the two wire forms it is read from, and `Reply`.

A generation carries output text and `tool_calls [{name, arguments}]`. Calls arrive in OpenAI's
wire form (`{"id", "type": "function", "function": {"name", "arguments": "<JSON string>"}}`) or
the plain form (`{"name", "arguments": {...}}`); both become the same ToolCall. Arguments that
are not valid JSON are kept with a parse error: a malformed call is something to grade, not a crash.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, NamedTuple, Sequence


class ToolCall(NamedTuple):
    """One call of a tool: its name and parsed arguments, or why the arguments could not be parsed.

    A NamedTuple rather than a frozen dataclass: rewards parse a call from every completion of
    every training step, and a tuple is built in a third of the time.
    """

    name: str
    arguments: Mapping[str, Any] | None  # None when they could not be parsed (then `error` says why)
    error: str | None = None  # why the call failed: "arguments are not valid JSON: ...", or a logged error
    raw: str | None = None  # the arguments text as received, kept when it could not be parsed
    id: str | None = None  # the provider's call id (OpenAI `tool_call_id`), for multi-turn transcripts

    def as_dict(self) -> dict[str, Any]:
        """The stored/exported form: `{name, arguments}` plus `error`, `raw`, `id` when set."""
        d: dict[str, Any] = {"name": self.name,
                             "arguments": None if self.arguments is None else dict(self.arguments)}
        if self.error is not None:
            d["error"] = self.error
        if self.raw is not None and self.error is not None:
            d["raw"] = self.raw
        if self.id is not None:
            d["id"] = self.id
        return d

    def wire(self, index: int = 0) -> dict[str, Any]:
        """OpenAI's assistant-message form of this call (arguments as a JSON string)."""
        args = self.raw if self.arguments is None else json.dumps(dict(self.arguments))
        return {"id": self.id or f"call_{index}", "type": "function",
                "function": {"name": self.name, "arguments": args or "{}"}}


def parse_arguments(value: Any) -> tuple[Mapping[str, Any] | None, str | None, str | None]:
    """(arguments, error, raw) from a mapping or a JSON string; blank text means no arguments."""
    if isinstance(value, Mapping):
        return dict(value), None, None
    if value is None:
        return {}, None, None
    if not isinstance(value, str):
        return None, f"arguments must be a JSON object, got {type(value).__name__}", json.dumps(value, default=str)
    if not value.strip():
        return {}, None, None
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        return None, f"arguments are not valid JSON: {exc}", value
    if not isinstance(parsed, dict):
        return None, f"arguments must be a JSON object, got {type(parsed).__name__}", value
    return parsed, None, None


def parse_call(value: Any) -> ToolCall:
    """One call in the plain or the wire form; a wrong shape raises ValueError (bad input)."""
    if not isinstance(value, Mapping):
        raise ValueError(f"a tool call must be an object, got {type(value).__name__}")
    fn = value.get("function")
    body: Mapping[str, Any] = fn if isinstance(fn, Mapping) else value
    name = body.get("name")
    failed = isinstance(value.get("error"), str) and bool(value["error"])
    # A stored call that failed to parse may have no name (a `<tool_call>` block that was not JSON):
    # it comes back from the cache or a run file as it went in, a failed call, not bad input.
    if not isinstance(name, str) or not (name or failed):
        raise ValueError("a tool call needs a non-empty string `name`")
    raw_args = body.get("arguments", body.get("parameters"))
    if raw_args is None and isinstance(value.get("error"), str):  # a stored call whose arguments failed to parse
        raw = value.get("raw")
        arguments, error, raw = None, value["error"], raw if isinstance(raw, str) else None
    else:
        arguments, error, raw = parse_arguments(raw_args)
        if error is None and isinstance(value.get("error"), str) and value["error"]:
            error = value["error"]  # a call recorded as failed (e.g. in a production log)
    call_id = value.get("id")
    return ToolCall(name, arguments, error, raw, call_id if isinstance(call_id, str) else None)


def parse_calls(value: Any) -> tuple[ToolCall, ...]:
    """A list of calls in either form (None means none); a wrong shape raises ValueError naming the index."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"tool_calls must be a list, got {type(value).__name__}")
    calls = []
    for i, item in enumerate(value):
        try:
            calls.append(parse_call(item))
        except ValueError as exc:
            raise ValueError(f"tool_calls[{i}]: {exc}") from None
    return tuple(calls)


def calls_json(calls: Iterable[ToolCall]) -> list[dict[str, Any]]:
    return [c.as_dict() for c in calls]


class Reply(str):
    """Output text that also carries its generation's tool calls and (for agents) its trajectory.

    A str, so every text grader, report and reward reads it unchanged and graders keep the
    one signature `grade(case, output)`; tool-call graders read `.tool_calls` and `.trajectory`.
    Any string operation returns a plain str, which is right: derived text has no calls.
    """

    tool_calls: tuple[ToolCall, ...]
    trajectory: tuple[Mapping[str, Any], ...]
    steps: int

    def __new__(cls, text: str, tool_calls: Sequence[ToolCall] = (),
                trajectory: Sequence[Mapping[str, Any]] = (), steps: int = 0) -> "Reply":
        self = super().__new__(cls, text)
        self.tool_calls = tuple(tool_calls)
        self.trajectory = tuple(trajectory)
        # a stored trajectory has no step count: one model turn per assistant message
        self.steps = steps or sum(1 for m in self.trajectory if m.get("role") == "assistant")
        return self

    def __reduce__(self) -> Any:
        return (Reply, (str(self), self.tool_calls, self.trajectory, self.steps))


def show_calls(calls: Iterable[Mapping[str, Any]] | None) -> str:
    """Stored calls as one line for reports: `get_weather(city="Paris"); lookup_order(<bad JSON>)`."""
    parts = []
    for c in calls or ():
        args = c.get("arguments")
        if args is None:
            inner = f"<{c.get('error') or 'unparsed arguments'}>"
        else:
            inner = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in dict(args).items())
        parts.append(f"{c.get('name') or '?'}({inner})")
    return "; ".join(parts)


def shown_output(output: str | None, calls: Iterable[Mapping[str, Any]] | None) -> str | None:
    """An output as reports show it: the text, then `[calls] ...` when the model called tools."""
    shown = show_calls(calls)
    if not shown:
        return output
    return f"{output}\n[calls] {shown}" if output else f"[calls] {shown}"

