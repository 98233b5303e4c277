"""Fuzzed suites, replay files and run JSON: exit 0/1 (still valid) or 2 with one line naming the file.

A seeded generator (gradeloop.testing.fuzz) breaks valid files (and comparisons given to `report`): truncation, flipped bytes, other
encodings, wrong types, deleted keys, nesting 70-5,000 deep, 4,300+ digit integers, lone surrogates,
YAML alias bombs and tags. Each case runs in-process through `main()`; an interval timer is the
hang detector (it fires only when a case is stuck, and no assertion reads the clock). More cases,
each in its own subprocess with a timeout: `python bench/fuzz.py`.
"""
from __future__ import annotations

import contextlib
import io
import random
import signal
from collections import Counter

import pytest

from gradeloop.cli import main
from gradeloop.testing import fuzz

CASES_PER_KIND = 70  # 280 cases in `make test`
HANG_S = 30


class Hung(BaseException):
    """Raised by the timer in a case that did not finish: a hang, not slowness."""


def _invoke(argv: list[str]) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:  # pragma: no cover - main() returns codes
            code = exc.code if isinstance(exc.code, int) else 1
    return code, err.getvalue()


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    return fuzz.prepare(tmp_path_factory.mktemp("fuzz"), _invoke)


def _alarm(signum, frame):
    raise Hung()


@pytest.mark.parametrize("kind", fuzz.KINDS)
def test_fuzzed_inputs_exit_cleanly(ctx, kind):
    rng = random.Random(f"gradeloop-fuzz-{kind}")
    failures: list[str] = []
    outcomes: Counter[str] = Counter()
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for i in range(CASES_PER_KIND):
            mutant, argv = fuzz.make_case(kind, rng, i, ctx)
            signal.setitimer(signal.ITIMER_REAL, HANG_S)
            try:
                code, stderr = _invoke(argv)
            except Hung:
                failures.append(f"{mutant.name} ({mutant.how}): hung in {argv[0]}")
                continue
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            outcome = fuzz.check_outcome(code, stderr, mutant.name)
            outcomes[outcome.why] += 1
            if not outcome.ok:
                failures.append(f"{mutant.name} ({mutant.how}) {argv[0]} -> {code} {outcome.why}: {stderr[-300:]}")
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert not failures, "\n".join(failures)
    assert outcomes["refused"] >= CASES_PER_KIND // 2  # most mutants are invalid, and were refused cleanly
