"""`--executor ray`: the engine's chunks fanned out to Ray actors, each holding its own target and graders.

The driver (the process running `gradeloop eval`) keeps the run: it plans the samples, reads the
cache entries of a chunk, sends the chunk (names and sample indices, not objects) to a free actor,
and stores what comes back (sample rows, new cache entries) as it comes. An actor runs the very
code the local executor runs (`Engine._run_chunk`) on the same suites, settings and judges, so seeds,
graders, cache keys and rows are the same as a local run's.

An actor streams its chunk back in parts (a Ray streaming generator): for a target whose requests are
answered one by one (`independent_requests`: an HTTP endpoint, a Python function) each sample as it
finishes, for a target that generates a batch at once (a local model) the batch. The driver stores
each part when it arrives. An actor that dies (its process or its machine) fails its stream; the
samples of its chunk that had not reached the driver, and only those, go to another actor, and a
replacement actor is started. So a finished sample is generated again only when its worker died in
the instant between finishing it and sending it; a batch cut off mid-generation is generated again
whole (it never finished). A chunk is retried at most `max_retries` times.

An actor holds a target built from its spec (an `hf:` model loads once per actor, and on a cluster
with GPUs each actor takes one, one actor per GPU by default), or, for a Target object that no spec
names, a pickled copy of it.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager
import dataclasses
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Iterator, Sequence

from gradeloop.errors import InputError
from gradeloop.run.ray_pool import ActorPool

if TYPE_CHECKING:
    from gradeloop.run.engine import Engine, RunOutcome, _Work
    from gradeloop.run.executor import Deliver

_COUNTERS = ("generated", "from_cache", "target_errors", "grader_errors")


class _RelayStore:
    """The actor's side of the store: the cache entries the driver sent, and the entries to send back."""

    def __init__(self) -> None:
        self.hits: dict[str, tuple] = {}
        self.puts: list[tuple] = []

    def cache_get_many(self, keys: list[str]) -> dict[str, tuple]:
        return {k: self.hits[k] for k in keys if k in self.hits}

    def cache_put_many(self, rows: Any) -> None:
        self.puts.extend(tuple(r) for r in rows)


class ChunkWorker:
    """A Ray actor: one target, the suites' graders, and an engine that turns chunks into rows."""

    def __init__(self, target: Any, params: Any, suites: list, config: Any, judge_factory: Any = None,
                 needs_env: tuple[str, ...] = ()) -> None:
        import os

        from gradeloop.run.engine import Engine

        missing = [name for name in needs_env if not os.environ.get(name)]
        if missing:  # the key reaches a worker through its own environment, never through Ray
            raise RuntimeError(f"${missing[0]} is set where gradeloop runs but not on this Ray worker: set it in "
                               "the workers' environment (where `ray start` runs, or the cluster's runtime_env)")

        if isinstance(target, str):
            from gradeloop.targets import load_target

            target = load_target(target, params=params)
        limit = getattr(target, "limit_concurrency", None)
        if callable(limit):  # the run's --concurrency, as the driver's target is told
            limit(config.concurrency)
        self.store = _RelayStore()
        self.engine = Engine(suites, target, self.store, config, close_target=False,  # type: ignore[arg-type]
                             judge_factory=judge_factory)
        self.cases = {(s.name, c.id): (s, c) for s in self.engine.suites for c in s.cases}

    def peak_rss_mb(self) -> float:
        """This actor process's peak resident memory (MiB): what one worker costs, for the benchmarks."""
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024

    async def run(self, run_id: str, items: list[tuple[str, str, int]],
                  hits: dict[str, tuple]) -> AsyncIterator[tuple[list[tuple], list[tuple], dict[str, int]]]:
        """Yield (rows, cache entries, counts) for the parts of the chunk as they finish."""
        from gradeloop.run.engine import RunOutcome, _Work

        chunk = []
        for suite, case_id, index in items:
            s, c = self.cases[(suite, case_id)]
            chunk.append(_Work(s, c, self.engine.graders[(suite, case_id)], index))
        self.store.hits, self.store.puts = hits, []  # the actor runs one chunk at a time (max_concurrency=1)
        outcome = RunOutcome(run_id, False, 0, 0)
        sent = dict.fromkeys(_COUNTERS, 0)
        async for rows in self.engine.stream_chunk(run_id, chunk, outcome):
            counts = {k: getattr(outcome, k) - sent[k] for k in _COUNTERS}
            sent = {k: getattr(outcome, k) for k in _COUNTERS}
            puts, self.store.puts = self.store.puts, []
            yield rows, puts, counts

    async def close(self) -> None:
        await self.engine.target.aclose()


