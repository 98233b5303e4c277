"""Suite loading: seconds for a 10,000-case YAML suite, beside 1,000 cases and the counted calls.

The timing that `tests/suite/test_performance.py` used to assert (now it counts calls, which
do not depend on the machine's load); here it is measured and printed side by side: CPU and
wall seconds (best of `--repeat`), per case, and the calls per case the test bounds.

    .venv/bin/python bench/suite_load.py [--cases 10000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from gradeloop.suite import load_suite

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.suite.test_performance import _counted_load, _write  # noqa: E402  the test's suite and counter


def measure(path: Path, repeat: int) -> tuple[float, float]:
    """Best CPU and wall seconds of `repeat` loads."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        load_suite(path)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return min(cpu), min(wall)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        load_suite(_write(folder / "warm.yaml", 3))
        print(f"{'cases':>8} {'cpu s':>8} {'wall s':>8} {'us/case':>8} {'calls/case':>11}")
        base = None
        for n in (args.cases // 10, args.cases):
            path = _write(folder / f"s{n}.yaml", n)
            cpu, wall = measure(path, args.repeat)
            _, calls = _counted_load(path)
            base = base or cpu / n
            print(f"{n:>8} {cpu:>8.3f} {wall:>8.3f} {1e6 * cpu / n:>8.1f} {calls / n:>11.1f}"
                  f"   (cpu per case x{cpu / n / base:.2f} of the smaller suite)")


if __name__ == "__main__":
    main()
