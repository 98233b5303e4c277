"""Stores written straight through the Store API: known verdicts, hostile text, many samples.

The viewer must cope with whatever a store holds (imports, other tools), so these skip the engine.
"""
from __future__ import annotations

import time
from pathlib import Path

from gradeloop.run.store import SampleRow, Store

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def grade(name: str, passed: bool, reason: str = "", error: str | None = None) -> dict:
    return {"grader": name, "passed": passed, "score": 1.0 if passed else 0.0, "reason": reason, "error": error}


def add_run(store: Store, run_id: str, verdicts: dict[tuple[str, str], list[bool | None]], *,
            tags: dict[tuple[str, str], dict] | None = None, outputs: dict | None = None,
            target: str = "replay:x.jsonl", judge_flip: set | None = None, done: bool = True,
            extra: dict | None = None) -> str:
    """A run whose samples pass or fail as `verdicts[(suite, case)]` says (None: a target error).

    Every sample has grades by `contains` (the verdict) and `judge` (the same, unless the case is in
    `judge_flip`); `outputs[(suite, case, i)]` overrides the output text.
    """
    suites = sorted({s for s, _ in verdicts})
    samples = max(len(v) for v in verdicts.values())
    store.create_run(run_id, run_id, target, "fp", {"samples": samples}, [{"name": s} for s in suites])
    rows = []
    for pos, (suite, case) in enumerate(verdicts):
        rows.append((suite, case, pos, (tags or {}).get((suite, case), {"area": "a" if pos % 2 else "b"}), None,
                     None, f"question {case}", "ok"))
    store.add_cases(run_id, rows)
    out = []
    for (suite, case), vs in verdicts.items():
        for i, v in enumerate(vs):
            text = (outputs or {}).get((suite, case, i), "ok answer" if v else "wrong answer")
            if v is None:
                out.append(SampleRow(suite, case, i, None, "boom: target failed", "target", 0.5, None, None, [], {},
                                     None, None, False))
                continue
            jv = (not v) if case in (judge_flip or set()) else v
            out.append(SampleRow(suite, case, i, text, None, None, 0.25 + i, v, 1.0 if v else 0.0,
                                 [grade("contains", v, f"looked for ok in {case}"),
                                  grade("judge", jv, "the judge's reasoning")],
                                 {"confidence": 0.75}, None, None, False, **(extra or {})))
    store.add_samples(run_id, out)
    if done:
        store.finish_run(run_id)
    time.sleep(0.01)  # distinct created times: the runs page sorts by them
    return run_id


def two_runs(path: Path) -> tuple[str, str]:
    """base: 20 cases x 2 samples, cases 0-15 pass; cand: cases 0-11 and 16-17 pass, case 12 flaky."""
    store = Store(path)
    base = {("math", f"m-{i}"): [i < 16, i < 16] for i in range(20)}
    cand = {("math", f"m-{i}"): [i < 12 or i in (16, 17), i < 12 or i in (16, 17)] for i in range(20)}
    cand[("math", "m-12")] = [True, False]
    cand[("math", "m-19")] = [None, False]
    b = add_run(store, "run-base", base, target="replay:base.jsonl")
    c = add_run(store, "run-cand", cand, target="replay:cand.jsonl", judge_flip={"m-3", "m-4"})
    store.close()
    return b, c
