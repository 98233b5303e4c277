"""The `openai:` target spec, ``openai:MODEL[@BASE_URL][;OPTION=VALUE]...``, read into keyword arguments.

Separate from the target (targets.openai) because it is pure text checking: it runs before any
connection exists, and every way a spec can be wrong is one `InputError` naming the `target.*`
field, never an HTTP failure later. Messages quote the spec through `redact_spec`, so a password
or an `api-key=` written in BASE_URL is never printed.

BASE_URL must start with http:// or https:// (so a model name may itself contain '@'). Numeric
options are checked against their lowest sensible value; `temperature`, `top_p` and `max_tokens`
go to `spec_params` (applied to every request of the target), the others to the constructor.
"""
from __future__ import annotations

import math
import re
from typing import Any

import httpx

from gradeloop.errors import InputError
from gradeloop.targets.redact import redact_spec

_INT_OPTIONS = {"concurrency": 1, "max_attempts": 1, "retry_budget": 0, "max_tokens": 1, "max_response_bytes": 1024}
_FLOAT_OPTIONS = {"timeout": 0.001, "backoff": 0.0, "max_retry_after": 0.0, "temperature": 0.0, "top_p": 0.0,
                  "deadline": 0.001}
_SAMPLING = ("temperature", "top_p", "max_tokens")
OPTIONS = tuple(sorted({*_INT_OPTIONS, *_FLOAT_OPTIONS, "logprobs", "key_env"}))
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_spec(spec: str) -> dict[str, Any]:
    """Split an `openai:` spec into constructor keyword arguments; bad specs raise InputError."""
    scheme, sep, rest = spec.partition(":")
    shown = redact_spec(spec)  # what error messages may quote
    if scheme != "openai" or not sep:
        raise InputError(f"expected openai:MODEL[@BASE_URL][;option=value], got {shown!r}", field="target")
    head, *options = rest.split(";")
    model, base_url = head, None
    match = re.search(r"@(?=https?://)", head)
    if match:
        model, base_url = head[:match.start()], head[match.end():]
    elif re.search(r"@[a-z][a-z0-9+.-]*://", head, re.IGNORECASE):
        raise InputError(f"base URL in {shown!r} must start with http:// or https://", field="target")
    if not model.strip():
        raise InputError(f"no model named in {shown!r}", field="target")
    kwargs: dict[str, Any] = {"model": model.strip(), "base_url": base_url, "spec": spec}
    if base_url is not None:
        check_base_url(base_url, spec)
    params: dict[str, Any] = {}
    for option in options:
        if not option.strip():
            continue
        name, eq, value = (s.strip() for s in option.partition("="))
        if not eq or name not in OPTIONS:
            raise InputError(f"unknown option {redact_spec(option)!r} in {shown!r}; known: {', '.join(OPTIONS)}",
                             field=f"target.{name}")
        target = params if name in _SAMPLING else kwargs
        target[name] = _convert(name, value, shown)
    if params:
        kwargs["spec_params"] = params
    return kwargs


def _convert(name: str, value: str, spec: str) -> Any:
    where = f"target.{name}"
    if name == "logprobs":
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise InputError(f"{name} must be true or false, got {value!r} in {spec!r}", field=where)
        return value.lower() in ("true", "1", "yes")
    if name == "key_env":
        if not _ENV_NAME.match(value):
            raise InputError(f"key_env must be an environment variable name, got {value!r}", field=where)
        return value
    kind, low = (int, _INT_OPTIONS[name]) if name in _INT_OPTIONS else (float, _FLOAT_OPTIONS[name])
    try:
        number = kind(value)
    except ValueError:
        raise InputError(f"{name} must be {'an integer' if kind is int else 'a number'}, got {value!r}",
                         field=where) from None
    if not math.isfinite(number) or number < low:
        raise InputError(f"{name} must be at least {low}, got {value!r}", field=where)
    return number


def check_base_url(url: str, spec: str) -> None:
    """Refuse a base URL that is not http(s)://host[...]; `spec` is what the message quotes (redacted)."""
    spec = redact_spec(spec)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise InputError(f"invalid base URL in {spec!r}: {redact_spec(str(exc))}", field="target") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError(f"base URL in {spec!r} must be http(s)://host[:port]/path", field="target")
