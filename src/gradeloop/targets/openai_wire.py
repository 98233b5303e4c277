"""The chat-completions wire format: the JSON body sent, and what is read back from the answer.

Separate from the target (targets.openai), which owns connections, concurrency and retries:
these are pure functions of JSON values, tested without a server, and the one place that knows
OpenAI's shapes (assistant tool-call arguments as JSON strings, content parts, refusals,
`logprobs.content`). A body that cannot be read is an `AttemptFailure`, never an exception;
the server's own words are quoted only through `redact_error` (one line, key masked).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

from gradeloop.targets.base import Generation, Request, SamplingParams
from gradeloop.targets.redact import redact_spec
from gradeloop.tools.calls import ToolCall, parse_arguments

_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9*_\-]{2})[A-Za-z0-9*_\-]{4,}")


@dataclass(frozen=True, slots=True)
class AttemptFailure:
    """Why one attempt failed, and whether trying again could help."""

    detail: str
    retryable: bool
    retry_after: float | None = None
    malformed: bool = False
    note: str = ""  # the server's own words, redacted

    def render(self, attempts: int, budget_spent: bool = False) -> str:
        if attempts <= 1:
            text = self.detail
        elif self.detail.startswith("http "):
            text = f"{self.detail} after {attempts} attempts"
        else:
            text = f"{self.detail} ({attempts} attempts)"
        if budget_spent:
            text += " [retry budget spent]"
        return f"{text}: {self.note}" if self.note else text


def chat_body(model: str, req: Request, params: SamplingParams, logprobs: bool) -> dict[str, Any]:
    """The JSON body for one request: messages, sampling parameters, seed, logprobs if asked.

    `params` are the ones to send: the request's, with the target's spec options already applied.
    """
    messages = ([{"role": "user", "content": req.input}] if isinstance(req.input, str)
                else [_wire_message(m) for m in req.input])
    body: dict[str, Any] = {"model": model, "messages": messages, "temperature": params.temperature,
                            "top_p": params.top_p, "max_tokens": params.max_tokens}
    if params.stop:
        body["stop"] = list(params.stop)
    if req.seed is not None:
        body["seed"] = req.seed
    if logprobs:  # top_logprobs too: llama.cpp's server returns none without it
        body["logprobs"] = True
        body["top_logprobs"] = 1
    if req.tools:
        body["tools"] = [dict(t) for t in req.tools]
        if req.tool_choice is not None:
            body["tool_choice"] = req.tool_choice
    return body


def parse_completion(data: Any, key: str | None = None) -> Generation | AttemptFailure:
    """Read output, usage and logprobs from a chat-completion body; a refusal counts as the output."""
    if not isinstance(data, dict):
        return AttemptFailure("malformed response: body is not a JSON object", retryable=False)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        err = data.get("error")
        if isinstance(err, dict) and err.get("message"):
            return AttemptFailure("api error", retryable=False, note=redact_error(str(err["message"]), key))
        return AttemptFailure("malformed response: empty choices", retryable=False)
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    content = message.get("content")
    if content is None and isinstance(message.get("refusal"), str):
        content = message["refusal"]
    if isinstance(content, list):  # content parts: keep the text ones
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    calls = _tool_calls(message.get("tool_calls"))
    if isinstance(calls, AttemptFailure):
        return calls
    if content is None and calls:
        content = ""  # a turn that only calls tools has no text
    if not isinstance(content, str):
        return AttemptFailure("malformed response: missing content", retryable=False)
    usage_raw = data.get("usage")
    usage = ({k: v for k in ("prompt_tokens", "completion_tokens", "total_tokens")
              if isinstance(v := usage_raw.get(k), int)} if isinstance(usage_raw, dict) else None)
    return Generation(output=content, usage=usage or None, logprobs=_logprobs(choice.get("logprobs")),
                      tool_calls=calls)


def _tool_calls(value: Any) -> tuple[ToolCall, ...] | AttemptFailure:
    """`message.tool_calls` in OpenAI's wire form; arguments that are not JSON stay a graded parse error."""
    if value is None:
        return ()
    if not isinstance(value, list):
        return AttemptFailure("malformed response: tool_calls is not a list", retryable=False)
    calls = []
    for item in value:
        fn = item.get("function") if isinstance(item, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            return AttemptFailure("malformed response: a tool call has no function name", retryable=False)
        arguments, error, raw = parse_arguments(fn.get("arguments"))
        call_id = item.get("id")
        calls.append(ToolCall(fn["name"], arguments, error, raw, call_id if isinstance(call_id, str) else None))
    return tuple(calls)


def _wire_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A chat message as OpenAI wants it: an assistant's call arguments as JSON strings."""
    out = dict(message)
    calls = out.get("tool_calls")
    if calls:
        out["tool_calls"] = [{**c, "function": {**c["function"], "arguments": json.dumps(c["function"]["arguments"])}}
                             if isinstance(c.get("function", {}).get("arguments"), dict) else c for c in calls]
        if not out.get("content"):
            out["content"] = None
    return out


def _logprobs(block: Any) -> list[float] | None:
    tokens = block.get("content") if isinstance(block, dict) else None
    if not isinstance(tokens, list):
        return None
    values = [t.get("logprob") for t in tokens if isinstance(t, dict)]
    return [float(v) for v in values if isinstance(v, (int, float))] or None


def error_note(content: bytes, key: str | None) -> str:
    """The server's error message (OpenAI's {"error": {"message"}} or the raw text), short and redacted."""
    try:
        data = json.loads(content)
        err = data.get("error") if isinstance(data, dict) else None
        text = str(err.get("message") if isinstance(err, dict) else err or data)
    except ValueError:
        text = content[:400].decode("utf-8", "replace")
    return redact_error(text, key)


def redact_error(text: str, key: str | None) -> str:
    """One line, at most 200 characters, with the key and anything key-shaped masked."""
    if key and len(key) >= 4:
        text = text.replace(key, "***")
    text = _KEYLIKE.sub(r"\1***", redact_spec(" ".join(text.split())))
    return text if len(text) <= 200 else text[:197] + "..."
