"""Where the engine's chunks run: in this process (local), or fanned out over a Ray cluster (run/ray_executor.py).

The engine keeps everything that makes a run a run (the plan of samples, the store, resume, the
cache entries' reads and writes, progress); an executor only turns a chunk of work into the
chunk's store rows, handed to `deliver` (which stores them) as they finish. So every executor
gives the same rows for the same chunk: same per-sample seeds, same graders, same cache keys.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:
    from gradeloop.run.engine import Engine, RunOutcome, _Work


Deliver = Callable[[list[tuple]], None]


class Executor(Protocol):
    """Runs chunks of a run: `start` before the first, `run_chunk` per chunk (concurrently), `aclose` after.

    `run_chunk` hands every row of its chunk to `deliver` exactly once, in one call or several
    (a remote executor delivers each part as it arrives, so what a dying worker finished is kept),
    and adds its counts (generated, from cache, errors) to `outcome`.
    """

    name: str

    async def start(self, engine: "Engine") -> None: ...

    async def run_chunk(self, engine: "Engine", run_id: str, chunk: "list[_Work]",
                        outcome: "RunOutcome", deliver: Deliver) -> None: ...

    async def aclose(self) -> None: ...


class LocalExecutor:
    """Every chunk in this process, on the engine's event loop (the default)."""

    name = "local"

    async def start(self, engine: "Engine") -> None:
        return None

    async def run_chunk(self, engine: "Engine", run_id: str, chunk: "list[_Work]",
                        outcome: "RunOutcome", deliver: Deliver) -> None:
        deliver(await engine._run_chunk(run_id, chunk, outcome))

    async def aclose(self) -> None:
        return None


def make_executor(name: str = "local", *, ray_address: str | None = None,
                  ray_workers: int | None = None) -> Executor:
    """The executor a command line names: `local`, or `ray` (optionally at a cluster address)."""
    from gradeloop.errors import InputError

    if name == "local":
        if ray_address or ray_workers:
            raise InputError("--ray-address and --ray-workers need --executor ray", field="executor")
        return LocalExecutor()
    if name == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:  # say so before a run is created, not after
            raise InputError("--executor ray needs Ray: pip install 'gradeloop[ray]'", field="executor")
        from gradeloop.run.ray_executor import RayExecutor

        return RayExecutor(address=ray_address, workers=ray_workers)
    raise InputError(f"unknown executor {name!r}; expected local or ray", field="executor")
