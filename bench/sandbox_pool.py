"""Python-grader throughput: the sandboxed warm-worker pool vs one fresh interpreter per grade.

"per-process" is the python grader as it was before the sandbox (`python -I` running a small
runner per grade, JSON on stdin, `communicate` with a timeout, no confinement). "pool" is the
grader as it is now (`PythonGrader.grade` through `gradeloop.sandbox.shared_pool`, namespaces,
limits), timed from a cold pool, so worker start-up is included. Both grade the same outputs
with the same grader, with 1 and with 4 calling threads, in one run; the script checks they agree.

    .venv/bin/python bench/sandbox_pool.py [--per-process 60] [--pool 3000]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gradeloop.graders import build_grader
from gradeloop.graders.python_grader import case_json, grade_from_result, item_json, sample_json
from gradeloop.sandbox import pool as sandbox_pool
from gradeloop.suite.model import Case, GraderSpec

GRADER = '''import re
def grade(case, output):
    words = set(re.findall(r"[a-z]+", output.lower()))
    hits = sum(w in words for w in ("lockout", "otp", "support"))
    return {"score": hits / 3, "passed": hits == 3, "reason": f"{hits}/3 keywords"}
'''

# The runner the python grader used before the sandbox (graders/_python_runner.py at 6287375).
OLD_RUNNER = '''import inspect, json, sys, traceback
def main():
    reply_to = sys.stdout
    sys.stdout = sys.stderr
    try:
        req = json.loads(sys.stdin.read())
        namespace = {"__name__": "__grader__", "__file__": req["filename"]}
        exec(compile(req["source"], req["filename"], "exec"), namespace)
        fn = namespace.get("grade")
        names = list(inspect.signature(fn).parameters)[:2]
        result = fn(req["sample"], req["item"]) if names == ["sample", "item"] else fn(req["case"], req["output"])
        text = json.dumps({"ok": True, "result": result})
    except BaseException as exc:
        text = json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    reply_to.write(text)
    reply_to.flush()
main()
'''


def per_process_grade(runner: str, case: Case, output: str) -> bool:
    request = {"source": GRADER, "filename": "<bench>", "case": case_json(case), "output": output,
               "sample": sample_json(output), "item": item_json(case)}
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    proc = subprocess.Popen([sys.executable, "-I", "-X", "utf8", runner], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    out, _ = proc.communicate(json.dumps(request).encode(), timeout=30)
    reply = json.loads(out)
    return grade_from_result(reply["result"], "py", 1.0).passed


def rate(fn, items, threads: int) -> tuple[float, list[bool]]:
    t0 = time.perf_counter()
    if threads == 1:
        got = [fn(*it) for it in items]
    else:
        with ThreadPoolExecutor(threads) as ex:
            got = list(ex.map(lambda it: fn(*it), items))
    return len(items) / (time.perf_counter() - t0), got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-process", type=int, default=60, help="grades for the per-process way")
    ap.add_argument("--pool", type=int, default=3000, help="grades for the pool")
    args = ap.parse_args()
    case = Case("c1", "How do I unlock?", reference="lockout")
    outputs = ["After a lockout, enter the OTP or contact support.", "Try again later.",
               "Support can lift the lockout.", "lockout otp support"]
    grader = build_grader(GraderSpec("python", {"source": GRADER}, file="bench.yaml", line=1), case)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        runner = str(Path(tmp) / "old_runner.py")
        Path(runner).write_text(OLD_RUNNER)
        for threads in (1, 4):
            old_items = [(runner, case, outputs[i % 4]) for i in range(args.per_process)]
            old_rate, old_got = rate(per_process_grade, old_items, threads)
            sandbox_pool._close_shared()  # cold pool: worker start-up counts
            new_items = [(case, outputs[i % 4]) for i in range(args.pool)]
            new_rate, new_got = rate(lambda c, o: grader.grade(c, o).passed, new_items, threads)
            assert old_got == new_got[:len(old_got)], "the two ways disagree"
            rows.append((threads, old_rate, new_rate))
    workers = sandbox_pool.default_workers()
    print(f"python grader, grades per second ({os.cpu_count()} CPUs, pool of up to {workers} workers, "
          f"{args.per_process} per-process / {args.pool} pool grades)")
    print(f"{'threads':>7} {'per-process':>12} {'pool':>10} {'ratio':>8}")
    for threads, old_rate, new_rate in rows:
        print(f"{threads:>7} {old_rate:>12.1f} {new_rate:>10.1f} {new_rate / old_rate:>7.1f}x")


if __name__ == "__main__":
    main()
