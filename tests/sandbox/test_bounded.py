"""Waits are bounded: detached grandchildren holding the pipes neither hang a call nor survive it.

The old python grader hung `eval` forever here: after killing the child's group it waited,
without a timeout, for pipes that the detached grandchildren still held.
"""
from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from gradeloop.sandbox import Source

SPAWN = (
    "import os, subprocess, sys, time\n"
    "def spawn(token, then_sleep):\n"
    "    fds = [int(fd) for fd in os.listdir('/proc/self/fd') if int(fd) > 2] if os.path.isdir('/proc/self/fd') else []\n"
    "    for _ in range(3):\n"
    "        subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', token],\n"
    "                         start_new_session=True, pass_fds=[fd for fd in fds if fd < 256], close_fds=False,\n"
    "                         stdout=None, stderr=None)\n"
    "    if then_sleep:\n"
    "        time.sleep(120)\n"
    "    return 'spawned'\n")


def _with_token(token: str) -> list[int]:
    """Host pids whose command line carries the token."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if token.encode() in fh.read():
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def _gone(token: str, wait: float = 15.0) -> bool:
    """True once no process carries the token (killing is asynchronous; this counts, never times)."""
    end = time.monotonic() + wait
    while _with_token(token) and time.monotonic() < end:
        time.sleep(0.05)
    return not _with_token(token)


@pytest.mark.timeout(90)
def test_detached_grandchildren_cannot_hold_a_timed_out_call(make_pool):
    token = f"gl-token-{uuid.uuid4().hex}"
    pool = make_pool()
    r = pool.call(Source(SPAWN), "spawn", [token, True], timeout=2)
    assert r.timed_out and "timed out" in r.error
    assert _gone(token), "grandchildren outlived the sandbox"
    assert pool.call(Source("def f():\n    return 'next'\n"), "f").result == "next"


@pytest.mark.timeout(90)
def test_detached_grandchildren_do_not_turn_a_returned_call_into_a_timeout(make_pool):
    token = f"gl-token-{uuid.uuid4().hex}"
    pool = make_pool()
    r = pool.call(Source(SPAWN), "spawn", [token, False], timeout=20)
    assert r.ok and r.result == "spawned" and not r.timed_out
    assert _gone(token), "the worker kills what a call left running before the next call"
    assert pool.call(Source("def f():\n    return 'next'\n"), "f").worker == r.worker


@pytest.mark.timeout(90)
def test_limits_mode_is_bounded_too(make_pool):
    token = f"gl-token-{uuid.uuid4().hex}"
    pool = make_pool(isolation="limits")
    try:
        r = pool.call(Source(SPAWN), "spawn", [token, True], timeout=2)
        assert r.timed_out and "timed out" in r.error
        assert pool.call(Source("def f():\n    return 'next'\n"), "f").result == "next"
    finally:  # without namespaces detached grandchildren survive (documented): clean up ours
        for pid in _with_token(token):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


@pytest.mark.timeout(120)
@pytest.mark.parametrize("isolation", ["namespaces", "limits"])
def test_workers_die_with_their_parent(make_pool, isolation, tmp_path):
    make_pool(isolation=isolation)  # skips where namespaces are refused
    token = f"gl-token-{uuid.uuid4().hex}"
    script = tmp_path / "parent.py"
    script.write_text(  # the token rides in the worker's command line (its config's env)
        "import sys, threading\n"
        "from gradeloop.sandbox import SandboxConfig, SandboxPool, Source\n"
        f"pool = SandboxPool(SandboxConfig(isolation={isolation!r}, env={{'TOKEN': {token!r}}}))\n"
        "src = Source('import time\\ndef f():\\n    time.sleep(300)\\n')\n"
        "threading.Thread(target=pool.call, args=(src, 'f'), kwargs={'timeout': 300}).start()\n"
        "print('started', flush=True)\n"
        "threading.Event().wait()\n")
    import subprocess
    import sys
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "started"
        end = time.monotonic() + 30
        while not _with_token(token) and time.monotonic() < end:
            time.sleep(0.05)
        assert _with_token(token), "the worker did not start"
    finally:
        parent.kill()
        parent.wait(30)
    assert _gone(token, wait=30), "a worker outlived its parent"
