"""The pool: results and errors come back as values, workers are reused and replaced, threads are safe."""
from __future__ import annotations

import threading

import pytest

from gradeloop.sandbox import Module, SandboxConfig, SandboxPool, Source

COUNTER = Source("calls = 0\ndef bump():\n    global calls\n    calls += 1\n    return calls\n", "counter.py")


@pytest.mark.parametrize("isolation", ["namespaces", "limits"])
def test_results_and_raised_exceptions(make_pool, isolation):
    pool = make_pool(isolation=isolation)
    ok = pool.call(Source("def add(a, b):\n    return a + b\n"), "add", [2, 3])
    assert (ok.ok, ok.result, ok.error, ok.timed_out) == (True, 5, None, False)
    bad = pool.call(Source("def f():\n    raise KeyError('nope')\n", "g.py"), "f")
    assert not bad.ok and not bad.timed_out and "KeyError" in bad.error and "nope" in bad.error
    assert 'g.py", line 2' in bad.traceback
    for body in ("raise SystemExit(3)", "raise KeyboardInterrupt"):
        r = pool.call(Source(f"def f():\n    {body}\n"), "f")
        assert not r.ok and r.error.split(":")[0] in ("SystemExit", "KeyboardInterrupt")
    missing = pool.call(Source("x = 1\n"), "f")
    assert not missing.ok and "NameError" in missing.error
    assert pool.call("json", "dumps", [{"a": 1}]).result == '{"a": 1}'
    assert pool.call(Module("math"), "hypot", [3, 4]).result == 5.0
    assert pool.started == 1  # errors in the code do not cost the worker


@pytest.mark.parametrize("isolation", ["namespaces", "limits"])
def test_timeout_is_a_recorded_error_and_the_worker_is_replaced(make_pool, isolation):
    pool = make_pool(isolation=isolation)
    slow = pool.call(Source("import time\ndef f():\n    time.sleep(60)\n"), "f", timeout=0.5)
    assert slow.timed_out and not slow.ok and "timed out after 0.5s" in slow.error
    after = pool.call(COUNTER, "bump")
    assert after.ok and after.result == 1 and after.worker != slow.worker and pool.started == 2


def test_a_crashed_worker_is_replaced(make_pool):
    pool = make_pool()
    crash = pool.call(Source("import os\ndef f():\n    os._exit(7)\n"), "f")
    assert not crash.ok and not crash.timed_out and "exited with code 7" in crash.error
    assert pool.call(COUNTER, "bump").ok and pool.started == 2


def test_workers_are_reused_by_count_of_pids(make_pool):
    pool = make_pool(workers=1)
    results = [pool.call(COUNTER, "bump") for _ in range(30)]
    assert {r.worker for r in results} == {results[0].worker} and pool.started == 1
    # module state persists within a worker (documented), so the counter counts every call
    assert [r.result for r in results] == list(range(1, 31))


def test_max_calls_recycles_workers(make_pool):
    pool = make_pool(workers=1, max_calls=5)
    results = [pool.call(COUNTER, "bump") for _ in range(12)]
    assert len({r.worker for r in results}) == 3 and pool.started == 3
    assert [r.result for r in results] == [1, 2, 3, 4, 5] * 2 + [1, 2]


def test_many_threads_share_a_bounded_pool(make_pool):
    pool = make_pool(workers=2)
    out: list = []
    lock = threading.Lock()

    def work(i: int) -> None:
        for j in range(5):
            r = pool.call(Source("def echo(x):\n    return x\n"), "echo", [[i, j]])
            with lock:
                out.append(r)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(out) == 40 and all(r.ok for r in out)
    assert sorted(tuple(r.result) for r in out) == [(i, j) for i in range(8) for j in range(5)]
    assert pool.started <= 2 and len({r.worker for r in out}) <= 2


def test_prints_and_raw_writes_do_not_corrupt_replies(make_pool):
    pool = make_pool()
    src = Source("import os, sys\ndef f():\n    print('{\"ok\": false}')\n    os.write(1, b'\\x00\\x00\\x00\\x05junk')\n"
                 "    sys.stderr.write('to stderr')\n    return 'fine'\n")
    r = pool.call(src, "f")
    assert r.ok and r.result == "fine" and '{"ok": false}' in r.log and "to stderr" in r.log


def test_values_travel_as_json(make_pool):
    pool = make_pool()
    r = pool.call(Source("class A:\n    def __repr__(self):\n        return 'A()'\n"
                         "def f(x, *, y):\n    return {'x': x, 'y': y, 'obj': A(), 'n': 2.5}\n"), "f", ["é\u2603"], {"y": [1]})
    assert r.ok and r.result == {"x": "é\u2603", "y": [1], "obj": "A()", "n": 2.5}
    cyclic = pool.call(Source("def f():\n    a = []\n    a.append(a)\n    return a\n"), "f")
    assert not cyclic.ok and "JSON" in cyclic.error


