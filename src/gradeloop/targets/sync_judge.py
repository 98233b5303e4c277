"""A synchronous judge function (graders' JudgeFn: prompt -> text) over any async Target.

Graders are synchronous and may run on many threads; targets are async. A SyncJudge owns one
event loop in a daemon thread and submits every call to it, so concurrent judge calls share one
connection pool and the target's concurrency bound.
"""
from __future__ import annotations

import asyncio
import itertools
import threading

from gradeloop.targets.base import Request, SamplingParams, Target


class JudgeError(RuntimeError):
    """The judge model gave no answer (timeout, HTTP error...); graders record it as a grader error."""


class SyncJudge:
    """A callable `prompt -> completion` backed by an async target on a private event loop."""

    def __init__(self, target: Target, params: SamplingParams | None = None, timeout: float | None = None) -> None:
        self.target = target
        self.params = params or SamplingParams()
        self.timeout = timeout  # overall bound per call; the target's own timeouts apply inside
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="gradeloop-judge", daemon=True)
        self._thread.start()
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, prompt: str) -> str:
        with self._lock:
            if self._closed:
                raise JudgeError("judge is closed")
            request = Request(case_id=f"judge-{next(self._ids)}", input=prompt, params=self.params)
            future = asyncio.run_coroutine_threadsafe(self.target.generate([request]), self._loop)
        try:
            generation = future.result(self.timeout)[0]
        except TimeoutError:
            future.cancel()
            raise JudgeError(f"judge gave no answer within {self.timeout:g}s") from None
        if generation.error is not None or generation.output is None:
            raise JudgeError(generation.error or "judge returned no output")
        return generation.output

    def close(self) -> None:
        """Close the target's connections on this loop and stop the thread; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            asyncio.run_coroutine_threadsafe(self.target.aclose(), self._loop).result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            if not self._thread.is_alive():
                self._loop.close()


def as_judge(target: Target, params: SamplingParams | None = None) -> SyncJudge:
    """The judge function for a target: `as_judge(OpenAITarget.from_spec(spec))("Rate this...")`."""
    return SyncJudge(target, params)