class MapWorker:
    """A Ray actor holding one picklable callable (e.g. a `Regrader`) and applying it to chunks."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def apply(self, chunk: Any) -> Any:
        return self.fn(chunk)


class RayExecutor:
    """Chunks on `workers` Ray actors (default: one per CPU of the cluster) at `address` (default: local)."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None, *, max_retries: int = 3,
                 cpus_per_worker: float = 1.0, gpus_per_worker: float = 0.0, calls_per_worker: int = 2,
                 init_kwargs: dict[str, Any] | None = None, placement_timeout: float = 1800.0) -> None:
        if workers is not None and workers < 1:
            raise InputError(f"--ray-workers must be at least 1, got {workers}", field="ray-workers")
        _check_reachable(address)  # before any run is created
        self.address = address
        self.workers = workers
        self.max_retries = max_retries
        self.cpus_per_worker = cpus_per_worker
        self.gpus_per_worker = gpus_per_worker
        self.calls_per_worker = max(1, calls_per_worker)
        self.init_kwargs = dict(init_kwargs or {})
        self.placement_timeout = placement_timeout  # with no worker up: placing one and loading its model
        self.retried_chunks = 0  # chunks sent again after their actor died
        self.resent_samples = 0  # samples of those chunks that had not reached the driver, sent again
        self.replaced_workers = 0
        self.failures: list[str] = []  # what each failed call raised (the kind of Ray error), in order
        self.worker_peak_rss_mb: list[float] = []  # of the live actors, read when the run ends
        self._ray: Any = None
        self._pool: ActorPool | None = None
        self._own_ray = False

    def _connect(self) -> Any:
        """The ray module, joined to the cluster (or a local one started here)."""
        try:
            import ray
        except ImportError:
            raise InputError("--executor ray needs Ray: pip install 'gradeloop[ray]'", field="executor") from None
        self._ray = ray
        if not ray.is_initialized():
            kwargs = {"log_to_driver": False, "include_dashboard": False, "logging_level": logging.ERROR,
                      **self.init_kwargs}
            try:
                with _redacted_entrypoint(ray):
                    ray.init(address=self.address, **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise InputError(f"cannot reach the Ray cluster: {exc}", field="ray-address") from None
            self._own_ray = True
        return ray

    def _worker_count(self, gpus: float) -> int:
        resources = self._ray.cluster_resources()
        default = (resources.get("GPU", 1) // gpus if gpus
                   else resources.get("CPU", 1) // max(self.cpus_per_worker, 1e-9))
        return self.workers or max(1, int(default))

    async def start(self, engine: "Engine") -> None:
        ray = self._connect()
        payload = (_target_payload(engine.target), getattr(engine.target, "params", None), engine.suites,
                   dataclasses.replace(engine.config), getattr(engine, "judge_factory", None),
                   _secret_names(engine.target))
        gpus = self.gpus_per_worker
        if not gpus and str(payload[0]).startswith("hf:") and ray.cluster_resources().get("GPU", 0) >= 1:
            gpus = 1.0  # a local model: one per GPU of the cluster
        actor_cls = ray.remote(ChunkWorker).options(
            num_cpus=self.cpus_per_worker, num_gpus=gpus, max_concurrency=1, max_restarts=0)
        self._pool = ActorPool(ray, actor_cls, payload, self._worker_count(gpus), self.calls_per_worker,
                                self.placement_timeout)

    async def _on_a_live_actor(self, pool: ActorPool, attempt: Callable[[Any, bool], Awaitable[Any]]) -> Any:
        """`attempt(actor, is_retry)` on a free actor; when that actor dies, again on another (max_retries times)."""
        ray = self._ray
        failures = 0
        while True:
            actor = await pool.acquire()
            try:
                result = await attempt(actor, failures > 0)
            except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError) as exc:
                failures += 1
                self.failures.append(type(exc).__name__)
                pool.lost(actor)
                self.replaced_workers = pool.replaced
                if failures > self.max_retries:
                    raise RuntimeError(f"a chunk failed on {failures} Ray workers in a row: {exc}") from None
                self.retried_chunks += 1
                continue
            pool.release(actor)
            return result

    async def run_chunk(self, engine: "Engine", run_id: str, chunk: "list[_Work]",
                        outcome: "RunOutcome", deliver: "Deliver") -> None:
        assert self._pool is not None, "start() first"
        todo = {(w.suite.name, w.case.id, w.sample_index): w for w in chunk}  # not yet at the driver

        async def attempt(actor: Any, retry: bool) -> None:
            works = list(todo.values())
            if retry:
                self.resent_samples += len(works)
            keys = engine.cache_keys(works)
            hits = engine.store.cache_get_many(keys) if keys else {}
            async for ref in actor.run.options(num_returns="streaming").remote(run_id, list(todo), hits):
                rows, puts, counts = await ref
                if puts:
                    engine.store.cache_put_many(puts)
                for k, v in counts.items():
                    setattr(outcome, k, getattr(outcome, k) + v)
                for row in rows:  # (run_id, suite, case_id, sample_index, ...)
                    del todo[(row[1], row[2], row[3])]
                deliver(rows)

        await self._on_a_live_actor(self._pool, attempt)

    def map_chunks(self, fn: Callable[[Any], Any], chunks: Sequence[Any]) -> list[Any]:
        """`[fn(c) for c in chunks]`, computed on Ray actors that each hold a copy of `fn` (regrade's graders).

        A chunk whose actor dies is computed again on another; the order of the results is the chunks'.
        """
        return asyncio.run(self._map(fn, list(chunks)))

    async def _map(self, fn: Callable[[Any], Any], chunks: list[Any]) -> list[Any]:
        ray = self._connect()
        actor_cls = ray.remote(MapWorker).options(num_cpus=self.cpus_per_worker, num_gpus=self.gpus_per_worker,
                                                  max_concurrency=1, max_restarts=0)
        pool = ActorPool(ray, actor_cls, (fn,), min(len(chunks), self._worker_count(self.gpus_per_worker)),
                          self.calls_per_worker, self.placement_timeout)
        try:
            return list(await asyncio.gather(*(
                self._on_a_live_actor(pool, lambda actor, _retry, c=c: actor.apply.remote(c)) for c in chunks)))
        finally:
            pool.kill_all()
            self._release_ray()

    def _release_ray(self) -> None:
        if self._own_ray:
            self._ray.shutdown()
            self._own_ray = False

    async def aclose(self) -> None:
        ray, pool = self._ray, self._pool
        if ray is None:
            return
        if pool is not None:
            alive = pool.alive()
            try:
                if alive:
                    peaks = await asyncio.gather(*(a.peak_rss_mb.remote() for a in alive), return_exceptions=True)
                    self.worker_peak_rss_mb = [float(p) for p in peaks if isinstance(p, (int, float))]
                    await asyncio.gather(*(a.close.remote() for a in alive), return_exceptions=True)
            finally:
                pool.kill_all()
        self._pool = None
        self._release_ray()


def _check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """Fail in seconds on a cluster address nobody answers at (Ray itself retries for minutes)."""
    if not address or address == "auto":
        return
    import socket

    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        raise InputError(f"--ray-address must be HOST:PORT or ray://HOST:PORT, got {address!r}", field="ray-address")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise InputError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}",
                         field="ray-address") from None


