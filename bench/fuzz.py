"""Nightly-size fuzzing of gradeloop's inputs: thousands of mutated suites, replay files and run JSON.

    python bench/fuzz.py [--cases 3000] [--seed 0] [--subprocess-every 10] [--timeout 60]

Each mutant (gradeloop.testing.fuzz) is run through the CLI in-process, with an interval timer as
the hang detector; every Nth one is also run as a real `python -m gradeloop.cli` subprocess under a
timeout (the hang detector there), which checks what a user sees: exit code, one error line, no
traceback. Prints a table of outcomes per kind, then every failure; exits 1 if any case failed.
`make test` runs 240 of these cases (tests/fuzz); this runs as many as asked.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from gradeloop.cli import main
from gradeloop.testing import fuzz


class Hung(BaseException):
    pass


def _alarm(signum, frame):
    raise Hung()


def in_process(argv: list[str]) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    return code, err.getvalue()


def in_subprocess(argv: list[str], timeout: float) -> tuple[int, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "gradeloop.cli", *argv], capture_output=True, text=True,
                          timeout=timeout, env=env)
    return proc.returncode, proc.stderr


def main_bench() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--subprocess-every", type=int, default=10, help="every Nth case also runs as a subprocess")
    ap.add_argument("--timeout", type=float, default=60.0, help="hang detector, seconds per case")
    args = ap.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    failures: list[str] = []
    started = time.perf_counter()
    subprocess_cases = 0
    with tempfile.TemporaryDirectory(prefix="gradeloop-fuzz-") as tmp:
        ctx = fuzz.prepare(Path(tmp), in_process)
        rng = random.Random(args.seed)
        for i in range(args.cases):
            kind = fuzz.KINDS[i % len(fuzz.KINDS)]
            mutant, argv = fuzz.make_case(kind, rng, i, ctx)
            runs = [("in-process", None)]
            if args.subprocess_every and (i // len(fuzz.KINDS)) % args.subprocess_every == 0:  # every kind
                runs.append(("subprocess", args.timeout))
            for how, timeout in runs:
                try:
                    if timeout is None:
                        signal.setitimer(signal.ITIMER_REAL, args.timeout)
                        try:
                            code, stderr = in_process(argv)
                        finally:
                            signal.setitimer(signal.ITIMER_REAL, 0)
                    else:
                        subprocess_cases += 1
                        code, stderr = in_subprocess(argv, timeout)
                except (Hung, subprocess.TimeoutExpired):
                    counts[kind]["hung"] += 1
                    failures.append(f"[{how}] {mutant.name} ({mutant.how}) {argv[0]}: hung")
                    continue
                outcome = fuzz.check_outcome(code, stderr, mutant.name)
                counts[kind][outcome.why] += 1
                if not outcome.ok:
                    failures.append(f"[{how}] {mutant.name} ({mutant.how}) {argv[0]} -> {code} {outcome.why}: "
                                    f"{stderr.strip()[-300:]}")
    elapsed = time.perf_counter() - started
    whys = sorted({w for c in counts.values() for w in c})
    print(f"{args.cases} mutants (seed {args.seed}), {subprocess_cases} of them also as subprocesses "
          f"(counted twice below), {elapsed:.0f} s")
    print("| kind | " + " | ".join(whys) + " |")
    print("|---|" + "---:|" * len(whys))
    for kind in fuzz.KINDS:
        print(f"| {kind} | " + " | ".join(str(counts[kind][w]) for w in whys) + " |")
    total_bad = len(failures)
    print(f"failures: {total_bad}")
    for line in failures[:50]:
        print("  " + line)
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main_bench())
