"""py: targets: calls in flight never exceed --concurrency (sync or async); case and tags by signature."""
from __future__ import annotations

import asyncio
import sys
import threading
import time

import pytest

import gradeloop

SUITE = "name: c\ncases:\n" + "".join(
    f"  - id: c{i}\n    input: q{i}\n    tags: {{group: g{i % 2}}}\n    graders: [{{type: contains, value: q}}]\n"
    for i in range(24))

APP = '''
import asyncio, threading, time
lock = threading.Lock()
state = {"now": 0, "max": 0, "calls": 0, "want": 1}

def _enter():
    with lock:
        state["now"] += 1
        state["calls"] += 1
        state["max"] = max(state["max"], state["now"])

def _full():  # `want` calls overlapped once: from then on calls go straight through
    return state["max"] >= state["want"]

def _leave():
    with lock:
        state["now"] -= 1

def sync_app(prompt):
    _enter()
    deadline = time.monotonic() + 10  # hold the slot until `want` calls overlap (or give up)
    while not _full() and time.monotonic() < deadline:
        time.sleep(0.001)
    _leave()
    return prompt

async def async_app(prompt):
    _enter()
    deadline = time.monotonic() + 10
    while not _full() and time.monotonic() < deadline:
        await asyncio.sleep(0.001)
    _leave()
    return prompt

'''
APP += '''
def with_case(prompt, case, tags):
    return f"{prompt} {case.id} {tags['group']}"

def failing(prompt):
    raise RuntimeError("boom")
'''


@pytest.fixture
def app(workdir, monkeypatch):
    (workdir / "c.yaml").write_text(SUITE)
    (workdir / "conc_app.py").write_text(APP)
    monkeypatch.syspath_prepend(str(workdir))
    sys.modules.pop("conc_app", None)
    import conc_app

    yield conc_app
    sys.modules.pop("conc_app", None)


@pytest.mark.parametrize("fn", ["sync_app", "async_app"])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_calls_in_flight_never_exceed_concurrency(app, fn, concurrency):
    app.state.update(now=0, max=0, calls=0, want=concurrency)
    run = gradeloop.evaluate("c.yaml", f"py:conc_app:{fn}", store="s.db", concurrency=concurrency, seed=concurrency)
    assert run.pass_rate.mean == 1.0 and app.state["calls"] == 24
    assert app.state["max"] == concurrency  # reached (each call waits for company) and never exceeded


def test_the_callable_may_ask_for_the_case_and_its_tags(app):
    run = gradeloop.evaluate("c.yaml", "py:conc_app:with_case", store="s.db")
    assert run.case("c3").samples[0].output == "q3 c3 g1"


def test_an_exception_is_an_error_of_that_sample(app):
    run = gradeloop.evaluate("c.yaml", "py:conc_app:failing", store="s.db")
    assert run.errors.target == 24 and "RuntimeError: boom" in run.case("c0").samples[0].first_reason


def test_progress_moves_per_sample_not_per_batch(app):
    seen: list[tuple[int, int]] = []
    gradeloop.evaluate("c.yaml", "py:conc_app:sync_app", store="s.db", concurrency=2, seed=9,
                       on_progress=lambda done, total: seen.append((done, total)))
    dones = [d for d, _ in seen]
    assert seen[0] == (0, 24) and dones[-1] == 24
    assert len(set(dones)) == 25 and dones == sorted(dones)  # every count from 0 to 24, in order


def test_callpool_limit_shared_across_batches():
    from gradeloop.targets.callpool import CallPool

    pool: CallPool[int, int] = CallPool(3)
    lock, state = threading.Lock(), {"now": 0, "max": 0}

    def call(x: int) -> int:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        deadline = time.monotonic() + 10  # wait for company until three calls overlapped once
        while state["max"] < 3 and time.monotonic() < deadline:
            time.sleep(0.001)
        with lock:
            state["now"] -= 1
        return x * 2

    async def main() -> list[list[int]]:
        return list(await asyncio.gather(*(pool.run_sync(call, list(range(i, i + 5))) for i in range(0, 20, 5))))

    out = asyncio.run(main())
    pool.close()
    assert out == [[2 * x for x in range(i, i + 5)] for i in range(0, 20, 5)] and state["max"] == 3
