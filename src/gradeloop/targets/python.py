"""`py:module:function` — any Python callable as a target, to test a whole app (RAG, agents).

The callable takes the case input (a string or a list of chat messages) and returns a string,
or a dict {"output", "confidence"?, "logprobs"?}. It may be sync or async. A raised exception
is an error of that sample.
"""
from __future__ import annotations

import asyncio
import hashlib
import inspect
import time
from typing import Any, Callable, Sequence

from gradeloop.plugins import load_callable
from gradeloop.targets.base import Generation, Request


def _resolve(ref: str) -> Callable[..., Any]:
    return load_callable(ref, field="target", usage="py:module:function")


def _to_generation(value: Any, latency: float) -> Generation:
    if isinstance(value, str):
        return Generation(output=value, latency_s=latency)
    if isinstance(value, dict) and isinstance(value.get("output"), str):
        signals = {"confidence": float(value["confidence"])} if value.get("confidence") is not None else {}
        return Generation(output=value["output"], latency_s=latency, logprobs=value.get("logprobs"), signals=signals)
    return Generation(output=None, error=f"callable returned {type(value).__name__}, expected str", latency_s=latency)


class PythonTarget:
    """Calls a user function per request; sync functions run in a worker thread per batch."""

    cacheable = False
    batch_size = 64

    def __init__(self, ref: str, spec: str | None = None) -> None:
        self.ref = ref
        self.spec = spec or f"py:{ref}"
        self.fn = _resolve(ref)
        self.is_async = inspect.iscoroutinefunction(self.fn)
        try:
            source = inspect.getsource(self.fn)
        except (OSError, TypeError):
            source = ref
        self._fingerprint = "py-" + hashlib.sha256(f"{ref}\n{source}".encode()).hexdigest()[:16]

    def fingerprint(self) -> str:
        return self._fingerprint

    def _call_sync(self, requests: Sequence[Request]) -> list[Generation]:
        out = []
        for req in requests:
            start = time.perf_counter()
            try:
                value = self.fn(_plain_input(req.input))
            except Exception as exc:  # the app's failure is data about that sample
                out.append(Generation(output=None, error=f"{type(exc).__name__}: {exc}",
                                      latency_s=time.perf_counter() - start))
                continue
            out.append(_to_generation(value, time.perf_counter() - start))
        return out

    async def _call_async(self, req: Request) -> Generation:
        start = time.perf_counter()
        try:
            value = await self.fn(_plain_input(req.input))
        except Exception as exc:
            return Generation(output=None, error=f"{type(exc).__name__}: {exc}", latency_s=time.perf_counter() - start)
        return _to_generation(value, time.perf_counter() - start)

    async def generate(self, requests: Sequence[Request]) -> list[Generation]:
        if self.is_async:
            return list(await asyncio.gather(*(self._call_async(r) for r in requests)))
        if len(requests) <= 8:
            return self._call_sync(requests)
        return await asyncio.to_thread(self._call_sync, requests)

    async def aclose(self) -> None:
        return None


def _plain_input(value: Any) -> Any:
    """Chat inputs reach user code as plain lists of dicts, never as internal tuples."""
    return value if isinstance(value, str) else [dict(m) for m in value]
