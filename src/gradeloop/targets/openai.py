"""`openai:` target: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, TGI, llama.cpp).

Spec: ``openai:MODEL[@BASE_URL][;OPTION=VALUE]...``, e.g. ``openai:gpt-4o-mini``,
``openai:qwen2.5-7b@http://127.0.0.1:8000/v1;concurrency=64;logprobs=true`` (parsed and checked in
targets.openai_spec). Without BASE_URL: env OPENAI_BASE_URL, then https://api.openai.com/v1. Options:
concurrency, timeout (s per attempt), max_attempts, retry_budget, backoff (s), max_retry_after (s),
logprobs (true|false), key_env (the env var holding the key, default OPENAI_API_KEY),
max_response_bytes (default 8 MiB: a longer body, declared or streamed, is that sample's target
error), deadline (s: after this long from the first request, samples not yet sent fail at once as
"not sent: deadline"), temperature, top_p, max_tokens.
Sampling options written in the spec are applied to every request of this target (they win over the
run's settings, and enter the fingerprint, hence the cache key); `logprobs=true` asks for
`logprobs` with `top_logprobs: 1` (llama.cpp answers none without it) and is part of the cache key. The key is read from the environment per batch; it is never stored, hashed or
printed, and error messages are redacted. A BASE_URL may carry a query (`?api-version=...`, Azure):
the request path is joined before it. Userinfo and secret-looking query parameters in BASE_URL
(`user:pw@`, `api-key=`, `sig=`, ...) are sent, but stored and printed as `***` (`targets.redact`).

This module holds the connections (one pool per event loop), concurrency, retries and deadline;
the JSON sent and read back is targets.openai_wire.

Failures are data. Retried, with full-jitter backoff or the server's Retry-After: 408/409/425/429
and 5xx except 501/505 (not implemented / not supported: permanent), connection errors, timeouts, and an invalid-JSON body (once: a truncated proxy reply
is transient). Recorded at once: other 4xx, empty choices, missing content.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import time
import urllib.request
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import httpx

from gradeloop.errors import InputError
from gradeloop.targets.base import Generation, Request, SamplingParams
from gradeloop.targets.openai_spec import OPTIONS, check_base_url, parse_spec
from gradeloop.targets.openai_wire import AttemptFailure, chat_body, error_note, parse_completion, redact_error
from gradeloop.targets.redact import redact_spec
from gradeloop.targets.retry import RETRYABLE_STATUS, RetryBudget, RetryPolicy, parse_retry_after
from gradeloop.targets.watch import OutputWatch
from gradeloop.targets.transport import LeanTransport, RawResponse, ResponseTooLarge, read_capped

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # far past any chat completion; stops a runaway or hostile body
PERMANENT_5XX = frozenset({501, 505})  # not implemented / version not supported: retrying cannot help
_JSON_HEADERS = ((b"content-type", b"application/json"), (b"accept", b"application/json"))
_NOT_RUN = Generation(output=None, error="not run")  # placeholder; every slot is overwritten
# parse_spec, OPTIONS and parse_completion live in openai_spec / openai_wire; importable from here too
__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MAX_RESPONSE_BYTES", "OPTIONS", "PERMANENT_5XX", "OpenAITarget",
           "endpoint_url", "parse_completion", "parse_spec"]


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
        check_base_url(self.base_url, spec or self.base_url)
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
            return Generation(output=None, error=redact_error(f"internal error: {type(exc).__name__}: {exc}", key),
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
        """The JSON body for one request, with the spec's sampling options applied (openai_wire.chat_body)."""
        return chat_body(self.model, req, self._applied(req.params), self.logprobs)

    async def _attempt(self, state: _LoopState, body: Mapping[str, Any],
                       headers: list[tuple[bytes, bytes]], key: str | None) -> Generation | AttemptFailure:
        try:
            # Bounds the whole attempt (connect, write, a trickling read), not each socket read.
            async with asyncio.timeout(self.timeout):
                resp = await state.post(json.dumps(body).encode(), headers)
        except (TimeoutError, httpx.TimeoutException):
            return AttemptFailure(f"timeout after {self.timeout:g}s", retryable=True)
        except ResponseTooLarge:  # the same prompt would overflow again: recorded, not retried
            return AttemptFailure(f"response body over max_response_bytes={self.max_response_bytes}", retryable=False)
        except httpx.HTTPError as exc:
            return AttemptFailure(f"connection error: {type(exc).__name__}", retryable=True,
                            note=redact_error(str(exc), key))
        if not 200 <= resp.status < 300:
            code = resp.status
            note = error_note(resp.content, key)
            if code == 404 and not re.search(r"/v\d[^/]*$", httpx.URL(self.base_url).path.rstrip("/")):
                note = (f"{note} " if note else "") + "(hint: the base URL has no /v1; OpenAI-compatible servers " \
                    "serve /v1/chat/completions)"
            retryable = code in RETRYABLE_STATUS or (code >= 500 and code not in PERMANENT_5XX)
            return AttemptFailure(f"http {code}", retryable=retryable, retry_after=parse_retry_after(resp.header_map()),
                            note=note)
        try:
            data = json.loads(resp.content)
        except ValueError:
            return AttemptFailure("malformed response: invalid JSON", retryable=True, malformed=True)
        return parse_completion(data, key)


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