@contextmanager
def _redacted_entrypoint(ray: Any) -> Iterator[None]:
    """Ray records the driver's command line as its job's entrypoint (job table, dashboard, `ray list
    jobs`); a `--store postgresql://user:password@…` or a target URL with a password would be kept
    there. The line it records has every URL's userinfo and secret parameters masked. (Ray reads it
    through a private helper; if that moves, nothing is masked and nothing breaks.)"""
    utils = getattr(getattr(ray, "_private", None), "utils", None)
    real = getattr(utils, "get_entrypoint_name", None)
    if not callable(real):
        yield
        return
    from gradeloop.targets.redact import redact_spec

    utils.get_entrypoint_name = lambda: redact_spec(real())
    try:
        yield
    finally:
        utils.get_entrypoint_name = real


def _secret_names(target: Any) -> tuple[str, ...]:
    """The environment variables holding the target's key, when set here: a worker must have them too.

    Only names travel; the values stay in each machine's environment (Ray's runtime_env would put
    them in the cluster's metadata and dashboard).
    """
    import os

    name = getattr(target, "key_env", None)
    return (name,) if isinstance(name, str) and os.environ.get(name) else ()


def _target_payload(target: Any) -> Any:
    """What an actor builds its target from: the spec of a built-in target, else the target itself (pickled)."""
    module = type(target).__module__
    spec = getattr(target, "spec", None)
    if isinstance(spec, str) and module.startswith("gradeloop.targets."):
        return spec
    return target
