"""The Ray actors of one run or map: started, handed out when up, replaced when they die.

Separate from the executor because placement is its own concern: on a real cluster an actor may
never be placed (a machine lost and no spare capacity, more workers asked for than fit) or may fail
in `__init__` (a target that cannot load there). Work goes only to actors that are up, so it never
queues behind one that will never run, and a pool with nothing up and nothing starting says why.
"""
from __future__ import annotations

import asyncio
from typing import Any

from gradeloop.errors import InputError


class ActorPool:
    """Actors of one class with `calls` slots each (calls queued per actor); a dead actor is replaced.

    An actor's slots are handed out only once it is up (placed on a node and its `__init__` done), so
    work never queues behind an actor the cluster cannot place (a machine lost and no capacity left,
    more workers asked for than the cluster holds): it goes to the actors that are up. With none up,
    `acquire` waits `placement_timeout` seconds for one, then fails; it fails at once when every actor
    failed to start (a target that cannot load on the workers), with that error.
    """

    def __init__(self, ray: Any, actor_cls: Any, payload: tuple, n: int, calls: int,
                 placement_timeout: float) -> None:
        self.ray, self.actor_cls, self.payload, self.calls = ray, actor_cls, payload, calls
        self.placement_timeout = placement_timeout
        self.slots: asyncio.Queue = asyncio.Queue()
        self.actors: list[Any] = []
        self.dead: set[Any] = set()
        self.up: set[Any] = set()
        self.starting: dict[Any, asyncio.Task] = {}
        self.start_errors: list[str] = []
        self.replaced = 0
        for _ in range(n):
            self._spawn()

    def _spawn(self) -> None:
        actor = self.actor_cls.remote(*self.payload)
        self.actors.append(actor)
        self.starting[actor] = asyncio.ensure_future(self._when_up(actor))

    async def _when_up(self, actor: Any) -> None:
        try:
            await actor.__ray_ready__.remote()
        except (self.ray.exceptions.RayActorError, self.ray.exceptions.ActorUnavailableError) as exc:
            self.starting.pop(actor, None)
            self.dead.add(actor)
            self.start_errors.append(_first_line(exc))
            self.slots.put_nowait(None)  # wakes `acquire` to see whether anything is left to wait for
            return
        self.starting.pop(actor, None)
        if actor in self.dead:
            return
        self.up.add(actor)
        for _ in range(self.calls):
            self.slots.put_nowait(actor)

    async def acquire(self) -> Any:
        while True:
            if not self.up and not self.starting:
                raise InputError("no Ray worker could start: " + (self.start_errors[-1] if self.start_errors
                                                                  else "every worker died"), field="executor")
            try:
                actor = await asyncio.wait_for(self.slots.get(), None if self.up else self.placement_timeout)
            except asyncio.TimeoutError:
                raise RuntimeError(f"no Ray worker was up after {self.placement_timeout:.0f} s: the cluster cannot "
                                   "place one (resources asked per worker: see --ray-workers and the "
                                   "cluster's CPUs/GPUs)") from None
            if actor is not None and actor not in self.dead:  # a dead actor's slots are dropped
                return actor

    def release(self, actor: Any) -> None:
        self.slots.put_nowait(actor)

    def lost(self, actor: Any) -> None:
        if actor not in self.dead:
            self.dead.add(actor)
            self.up.discard(actor)
            self.replaced += 1
            self._spawn()

    def alive(self) -> list[Any]:
        return [a for a in self.actors if a in self.up and a not in self.dead]

    def kill_all(self) -> None:
        for task in self.starting.values():
            task.cancel()
        for a in self.actors:
            self.ray.kill(a, no_restart=True)


def _first_line(exc: BaseException) -> str:
    """What a Ray error says, without its remote traceback: the cause's last line."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    cause = next((ln for ln in reversed(lines) if not ln.startswith(("File ", "^", "~"))), "")
    return cause[:500] or type(exc).__name__
