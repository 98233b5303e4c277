"""py: targets honour --concurrency: wall time of N calls that each wait S seconds (an I/O-bound app).

Before (issue 15): sync callables ran one at a time whatever -c said (25 x 0.4 s: 13.3 s at -c 1,
13.4 s at -c 8) and async ones ignored -c 1. Each configuration is one `gradeloop.evaluate` call (the
function `gradeloop eval` runs) in this process, timed without start-up; the table gives the wall time
and the ideal ceil(N / c) * S beside it.

    .venv/bin/python bench/py_concurrency.py [--n 25] [--sleep 0.4] [--concurrency 1,8]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

APP = """
import asyncio, time
SLEEP = {sleep}
def sync_app(prompt):
    time.sleep(SLEEP)
    return prompt
async def async_app(prompt):
    await asyncio.sleep(SLEEP)
    return prompt
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=25)
    ap.add_argument("--sleep", type=float, default=0.4)
    ap.add_argument("--concurrency", default="1,8")
    args = ap.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "slow_app.py").write_text(APP.format(sleep=args.sleep))
        sys.path.insert(0, str(d))
        os.chdir(d)
        import gradeloop

        (d / "suite.yaml").write_text("name: slow\ncases:\n" + "".join(
            f"  - id: c{i}\n    input: q{i}\n    graders: [{{type: contains, value: q}}]\n" for i in range(args.n)))
        print(f"{args.n} calls x {args.sleep} s each")
        print(f"{'callable':9} {'-c':>3} {'wall s':>8} {'ideal s':>8} {'wall / ideal':>12}")
        for kind in ("sync", "async"):
            for c in levels:
                start = time.perf_counter()
                run = gradeloop.evaluate(str(d / "suite.yaml"), f"py:slow_app:{kind}_app", concurrency=c,
                                         store=str(d / f"{kind}-{c}.db"))
                wall = time.perf_counter() - start
                assert run.pass_rate.n_cases == args.n
                ideal = math.ceil(args.n / c) * args.sleep
                print(f"{kind:9} {c:>3} {wall:8.2f} {ideal:8.2f} {wall / ideal:12.2f}")


if __name__ == "__main__":
    main()
