"""kill -9 in the middle of a run, then the same command again: only the missing samples run."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

APP = '''
import os, time
LOG = os.environ["GL_TEST_LOG"]
HOLD_AT = int(os.environ.get("GL_TEST_HOLD_AT", "0"))
def answer(prompt):
    time.sleep(0.01)
    if HOLD_AT and os.path.exists(LOG):
        with open(LOG) as fh:
            if sum(1 for _ in fh) >= HOLD_AT:  # the run stops here, mid-way, until it is killed
                time.sleep(3600)
    with open(LOG, "a") as fh:
        fh.write(prompt + "\\n")
        fh.flush()
    n = int(prompt.split()[-1])
    return "yes" if n % 3 else "no"
'''


def _suite(path: Path, n: int) -> None:
    lines = ["name: slow", "cases:"]
    for i in range(n):
        lines += [f"  - id: c{i}", f"    input: question {i}", "    graders: [{type: contains, value: 'yes'}]"]
    path.write_text("\n".join(lines) + "\n")


def _cmd(tmp: Path, store: Path) -> list[str]:
    return [sys.executable, "-m", "gradeloop.cli", "eval", str(tmp / "suite.yaml"), "--target", "py:slowapp:answer",
            "--samples", "1", "--concurrency", "1", "--store", str(store), "--json", str(store) + ".json", "--quiet"]


def _done(store: Path) -> set[str]:
    db = sqlite3.connect(store)
    try:
        return {f"question {c[1:]}" for (c,) in db.execute("SELECT case_id FROM samples")}
    except sqlite3.OperationalError:  # the schema is not created yet
        return set()
    finally:
        db.close()


@pytest.mark.slow
def test_kill_9_then_rerun_completes_only_missing_samples(tmp_path):
    (tmp_path / "slowapp.py").write_text(APP)
    _suite(tmp_path / "suite.yaml", 300)
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               GL_TEST_LOG=str(tmp_path / "calls.log"))
    store = tmp_path / "store.db"
    # The first process generates 150 samples, then its 151st call waits until it is killed: the kill
    # comes mid-run however slow the machine (stored so far: the finished chunks of 64, 128 samples).
    proc = subprocess.Popen(_cmd(tmp_path, store), cwd=tmp_path, env={**env, "GL_TEST_HOLD_AT": "150"})
    try:
        deadline = time.monotonic() + 300  # a hang guard only: the wait ends when 100 samples are stored
        while (time.monotonic() < deadline and proc.poll() is None
               and (not store.exists() or len(_done(store)) < 100)):
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done_at_kill = _done(store)
    assert 100 <= len(done_at_kill) < 300, "the run should have been killed mid-way"
    first_calls = (tmp_path / "calls.log").read_text().splitlines()
    assert subprocess.run(_cmd(tmp_path, store), cwd=tmp_path, env=env).returncode == 0
    second_calls = (tmp_path / "calls.log").read_text().splitlines()[len(first_calls):]
    # nothing stored before the kill is generated again; everything else is generated once
    assert not set(second_calls) & done_at_kill
    assert sorted(second_calls) == sorted({f"question {i}" for i in range(300)} - done_at_kill)
    resumed = json.loads(Path(str(store) + ".json").read_text())
    assert resumed["status"] == "done" and sum(len(c["samples"]) for c in resumed["cases"]) == 300
    # same numbers as an uninterrupted run
    fresh = tmp_path / "fresh.db"
    assert subprocess.run(_cmd(tmp_path, fresh), cwd=tmp_path, env=env).returncode == 0
    clean = json.loads(Path(str(fresh) + ".json").read_text())
    assert resumed["metrics"]["pass_rate"] == clean["metrics"]["pass_rate"]
    assert [(c["id"], c["samples"][0]["output"]) for c in resumed["cases"]] == \
           [(c["id"], c["samples"][0]["output"]) for c in clean["cases"]]
