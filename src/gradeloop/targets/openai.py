"""`openai:` target: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, TGI, llama.cpp).

Spec grammar: ``openai:MODEL[@BASE_URL][;OPTION=VALUE]...``, e.g.
``openai:gpt-4o-mini``, ``openai:qwen2.5-7b@http://127.0.0.1:8000/v1;concurrency=64;logprobs=true``.
BASE_URL must start with http:// or https:// (so a model name may itself contain '@'); without it,
env OPENAI_BASE_URL, then https://api.openai.com/v1. Options: concurrency, timeout (s per attempt),
max_attempts, retry_budget, backoff (s), max_retry_after (s), logprobs (true|false), key_env (the
env var holding the key, default OPENAI_API_KEY), max_response_bytes (default 8 MiB: a longer body,
declared or streamed, is that sample's target error), deadline (s: after this long from the first
request, samples not yet sent fail at once as "not sent: deadline"), temperature, top_p, max_tokens.
Sampling options written in the spec are applied to every request of this target (they win over the
run's settings, and enter the fingerprint, hence the cache key); `logprobs=true` asks for
`logprobs` with `top_logprobs: 1` (llama.cpp answers none without it) and is part of the cache key. The key is read from the environment per batch; it is never stored, hashed or
printed, and error messages are redacted. A BASE_URL may carry a query (`?api-version=...`, Azure):
the request path is joined before it. Userinfo and secret-looking query parameters in BASE_URL
(`user:pw@`, `api-key=`, `sig=`, ...) are sent, but stored and printed as `***` (`targets.redact`).

Failures are data. Retried, with full-jitter backoff or the server's Retry-After: 408/409/425/429
and 5xx except 501/505 (not implemented / not supported: permanent), connection errors, timeouts, and an invalid-JSON body (once: a truncated proxy reply
is transient). Recorded at once: other 4xx, empty choices, missing content.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import os
import re
import time
import urllib.request
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import httpx

from gradeloop.errors import InputError
from gradeloop.targets.base import Generation, Request, SamplingParams
from gradeloop.targets.redact import redact_spec
from gradeloop.targets.retry import RETRYABLE_STATUS, RetryBudget, RetryPolicy, parse_retry_after
from gradeloop.targets.watch import OutputWatch
from gradeloop.targets.transport import LeanTransport, RawResponse, ResponseTooLarge, read_capped
from gradeloop.tools.calls import ToolCall, parse_arguments

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_INT_OPTIONS = {"concurrency": 1, "max_attempts": 1, "retry_budget": 0, "max_tokens": 1, "max_response_bytes": 1024}
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # far past any chat completion; stops a runaway or hostile body
_FLOAT_OPTIONS = {"timeout": 0.001, "backoff": 0.0, "max_retry_after": 0.0, "temperature": 0.0, "top_p": 0.0,
                  "deadline": 0.001}
_SAMPLING = ("temperature", "top_p", "max_tokens")
PERMANENT_5XX = frozenset({501, 505})  # not implemented / version not supported: retrying cannot help
OPTIONS = tuple(sorted({*_INT_OPTIONS, *_FLOAT_OPTIONS, "logprobs", "key_env"}))
_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9*_\-]{2})[A-Za-z0-9*_\-]{4,}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_JSON_HEADERS = ((b"content-type", b"application/json"), (b"accept", b"application/json"))
_NOT_RUN = Generation(output=None, error="not run")  # placeholder; every slot is overwritten


@dataclass(frozen=True, slots=True)
class _Failure:
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


@dataclass(slots=True)
class _LoopState:
    """The connections and semaphore of one event loop (httpx connections belong to a loop).

    Plain-http endpoints without a proxy (local vLLM, TGI, the stub) are called through the lean
    transport directly: httpx's client layer and default transport cost 0.4-1 ms of CPU per call
    here, which caps 256-way concurrency far below the server. TLS and proxies go through AsyncClient.
    """

    url: httpx.URL
    semaphore: asyncio.Semaphore
    concurrency: int
    lean: LeanTransport | None = None
    client: httpx.AsyncClient | None = None
    max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    async def post(self, body: bytes, headers: list[tuple[bytes, bytes]]) -> RawResponse:
        """POST a JSON body; transport failures raise httpx errors."""
        if self.lean is not None:  # the outer asyncio timeout bounds it
            return await self.lean.exchange("POST", self.url, headers, body, max_body=self.max_bytes)
        assert self.client is not None
        async with self.client.stream("POST", self.url, content=body, headers=headers) as resp:
            content = await read_capped(resp, self.max_bytes)
        return RawResponse(resp.status_code, resp.reason_phrase.encode("latin-1", "replace"),
                           [(k.lower(), v) for k, v in resp.headers.raw], content)

    async def aclose(self) -> None:
        if self.lean is not None:
            await self.lean.aclose()
        if self.client is not None:
            await self.client.aclose()


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
        _check_url(base_url, spec)
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


def _check_url(url: str, spec: str) -> None:
    spec = redact_spec(spec)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise InputError(f"invalid base URL in {spec!r}: {redact_spec(str(exc))}", field="target") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError(f"base URL in {spec!r} must be http(s)://host[:port]/path", field="target")


class OpenAITarget:
    """Chat completions over one connection pool per event loop, bounded by a semaphore, with retries.

    `concurrency` may be changed between batches. A success's `latency_s` is that of the attempt
    that answered; a failure's is the whole time spent on the request, retries included.
    """

    cacheable = True
    independent_requests = True  # each request of a batch is its own HTTP call

    def __init__(self, model: str, base_url: str | None = None, *, key_env: str = "OPENAI_API_KEY",
                 concurrency: int = 16, timeout: float = 60.0, max_attempts: int = 4,
                 retry_budget: int = 100, backoff: float = 0.5, max_retry_after: float = 60.0,
                 logprobs: bool = False, params: SamplingParams | None = None,
                 spec: str | None = None, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 spec_params: Mapping[str, Any] | None = None, deadline: float | None = None) -> None:
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        _check_url(self.base_url, spec or self.base_url)
        self.key_env = key_env
        self.concurrency = concurrency
        self.timeout = timeout
        self.policy = RetryPolicy(max_attempts=max_attempts, backoff=backoff, max_retry_after=max_retry_after)
        self.budget = RetryBudget(retries=retry_budget)
        self.logprobs = logprobs
        # sampling options the spec names: applied to every request, whatever the run asks
        self.spec_params = dict(spec_params or {})
        self.params = self._applied(params or SamplingParams())
        self.deadline = deadline
        self._started: float | None = None
        self._seen = OutputWatch()
        self.max_response_bytes = max_response_bytes
        self.spec = redact_spec(spec or f"openai:{model}@{self.base_url}")  # stored and printed: no secrets
        self._url = endpoint_url(self.base_url, "chat/completions")
        self._states: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self._judge: Any = None

    @classmethod
    def from_spec(cls, spec: str, params: SamplingParams | None = None) -> "OpenAITarget":
        """Build from `openai:MODEL[@BASE_URL][;option=value]...`; sampling options in the spec win over `params`."""
        kwargs = parse_spec(spec)
        if params is not None:
            kwargs["params"] = params
        key_env = kwargs.get("key_env")
        if key_env and key_env not in os.environ:
            raise InputError(f"key_env names {key_env!r}, which is not set in the environment",
                             field="target.key_env")
        return cls(**kwargs)

    @property
    def batch_size(self) -> int:
        """The run engine hands us chunks this large, so one chunk fills the connection pool."""
        return self.concurrency

    def __repr__(self) -> str:
        return (f"OpenAITarget(model={self.model!r}, base_url={redact_spec(self.base_url)!r}, "
                f"concurrency={self.concurrency}, key_env={self.key_env!r})")

    def fingerprint(self) -> str:
        """Model, endpoint and default sampling settings; never the key.

        The endpoint is hashed whole (userinfo and query included), so two passwords or two
        `api-key=` values are two fingerprints, and neither is readable from the hash's 64 bits.
        """
        parts: dict[str, Any] = {"kind": "openai", "model": self.model, "base_url": self.base_url,
                                 "params": self.params.as_dict()}
        if self.logprobs:  # a run that asked for logprobs must not be served a cached one without them
            parts["logprobs"] = True
        if self.spec_params:
            parts["spec_params"] = self.spec_params
        blob = json.dumps(parts, sort_keys=True)
        return "openai-" + hashlib.sha256(blob.encode()).hexdigest()[:16]

    async def generate(self, requests: Sequence[Request]) -> list[Generation]:
        """Answer the batch with up to `concurrency` requests in flight; one Generation per request, in order."""
        if not requests:
            return []
        key = (os.environ.get(self.key_env) or "").strip() or None
        if key is not None and not key.isprintable():
            return [Generation(output=None, error=f"the API key in ${self.key_env} contains control characters")
                    for _ in requests]
        state = await self._state()
        headers = list(_JSON_HEADERS)
        if key:
            headers.append((b"authorization", f"Bearer {key}".encode("latin-1", "replace")))
        elif self._url.userinfo:  # user:password@ in the base URL (a proxy or a gateway)
            basic = f"{self._url.username}:{self._url.password}".encode()
            headers.append((b"authorization", b"Basic " + base64.b64encode(basic)))
        results: list[Generation] = [_NOT_RUN] * len(requests)
        todo = iter(enumerate(requests))

        async def worker() -> None:
            # A few workers pulling from one iterator, rather than a task per request parked on
            # the semaphore: a 10,000-request batch costs `concurrency` tasks, not 10,000.
            for i, req in todo:
                results[i] = await self._guarded(state, req, headers, key)

        await asyncio.gather(*(worker() for _ in range(min(len(requests), max(1, state.concurrency)))))
        return results

    def _applied(self, params: SamplingParams) -> SamplingParams:
        return replace(params, **self.spec_params) if self.spec_params else params

    def warnings(self) -> list[str]:
        """What the run should hear about this endpoint: asked-for logprobs missing, identical samples."""
        return self._seen.warnings(self.spec)

    async def aclose(self) -> None:
        """Close the client of the running loop (others close with their loop or `close()`)."""
        state = self._states.pop(asyncio.get_running_loop(), None)
        if state is not None:
            await state.aclose()

    def complete(self, prompt: str) -> str:
        """Synchronous one-shot completion with `self.params`, for judge graders; raises on failure."""
        if self._judge is None:
            from gradeloop.targets.sync_judge import SyncJudge

            self._judge = SyncJudge(self, self.params)
        return self._judge(prompt)

    def close(self) -> None:
        """Stop the background loop `complete()` started, if any."""
        if self._judge is not None:
            self._judge.close()
            self._judge = None

    async def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        for old in [old for old in self._states if old.is_closed()]:
            # A caller that ran us under asyncio.run() and never called aclose(): its loop is gone,
            # so its sockets can only be dropped (they close when collected).
            del self._states[old]
        state = self._states.get(loop)
        if state is not None and state.concurrency == self.concurrency:
            return state
        if state is not None:  # concurrency was changed: resize the pool
            await state.aclose()
        n = max(1, int(self.concurrency))
        state = _LoopState(url=self._url, semaphore=asyncio.Semaphore(n), concurrency=self.concurrency,
                           max_bytes=self.max_response_bytes)
        if _plain_http_without_proxy(self.base_url):
            state.lean = LeanTransport(max_keepalive=n)
        else:  # TLS and proxies (from the environment): httpx's own client and pool
            state.client = httpx.AsyncClient(limits=httpx.Limits(max_connections=n, max_keepalive_connections=n),
                                             timeout=httpx.Timeout(self.timeout, pool=None), follow_redirects=False)
        self._states[loop] = state
        return state

    async def _guarded(self, state: _LoopState, req: Request, headers: list[tuple[bytes, bytes]],
                       key: str | None) -> Generation:
        start = time.perf_counter()
        try:
            async with state.semaphore:
                return await self._one(state, req, headers, key, start)
        except Exception as exc:  # a bug here must cost one sample, never the batch
            return Generation(output=None, error=_redact(f"internal error: {type(exc).__name__}: {exc}", key),
                              latency_s=time.perf_counter() - start)

    async def _one(self, state: _LoopState, req: Request, headers: list[tuple[bytes, bytes]],
                   key: str | None, start: float) -> Generation:
        if self._started is None:
            self._started = start
        if self.deadline is not None and start - self._started > self.deadline:
            return Generation(output=None, latency_s=0.0,
                              error=f"not sent: deadline of {self.deadline:g}s for this endpoint passed")
        generation = await self._send(state, req, headers, key, start)
        self._seen.note(req, generation, self.logprobs)
        return generation

    async def _send(self, state: _LoopState, req: Request, headers: list[tuple[bytes, bytes]],
                    key: str | None, start: float) -> Generation:
        if not self.budget.admit():
            return Generation(output=None, latency_s=time.perf_counter() - start,
                              error=f"not sent: endpoint failing and retry budget spent "
                                    f"(last: {self.budget.last_error})")
        body = self.body(req)
        attempts = malformed = 0
        while True:
            attempts += 1
            attempt_start = time.perf_counter()
            outcome = await self._attempt(state, body, headers, key)
            if isinstance(outcome, Generation):
                self.budget.succeeded()
                outcome.latency_s = time.perf_counter() - attempt_start
                return outcome
            malformed += outcome.malformed
            retry = (outcome.retryable and attempts < self.policy.max_attempts
                     and not (outcome.malformed and malformed >= 2))
            spent = retry and not self.budget.spend()
            if not retry or spent:
                error = outcome.render(attempts, budget_spent=spent)
                if outcome.retryable:
                    self.budget.failed(outcome.detail)
                return Generation(output=None, error=error, latency_s=time.perf_counter() - start)
            await asyncio.sleep(self.policy.delay(attempts, outcome.retry_after))

    def body(self, req: Request) -> dict[str, Any]:
        """The JSON body for one request: messages, sampling parameters, seed, logprobs if asked."""
        p = self._applied(req.params)
        messages = ([{"role": "user", "content": req.input}] if isinstance(req.input, str)
                    else [_wire_message(m) for m in req.input])
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": p.temperature,
                                "top_p": p.top_p, "max_tokens": p.max_tokens}
        if p.stop:
            body["stop"] = list(p.stop)
        if req.seed is not None:
            body["seed"] = req.seed
        if self.logprobs:  # top_logprobs too: llama.cpp's server returns none without it
            body["logprobs"] = True
            body["top_logprobs"] = 1
        if req.tools:
            body["tools"] = [dict(t) for t in req.tools]
            if req.tool_choice is not None:
                body["tool_choice"] = req.tool_choice
        return body

    async def _attempt(self, state: _LoopState, body: Mapping[str, Any],
                       headers: list[tuple[bytes, bytes]], key: str | None) -> Generation | _Failure:
        try:
            # Bounds the whole attempt (connect, write, a trickling read), not each socket read.
            async with asyncio.timeout(self.timeout):
                resp = await state.post(json.dumps(body).encode(), headers)
        except (TimeoutError, httpx.TimeoutException):
            return _Failure(f"timeout after {self.timeout:g}s", retryable=True)
        except ResponseTooLarge:  # the same prompt would overflow again: recorded, not retried
            return _Failure(f"response body over max_response_bytes={self.max_response_bytes}", retryable=False)
        except httpx.HTTPError as exc:
            return _Failure(f"connection error: {type(exc).__name__}", retryable=True,
                            note=_redact(str(exc), key))
        if not 200 <= resp.status < 300:
            code = resp.status
            note = _error_note(resp.content, key)
            if code == 404 and not re.search(r"/v\d[^/]*$", httpx.URL(self.base_url).path.rstrip("/")):
                note = (f"{note} " if note else "") + "(hint: the base URL has no /v1; OpenAI-compatible servers " \
                    "serve /v1/chat/completions)"
            retryable = code in RETRYABLE_STATUS or (code >= 500 and code not in PERMANENT_5XX)
            return _Failure(f"http {code}", retryable=retryable, retry_after=parse_retry_after(resp.header_map()),
                            note=note)
        try:
            data = json.loads(resp.content)
        except ValueError:
            return _Failure("malformed response: invalid JSON", retryable=True, malformed=True)
        return parse_completion(data, key)


def parse_completion(data: Any, key: str | None = None) -> Generation | _Failure:
    """Read output, usage and logprobs from a chat-completion body; a refusal counts as the output."""
    if not isinstance(data, dict):
        return _Failure("malformed response: body is not a JSON object", retryable=False)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        err = data.get("error")
        if isinstance(err, dict) and err.get("message"):
            return _Failure("api error", retryable=False, note=_redact(str(err["message"]), key))
        return _Failure("malformed response: empty choices", retryable=False)
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    content = message.get("content")
    if content is None and isinstance(message.get("refusal"), str):
        content = message["refusal"]
    if isinstance(content, list):  # content parts: keep the text ones
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    calls = _tool_calls(message.get("tool_calls"))
    if isinstance(calls, _Failure):
        return calls
    if content is None and calls:
        content = ""  # a turn that only calls tools has no text
    if not isinstance(content, str):
        return _Failure("malformed response: missing content", retryable=False)
    usage_raw = data.get("usage")
    usage = ({k: v for k in ("prompt_tokens", "completion_tokens", "total_tokens")
              if isinstance(v := usage_raw.get(k), int)} if isinstance(usage_raw, dict) else None)
    return Generation(output=content, usage=usage or None, logprobs=_logprobs(choice.get("logprobs")),
                      tool_calls=calls)


def _tool_calls(value: Any) -> tuple[ToolCall, ...] | _Failure:
    """`message.tool_calls` in OpenAI's wire form; arguments that are not JSON stay a graded parse error."""
    if value is None:
        return ()
    if not isinstance(value, list):
        return _Failure("malformed response: tool_calls is not a list", retryable=False)
    calls = []
    for item in value:
        fn = item.get("function") if isinstance(item, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            return _Failure("malformed response: a tool call has no function name", retryable=False)
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


def endpoint_url(base_url: str, path: str) -> httpx.URL:
    """`path` joined to the base URL's path, before its query: `.../v1?api-version=X` + `chat/completions`
    is `.../v1/chat/completions?api-version=X` (Azure), not `...?api-version=X/chat/completions`."""
    base = httpx.URL(base_url)
    return base.copy_with(path=base.path.rstrip("/") + "/" + path.lstrip("/"))


def _plain_http_without_proxy(base_url: str) -> bool:
    """Whether the lean transport can serve this endpoint: http://, and no proxy configured for it."""
    url = httpx.URL(base_url)
    if url.scheme != "http":
        return False
    return not urllib.request.getproxies().get("http") or bool(urllib.request.proxy_bypass(url.host))


def _error_note(content: bytes, key: str | None) -> str:
    """The server's error message (OpenAI's {"error": {"message"}} or the raw text), short and redacted."""
    try:
        data = json.loads(content)
        err = data.get("error") if isinstance(data, dict) else None
        text = str(err.get("message") if isinstance(err, dict) else err or data)
    except ValueError:
        text = content[:400].decode("utf-8", "replace")
    return _redact(text, key)


def _redact(text: str, key: str | None) -> str:
    """One line, at most 200 characters, with the key and anything key-shaped masked."""
    if key and len(key) >= 4:
        text = text.replace(key, "***")
    text = _KEYLIKE.sub(r"\1***", redact_spec(" ".join(text.split())))
    return text if len(text) <= 200 else text[:197] + "..."
