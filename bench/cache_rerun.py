"""A rerun of an unchanged 2,000-sample run, served from the generation cache, vs the first run.

The target is an OpenAI-compatible stub on 127.0.0.1 with 0.5 s of latency per request (a short
completion from a hosted model) at concurrency 16; the
first run pays every request, the rerun none (it must say so: `served from cache`).
Both are whole `gradeloop eval` processes; prints wall time of each and the ratio.

    .venv/bin/python bench/cache_rerun.py [--cases 500 --samples 4 --latency 0.5 --concurrency 16]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gradeloop.testing.stub_server import StubServer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=500)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, StubServer(latency=args.latency) as url:
        suite = Path(tmp) / "suite.jsonl"
        suite.write_text("".join(f'{{"id": "c{i}", "input": "question {i}", '
                                 f'"graders": [{{"type": "contains", "value": "{i}"}}]}}\n'
                                 for i in range(args.cases)))
        cmd = [sys.executable, "-m", "gradeloop.cli", "eval", str(suite), "--target", f"openai:stub@{url}",
               "--samples", str(args.samples), "--temperature", "1.0", "--concurrency", str(args.concurrency),
               "--store", str(Path(tmp) / "store.db"), "--quiet"]
        env = dict(os.environ, OPENAI_API_KEY="bench-key")
        times = []
        for label in ("first run", "cached rerun"):
            start = time.perf_counter()
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if proc.returncode not in (0, 1):
                raise SystemExit(proc.stderr)
            note = next((line for line in proc.stderr.splitlines() if "cache" in line), "")
            print(f"{label:13} {times[-1]:6.2f} s  {note.strip()}")
        n = args.cases * args.samples
        print(f"{n} samples at {args.latency * 1000:.0f} ms latency, concurrency {args.concurrency}: "
              f"rerun is {times[0] / times[1]:.1f}× faster (goal ≥ 20×)")


if __name__ == "__main__":
    main()
