"""`py:module:function` — any Python callable as a target, to test a whole app (RAG, agents).

The callable takes the case input (a string or a list of chat messages) and returns a string,
or a dict {"output", "confidence"?, "logprobs"?, "tool_calls"?}. It may be sync or async. A raised
exception is an error of that sample. A callable with a `tools` parameter is also handed the case's
tool schemas; `tool_calls` may be in the plain `{name, arguments}` or OpenAI's wire form, and
`output` may be left out when the app only called tools.
"""
from __future__ import annotations

import hashlib
import inspect
import time
from typing import Any, Callable, Sequence

from gradeloop.plugins import load_callable
from gradeloop.targets.base import Generation, Request
from gradeloop.targets.callpool import CallPool
from gradeloop.tools.calls import parse_calls


def _resolve(ref: str) -> Callable[..., Any]:
    return load_callable(ref, field="target", usage="py:module:function")


def _to_generation(value: Any, latency: float) -> Generation:
    if isinstance(value, str):
        return Generation(output=value, latency_s=latency)
    if isinstance(value, dict) and (isinstance(value.get("output"), str) or value.get("tool_calls")):
        try:
            calls = parse_calls(value.get("tool_calls"))
        except ValueError as exc:
            return Generation(output=None, error=f"callable returned bad tool_calls: {exc}", latency_s=latency)
        signals = {"confidence": float(value["confidence"])} if value.get("confidence") is not None else {}
        output = value.get("output")
        return Generation(output=output if isinstance(output, str) else "", latency_s=latency,
                          logprobs=value.get("logprobs"), signals=signals, tool_calls=calls)
    return Generation(output=None, error=f"callable returned {type(value).__name__}, expected str", latency_s=latency)


class PythonTarget:
    """Calls a user function per request, at most `--concurrency` calls in flight.

    Contract: `fn(input)` where input is the case's string or its chat messages (a list of
    {role, content} dicts); by signature it is also handed `case` (the Case: id, tags, reference,
    metadata), `tags` (the case's tags as a dict) and `tools` (the case's tool schemas). It returns a
    string, or a dict {"output", "confidence"?, "logprobs"?, "tool_calls"?}; it may be sync (run in a
    thread pool of `--concurrency` threads) or async (run under a semaphore of the same size).
    An exception is an error of that sample, never a failure of the model.
    """

    cacheable = False
    batch_size = 64
    independent_requests = True  # one call of the function per request

    def __init__(self, ref: str, spec: str | None = None) -> None:
        self.ref = ref
        self.spec = spec or f"py:{ref}"
        self.fn = _resolve(ref)
        self.is_async = inspect.iscoroutinefunction(self.fn)
        try:
            self.takes_tools = "tools" in inspect.signature(self.fn).parameters
        except (TypeError, ValueError):  # builtins and some C callables have no signature
            self.takes_tools = False
        self.takes_case, self.takes_tags = _wants(self.fn, "case"), _wants(self.fn, "tags")
        self.pool: CallPool[Request, Generation] = CallPool()
        try:
            source = inspect.getsource(self.fn)
        except (OSError, TypeError):
            source = ref
        self._fingerprint = "py-" + hashlib.sha256(f"{ref}\n{source}".encode()).hexdigest()[:16]

    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def on_generated(self) -> Callable[[], None] | None:
        """Called once per finished call, from worker threads: progress per sample, not per batch."""
        return self.pool.on_done

    @on_generated.setter
    def on_generated(self, hook: Callable[[], None] | None) -> None:
        self.pool.on_done = hook

    def limit_concurrency(self, n: int) -> None:
        """The run's --concurrency: calls in flight at most, sync or async."""
        self.pool.set_limit(n)

    def _call_sync(self, req: Request) -> Generation:
        start = time.perf_counter()
        try:
            value = self.fn(_plain_input(req.input), **self._kwargs(req))
        except Exception as exc:  # the app's failure is data about that sample
            return Generation(output=None, error=f"{type(exc).__name__}: {exc}", latency_s=time.perf_counter() - start)
        return _to_generation(value, time.perf_counter() - start)

    async def _call_async(self, req: Request) -> Generation:
        start = time.perf_counter()
        try:
            value = await self.fn(_plain_input(req.input), **self._kwargs(req))
        except Exception as exc:
            return Generation(output=None, error=f"{type(exc).__name__}: {exc}", latency_s=time.perf_counter() - start)
        return _to_generation(value, time.perf_counter() - start)

    def _kwargs(self, req: Request) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"tools": [dict(t) for t in req.tools]} if self.takes_tools else {}
        if self.takes_case:
            kwargs["case"] = req.case
        if self.takes_tags:
            kwargs["tags"] = dict(req.case.tags) if req.case is not None else {}
        return kwargs

    async def generate(self, requests: Sequence[Request]) -> list[Generation]:
        if self.is_async:
            return await self.pool.run_async(self._call_async, requests)
        return await self.pool.run_sync(self._call_sync, requests)

    async def aclose(self) -> None:
        self.pool.close()


def _wants(fn: Callable[..., Any], name: str) -> bool:
    """Whether `fn` takes a keyword argument `name` (its signature asks for it)."""
    try:
        param = inspect.signature(fn).parameters.get(name)
    except (TypeError, ValueError):
        return False
    return param is not None and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)


def _plain_input(value: Any) -> Any:
    """Chat inputs reach user code as plain lists of dicts, never as internal tuples."""
    return value if isinstance(value, str) else [dict(m) for m in value]
