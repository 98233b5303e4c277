"""What streaming finished samples back from Ray actors costs and saves, side by side in one run.

A target that answers each request on its own (an HTTP endpoint, a Python function) is streamed back
per sample; one that generates a batch at once, per chunk. This runs the same suite on Ray twice with
the same slow per-request target (a sleep stands in for an HTTP call), once marked
`independent_requests` (streamed per sample) and once not (returned per chunk), and prints:

- throughput of each (what per-sample streaming costs in messages);
- for a run in which one worker dies half-way through its chunk: how many samples were generated
  again on another worker (what streaming saves).

    .venv/bin/python bench/ray_streaming.py                 # 512 cases, chunks of 64, 2 workers
    .venv/bin/python bench/ray_streaming.py --cases 2048 --delay-ms 5
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


class SlowTarget:
    """Answers each request after `delay` seconds, at most `batch_size` in flight; logs what it generated.

    With `die_on` set, the first process to answer that case id waits until `wait_for` other samples
    of the run were generated and then dies (kill -9 style): a worker lost half-way through its chunk.
    """

    spec = "slow-echo"
    cacheable = False

    def __init__(self, log: str, delay: float, batch: int, independent: bool, die_on: str | None = None,
                 wait_for: int = 0) -> None:
        self.log, self.delay, self.batch_size = log, delay, batch
        self.independent_requests = independent
        self.die_on, self.wait_for = die_on, wait_for

    def fingerprint(self) -> str:
        return "slow-echo-v1"

    async def generate(self, requests):  # type: ignore[no-untyped-def]
        import asyncio

        from gradeloop.targets.base import Generation

        async def one(r):  # type: ignore[no-untyped-def]
            if r.case_id == self.die_on and _first(self.log + ".died"):
                while _lines(self.log) < self.wait_for:
                    await asyncio.sleep(0.01)
                os._exit(9)
            await asyncio.sleep(self.delay)
            with open(self.log, "a") as fh:
                fh.write(f"{r.case_id}#{r.sample_index}\n")
            return Generation(output=f"ok {r.case_id}")

        return list(await asyncio.gather(*(one(r) for r in requests)))

    async def aclose(self) -> None:
        pass


def _first(mark: str) -> bool:
    try:
        os.close(os.open(mark, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def _lines(path: str) -> int:
    try:
        with open(path) as fh:
            return sum(1 for _ in fh)
    except FileNotFoundError:
        return 0


def run(folder: Path, name: str, cases: int, delay: float, batch: int, independent: bool,
        die: bool, workers: int) -> dict:
    from gradeloop.api import run_document
    from gradeloop.run.ray_executor import RayExecutor

    suite = folder / "s.jsonl"
    log = str(folder / f"{name}.log")
    # The doomed case sits in the middle of the first chunk; it waits for a quarter of the run.
    target = SlowTarget(log, delay, batch, independent, die_on=f"c{batch // 2:05d}" if die else None,
                        wait_for=cases // 4)
    executor = RayExecutor(workers=workers)
    t0 = time.perf_counter()
    doc = run_document([suite], target, store=folder / f"{name}.db", full=False, executor=executor,
                       concurrency=2 * workers, cache=False)
    wall = time.perf_counter() - t0
    generated = _lines(log)
    assert doc["metrics"]["pass_rate"]["n_samples"] == cases, doc["metrics"]
    return {"name": name, "wall_s": wall, "per_s": cases / wall, "generated": generated,
            "again": generated - cases, "resent": executor.resent_samples}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=512)
    ap.add_argument("--batch", type=int, default=64, help="requests per chunk (the target's batch size)")
    ap.add_argument("--delay-ms", type=float, default=20.0, help="time per request (an HTTP call's stand-in)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    import json

    import ray

    folder = Path(tempfile.mkdtemp(prefix="gl-ray-stream."))
    with (folder / "s.jsonl").open("w") as fh:
        for i in range(args.cases):
            fh.write(json.dumps({"id": f"c{i:05d}", "input": f"q{i}",
                                 "graders": [{"type": "contains", "value": "ok"}]}) + "\n")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT / "src")])}})
    try:
        rows = []
        for die in (False, True):
            for independent in (False, True):
                name = ("per-sample" if independent else "per-chunk") + (" + a worker dies" if die else "")
                rows.append(run(folder, name.replace(" ", "_").replace("+", "k"), args.cases, args.delay_ms / 1000,
                                args.batch, independent, die, args.workers) | {"label": name})
    finally:
        ray.shutdown()
    print(f"\n{args.cases} cases, chunks of {args.batch}, {args.delay_ms:g} ms per request, "
          f"{args.workers} Ray workers")
    print(f"{'streamed back':28} {'wall s':>7} {'samples/s':>10} {'vs per-chunk':>12} {'generated again':>16} "
          f"{'sent again':>11}")
    base = rows[0]["per_s"]
    for r in rows:
        print(f"{r['label']:28} {r['wall_s']:7.2f} {r['per_s']:10.0f} {r['per_s'] / base:11.2f}x "
              f"{r['again']:16d} {r['resent']:11d}")


if __name__ == "__main__":
    main()
