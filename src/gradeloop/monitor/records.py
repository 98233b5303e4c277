"""One production log line as data: parsed and validated once, with the file and line it came from.

A log line is a JSON object: `timestamp` (ISO 8601, or epoch seconds as a number), `input`
(a string or chat messages), `output`, and optionally `tags` {key: value}, `latency_s`,
`confidence`, `error` and `tool_calls` (plain `{name, arguments, error?}` or OpenAI's wire form;
a call's `error` records that it failed; `output` may be left out when the model only called). Other fields (request ids, user ids) are allowed and ignored.
Naive ISO timestamps are read as UTC.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from gradeloop.errors import InputError
from gradeloop.tools.calls import ToolCall, parse_calls

# Epoch seconds beyond this (year 5138) are almost surely milliseconds: refuse instead of guessing.
_MAX_EPOCH_S = 1e11


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A validated production request: what was asked, what was answered, and how it went."""

    ts: float  # epoch seconds, UTC
    input: str | tuple[Mapping[str, Any], ...]
    output: str | None
    tags: Mapping[str, str] = field(default_factory=dict)
    latency_s: float | None = None
    confidence: float | None = None
    error: str | None = None
    file: str = ""
    line: int = 0
    tool_calls: tuple[ToolCall, ...] | None = None  # None: the line does not log calls


def _fail(message: str, file: str, line: int, fieldname: str | None) -> InputError:
    return InputError(message, file=file, line=line, field=fieldname)


def parse_timestamp(value: Any, file: str = "", line: int = 0, fieldname: str = "timestamp") -> float:
    """Epoch seconds from an ISO 8601 string or a number of epoch seconds."""
    if isinstance(value, bool) or value is None:
        raise _fail(f"expected an ISO 8601 string or epoch seconds, got {value!r}", file, line, fieldname)
    if isinstance(value, (int, float)):
        ts = float(value)
        if not math.isfinite(ts) or ts < 0:
            raise _fail(f"epoch seconds must be a finite number >= 0, got {value!r}", file, line, fieldname)
        if ts > _MAX_EPOCH_S:
            raise _fail(f"{value!r} looks like epoch milliseconds; write seconds", file, line, fieldname)
        return ts
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise _fail(f"not an ISO 8601 timestamp: {value!r:.60}", file, line, fieldname) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.timestamp()
    raise _fail(f"expected an ISO 8601 string or epoch seconds, got a {type(value).__name__}", file, line,
                fieldname)


def iso(ts: float) -> str:
    """UTC ISO 8601 text of epoch seconds, as the monitor JSON writes window bounds."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _input(value: Any, file: str, line: int) -> str | tuple[Mapping[str, Any], ...]:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        for i, m in enumerate(value):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str) \
                    or not isinstance(m.get("content"), str):
                raise _fail("a chat message must be {role: str, content: str}", file, line, f"input[{i}]")
        return tuple(value)
    raise _fail("expected a string or a non-empty list of chat messages", file, line, "input")


def _number(data: Mapping[str, Any], key: str, file: str, line: int, lo: float, hi: float) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not lo <= value <= hi:
        bounds = f"in [{lo:g}, {hi:g}]" if math.isfinite(hi) else f">= {lo:g}"
        raise _fail(f"expected a number {bounds}, got {value!r:.60}", file, line, key)
    return float(value)


def _tags(value: Any, file: str, line: int) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(f"expected a mapping of tag: value, got a {type(value).__name__}", file, line, "tags")
    out = {}
    for k, v in value.items():
        if isinstance(v, bool):
            out[k] = "true" if v else "false"
        elif isinstance(v, (str, int, float)):
            out[k] = str(v)
        else:
            raise _fail(f"a tag value must be a string or number, got a {type(v).__name__}", file, line,
                        f"tags.{k}")
    return out


def parse_record(data: Any, file: str = "", line: int = 0) -> LogRecord:
    """Validate one decoded JSON line; any problem is an InputError naming file:line:field."""
    if not isinstance(data, dict):
        raise _fail(f"expected a JSON object, got {type(data).__name__}", file, line, None)
    if "timestamp" not in data:
        raise _fail("missing", file, line, "timestamp")
    ts = parse_timestamp(data["timestamp"], file, line)
    if "input" not in data:
        raise _fail("missing", file, line, "input")
    prompt = _input(data["input"], file, line)
    error = data.get("error")
    if error is not None and not isinstance(error, str):
        raise _fail(f"expected a string or null, got a {type(error).__name__}", file, line, "error")
    error = error or None  # an empty error string means no error
    calls = None
    if data.get("tool_calls") is not None:
        try:
            calls = parse_calls(data["tool_calls"])
        except ValueError as exc:
            where, _, message = str(exc).partition(": ")
            raise _fail(message or where, file, line, where if message else "tool_calls") from None
    output = data.get("output")
    if output is not None and not isinstance(output, str):
        raise _fail(f"expected a string, got a {type(output).__name__}", file, line, "output")
    if output is None and calls and error is None:
        output = ""  # a response that only called tools
    if output is None and error is None:
        raise _fail("missing (a request without an output must carry an `error`)", file, line, "output")
    return LogRecord(ts=ts, input=prompt, output=output, tags=_tags(data.get("tags"), file, line),
                     latency_s=_number(data, "latency_s", file, line, 0.0, math.inf),
                     confidence=_number(data, "confidence", file, line, 0.0, 1.0),
                     error=error, file=file, line=line, tool_calls=calls)
