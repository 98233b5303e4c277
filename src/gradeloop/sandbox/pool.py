"""A pool of warm sandbox workers, safe to call from many threads.

Workers start lazily (up to `workers` at once) and each serves many calls, so a call costs a
round trip over a pipe instead of an interpreter start. A worker that timed out, crashed, broke
the protocol, served `max_calls` calls or nearly spent its lifetime CPU budget is killed and a
fresh one takes its place on the next call.
"""
from __future__ import annotations

import atexit
import os
import threading
from typing import Any, Mapping, Sequence

from gradeloop.sandbox.config import SandboxConfig
from gradeloop.sandbox.process import WorkerProcess
from gradeloop.sandbox.types import Code, SandboxResult, SandboxUnavailable, as_code


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class SandboxPool:
    """`SandboxPool(config, workers).call(code, function, args, kwargs, timeout) -> SandboxResult`."""

    def __init__(self, config: SandboxConfig | None = None, workers: int | None = None) -> None:
        self.config = config or SandboxConfig()
        self.size = max(1, workers or default_workers())
        self.started = 0  # workers started over the pool's life: calls / started = reuse
        self._idle: list[WorkerProcess] = []
        self._live = 0
        self._closed = False
        self._refused: SandboxUnavailable | None = None  # the kernel said no: do not ask per call
        self._cond = threading.Condition()

    def call(self, code: Code, function: str, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None,
             timeout: float = 10.0) -> SandboxResult:
        """Call `function(*args, **kwargs)` from `code` in a worker; arguments and result travel as JSON.

        Never raises for what the code does (exceptions, timeouts, crashes are results); raises
        `SandboxUnavailable` when no worker can be started, `ValueError` for a bad timeout.
        """
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        request = {"code": as_code(code).as_json(), "function": function, "args": list(args),
                   "kwargs": dict(kwargs or {}), "cpu": self.config.cpu_seconds}
        worker = self._acquire()
        reusable = False
        try:
            result, reusable = worker.call(request, timeout)
        finally:
            self._release(worker, reusable)
        return result

    def warm(self, n: int | None = None) -> None:
        """Start up to `n` workers now (default: all), so the first calls pay no start-up."""
        got = [self._acquire() for _ in range(min(n or self.size, self.size))]
        for w in got:
            self._release(w, True)

    def trim(self) -> int:
        """Kill the idle workers (the pool stays open: the next call starts one); how many were killed."""
        with self._cond:
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._cond.notify_all()
        for w in idle:
            w.kill()
        return len(idle)

    def close(self) -> None:
        """Kill every worker; calls in flight finish (their worker is then killed)."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._cond.notify_all()
        for w in idle:
            w.kill()

    def __enter__(self) -> "SandboxPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _acquire(self) -> WorkerProcess:
        with self._cond:
            while True:
                if self._closed:
                    raise SandboxUnavailable("the sandbox pool is closed")
                if self._refused is not None:
                    raise SandboxUnavailable(str(self._refused), permanent=True)
                if self._idle:
                    return self._idle.pop()
                if self._live < self.size:
                    self._live += 1
                    break
                self._cond.wait()
        try:
            worker = WorkerProcess(self.config)
        except BaseException as exc:
            with self._cond:
                self._live -= 1
                if isinstance(exc, SandboxUnavailable) and exc.permanent:
                    self._refused = exc
                self._cond.notify_all()
            raise
        with self._cond:
            self.started += 1
        return worker

    def _release(self, worker: WorkerProcess, reusable: bool) -> None:
        cfg = self.config
        keep = (reusable and worker.calls < cfg.max_calls
                and worker.cpu + cfg.cpu_seconds < cfg.worker_cpu_seconds)
        with self._cond:
            keep = keep and not self._closed
            if keep:
                self._idle.append(worker)
            else:
                self._live -= 1
            self._cond.notify()
        if not keep:
            worker.kill()


_shared: dict[tuple[SandboxConfig, int], SandboxPool] = {}  # least recently used first
_shared_lock = threading.Lock()
# Pools whose idle workers are kept. Each grader folder, environment or memory limit is a config of
# its own, and a long-lived process (the pytest plugin, an API user) can meet many: the idle
# workers of the pools used longest ago are stopped, so idle processes stay bounded.
WARM_POOLS = 8


def shared_pool(config: SandboxConfig | None = None, workers: int | None = None) -> SandboxPool:
    """One pool per (config, workers) for the whole process, closed at exit."""
    key = (config or SandboxConfig(), max(1, workers or default_workers()))
    with _shared_lock:
        pool = _shared.pop(key, None)
        if pool is None or pool._closed:
            pool = SandboxPool(*key)
        _shared[key] = pool  # now the most recent
        cold = list(_shared.values())[:-WARM_POOLS]
    for old in cold:
        old.trim()
    return pool


@atexit.register
def _close_shared() -> None:
    with _shared_lock:
        pools = list(_shared.values())
        _shared.clear()
    for pool in pools:
        pool.close()
