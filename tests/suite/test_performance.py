"""Loading stays cheap: a 10,000-case YAML suite costs a bounded, linear amount of work per case.

The work is counted (Python and C function calls while loading, with `sys.setprofile`), never
timed: a CPU-time bound depended on the machine's load, on the worker's heap and on the other
tests run before it. The count grows with what made loading slow: putting PyYAML's compose pass
back in front of the event reader takes it from 125 to 198 calls per case (and 0.33 -> 1.18 s of
CPU, which the old 2 s bound let through); a step quadratic in the cases breaks the linearity
check. Seconds per load are measured by `bench/suite_load.py`.
"""
from __future__ import annotations

import sys
from pathlib import Path

from gradeloop.suite import Suite, load_suite

# Calls per case measured at this change: 125 (PyYAML 6, pydantic 2, Python 3.11). The bound
# leaves room for library updates, not for a compose pass (198).
MAX_CALLS_PER_CASE = 180


def _write(path: Path, n: int) -> Path:
    lines = ["name: big", "defaults:", "  graders:", "    - type: numeric", "      value: '{{ reference }}'", "cases:"]
    for i in range(n):
        lines += [f"  - id: add-{i}", f"    input: What is {i}+7?", f"    reference: '{i + 7}'",
                  "    tags: {intent: arithmetic, locale: en}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _counted_load(path: Path) -> tuple[Suite, int]:
    """The suite and the number of function calls (Python and C) made while loading it."""
    calls = 0

    def count(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        suite = load_suite(path)
    finally:
        sys.setprofile(previous)
    return suite, calls


def test_ten_thousand_case_yaml_suite_loads_with_bounded_linear_work(tmp_path):
    load_suite(_write(tmp_path / "warm.yaml", 3))  # lazy imports are not the suite's cost
    small, small_calls = _counted_load(_write(tmp_path / "small.yaml", 1_000))
    suite, calls = _counted_load(_write(tmp_path / "big.yaml", 10_000))
    assert len(small.cases) == 1_000
    assert len(suite.cases) == 10_000 and suite.cases[-1].line == 7 + 4 * 9_999
    assert calls <= MAX_CALLS_PER_CASE * 10_000, f"loading 10,000 cases made {calls} calls"
    # linear: ten times the cases, at most ~ten times the work (memoised tag lookups only lower it)
    assert calls <= 11 * small_calls, f"{calls} calls for 10,000 cases vs {small_calls} for 1,000"
