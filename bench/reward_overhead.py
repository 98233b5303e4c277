"""Graders as GRPO rewards vs a bare Python reward function doing the same check.

Both score the same 20,000 completions against "mentions lockout, otp and support"
(case-insensitive coverage); the grader path goes through gradeloop's reward adapter
(case lookup, safe_grade, combine). Prints µs per completion and the ratio.

    .venv/bin/python bench/reward_overhead.py
"""
from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from gradeloop.suite import load_suite
from gradeloop.tune.signals import graded_cases, reward_function

WORDS = ["your", "account", "lockout", "after", "five", "tries", "otp", "expires", "contact", "support", "soon"]
KEYS = ("lockout", "otp", "support")


def bare_reward(completions: list[str], **_: object) -> list[float]:
    out = []
    for text in completions:
        low = text.lower()
        out.append(sum(k in low for k in KEYS) / len(KEYS))
    return out


def main(n: int = 20_000, repeats: int = 5) -> None:
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.yaml"
        path.write_text("name: b\nsplit: train\ncases:\n" + "".join(
            f"  - id: c{i}\n    input: q{i}\n    graders: [{{type: contains_all, values: [lockout, otp, support]}}]\n"
            for i in range(64)))
        cases = graded_cases([load_suite(path)])
    reward = reward_function(cases)
    completions = [" ".join(rng.choices(WORDS, k=12)).capitalize() for _ in range(n)]
    ids = [f"c{i % 64}" for i in range(n)]
    assert reward(completions=completions, case_id=ids) == bare_reward(completions)  # the same check

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times) / n

    g = best(lambda: reward(completions=completions, case_id=ids))
    b = best(lambda: bare_reward(completions))
    print(f"gradeloop reward  {g * 1e6:7.2f} µs/completion")
    print(f"bare Python       {b * 1e6:7.2f} µs/completion")
    print(f"ratio             {g / b:7.2f}×  (goal ≤ 1.5×)")


if __name__ == "__main__":
    main()
