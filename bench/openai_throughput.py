"""Throughput of the `openai:` target against the stub server with injected latency.

The ideal rate is concurrency / latency (every slot always busy); the goal is >= 90% of it.
By default the stub runs in its own process, as a real server would, so client and server do
not share one interpreter lock; `--in-process` runs it in a thread of this process instead.

    .venv/bin/python bench/openai_throughput.py                 # 64 x 2,000 and 256 x 5,000 at 100 ms
    .venv/bin/python bench/openai_throughput.py --runs 64:2000 --latency 0.1 --in-process
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from typing import Iterator

from gradeloop.targets.base import Request
from gradeloop.targets.openai import OpenAITarget
from gradeloop.testing.stub_server import StubServer


@contextlib.contextmanager
def stub(latency: float, in_process: bool) -> Iterator[str]:
    """The stub's base URL, served in a thread or in a child process that ends with the block."""
    if in_process:
        with StubServer(latency=latency, record=False) as url:
            yield url
        return
    proc = subprocess.Popen([sys.executable, "-m", "gradeloop.testing.stub_server", "--latency", str(latency),
                             "--lifetime", "900"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(10)


async def measure(url: str, concurrency: int, n: int) -> tuple[float, float, int]:
    """Seconds to answer n distinct requests through one target, client CPU seconds, failures."""
    target = OpenAITarget("bench", url, concurrency=concurrency, timeout=30.0)
    warm = [Request(f"w{i}", f"warm {i}") for i in range(concurrency)]
    await target.generate(warm)  # open the pool's connections before timing
    requests = [Request(f"c{i}", f"prompt {i}", seed=i) for i in range(n)]
    start, cpu = time.perf_counter(), time.process_time()
    results = await target.generate(requests)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    await target.aclose()
    return elapsed, cpu, sum(g.error is not None for g in results)


def main() -> None:
    parser = argparse.ArgumentParser(description="openai: target throughput against the stub server")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", nargs="+", default=["64:2000", "256:5000"], help="CONCURRENCY:REQUESTS")
    parser.add_argument("--in-process", action="store_true", help="serve the stub from a thread of this process")
    args = parser.parse_args()
    os.environ.pop("OPENAI_API_KEY", None)
    where = "thread" if args.in_process else "process"
    print(f"stub in a separate {where}, latency {args.latency * 1000:g} ms, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} (other processes compete for the same cores)")
    print(f"{'concurrency':>11} {'requests':>8} {'errors':>6} {'seconds':>8} {'req/s':>8} {'ideal':>8} "
          f"{'of ideal':>8} {'client CPU/req':>14}")
    worst = 1.0
    with stub(args.latency, args.in_process) as url:
        for run in args.runs:
            concurrency, n = (int(x) for x in run.split(":"))
            elapsed, cpu, errors = asyncio.run(measure(url, concurrency, n))
            rate, ideal = n / elapsed, concurrency / args.latency
            worst = min(worst, rate / ideal)
            print(f"{concurrency:>11} {n:>8} {errors:>6} {elapsed:>8.2f} {rate:>8.0f} {ideal:>8.0f} "
                  f"{rate / ideal:>8.1%} {cpu / n * 1e6:>11.0f} us")
    print(f"goal >= 90% of ideal: {'met' if worst >= 0.9 else 'NOT met'}")


if __name__ == "__main__":
    main()