def test_closed_pool_and_bad_timeout_are_refused():
    pool = SandboxPool(SandboxConfig(isolation="limits"))
    with pytest.raises(ValueError):
        pool.call("json", "dumps", [1], timeout=0)
    pool.close()
    from gradeloop.sandbox import SandboxUnavailable
    with pytest.raises(SandboxUnavailable, match="closed"):
        pool.call("json", "dumps", [1])


def test_config_is_validated_and_hashable():
    with pytest.raises(ValueError):
        SandboxConfig(isolation="none")
    with pytest.raises(ValueError):
        SandboxConfig(memory_mb=0)
    a = SandboxConfig(env={"B": "2", "A": "1"})
    assert a == SandboxConfig(env={"A": "1", "B": "2"}) and hash(a) == hash(SandboxConfig(env={"A": "1", "B": "2"}))
    assert a.env == (("A", "1"), ("B", "2"))


def test_a_refused_sandbox_is_a_clear_error_asked_once(tmp_path, monkeypatch):
    # a worker that answers the handshake as one would where the kernel refuses namespaces
    refusing = tmp_path / "refusing_worker.py"
    refusing.write_text("import json, os, struct\n"
                        "body = json.dumps({'ready': False, 'error': 'cannot create the sandbox namespaces'}).encode()\n"
                        "os.write(1, struct.pack('>I', len(body)) + body)\n")
    from gradeloop.sandbox import SandboxUnavailable, process
    monkeypatch.setattr(process, "WORKER_SCRIPT", str(refusing))
    pool = SandboxPool(SandboxConfig(), workers=1)
    with pytest.raises(SandboxUnavailable) as first:
        pool.call("json", "dumps", [1])
    monkeypatch.undo()  # a second call must not even start a worker
    with pytest.raises(SandboxUnavailable) as second:
        pool.call("json", "dumps", [1])
    assert "cannot create the sandbox namespaces" in str(first.value)
    assert "GRADELOOP_SANDBOX=limits" in str(first.value) and first.value.permanent
    assert str(first.value) == str(second.value) and pool.started == 0
    pool.close()


@pytest.mark.parametrize("isolation", ["namespaces", "limits"])
def test_a_call_that_breaks_its_worker_does_not_fail_the_next_one(make_pool, isolation):
    pool = make_pool(isolation=isolation)
    vandal = pool.call(Source("import os, shutil\ndef f():\n    here = os.getcwd()\n    os.chdir('/')\n"
                              "    shutil.rmtree(here)\n    return 'removed'\n"), "f")
    assert vandal.ok and vandal.result == "removed"
    nxt = pool.call(Source("import os\ndef f():\n    return os.listdir('.')\n"), "f")
    assert nxt.ok and nxt.result == [] and nxt.worker != vandal.worker and pool.started == 2


def test_a_forged_reply_on_the_pipe_costs_only_that_call(make_pool):
    pool = make_pool()
    forger = Source(
        "import os, struct\n"
        "def f():\n"
        "    for fd in os.listdir('/proc/self/fd'):\n"
        "        try:\n"
        "            if os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:'):\n"
        "                os.write(int(fd), struct.pack('>I', 12) + b'{\"ok\": true}')\n"
        "        except OSError:\n"
        "            pass\n"
        "    return 'honest'\n")
    r = pool.call(forger, "f")
    assert not r.ok and "out of turn" in r.error, r
    garbled = pool.call(Source(forger.text.replace("12) + b'", "40) + b'")), "f")
    assert not garbled.ok and "the worker" in garbled.error
    nxt = pool.call(COUNTER, "bump")
    assert nxt.ok and nxt.result == 1 and nxt.worker != r.worker


def test_shared_pools_past_the_warm_ones_keep_no_idle_workers(monkeypatch):
    # A long-lived process meets many configs (each grader folder is one): counted, only the most
    # recently used pools keep idle workers; a trimmed pool still answers, starting a worker anew.
    from gradeloop.sandbox import pool as pool_module

    monkeypatch.setattr(pool_module, "_shared", {})
    monkeypatch.setattr(pool_module, "WARM_POOLS", 3)
    configs = [SandboxConfig(env={"GL_POOL_TEST": str(i)}) for i in range(5)]
    try:
        for cfg in configs:
            assert pool_module.shared_pool(cfg, workers=1).call("os", "getenv", ["GL_POOL_TEST"]).ok
        pools = [pool_module._shared[(cfg, 1)] for cfg in configs]
        assert [len(p._idle) for p in pools] == [0, 0, 1, 1, 1]  # the two used longest ago: trimmed
        again = pool_module.shared_pool(configs[0], workers=1)
        assert again is pools[0] and again.call("os", "getenv", ["GL_POOL_TEST"]).result == "0"
        assert again.started == 2 and [len(p._idle) for p in pools] == [1, 0, 0, 1, 1]
    finally:
        for p in pool_module._shared.values():
            p.close()
