"""Resource limits hold: memory, processes, CPU time, file size, open files."""
from __future__ import annotations

from gradeloop.sandbox import Source

FORK_BOMB = Source(
    "import os, time\n"
    "def bomb():\n"
    "    n = 0\n"
    "    try:\n"
    "        for _ in range(2000):\n"
    "            if os.fork() == 0:\n"
    "                time.sleep(60)\n"
    "                os._exit(0)\n"
    "            n += 1\n"
    "    except OSError as exc:\n"
    "        return {'forked': n, 'error': exc.strerror}\n"
    "    return {'forked': n}\n")


def test_memory_bomb_is_a_memory_error_and_the_worker_survives(make_pool):
    pool = make_pool(memory_mb=256)
    r = pool.call(Source("def f():\n    return len(bytearray(2 * 1024 ** 3))\n"), "f")
    assert not r.ok and "MemoryError" in r.error
    grow = pool.call(Source("def f():\n    x = []\n    while True:\n        x.append(' ' * 10 ** 6)\n"), "f", timeout=60)
    assert not grow.ok and ("MemoryError" in grow.error or "died" in grow.error)
    assert pool.call(Source("def f():\n    return 1\n"), "f").ok


def test_fork_bomb_is_capped_and_its_children_do_not_outlive_the_call(make_pool):
    pool = make_pool(processes=16)
    first = pool.call(FORK_BOMB, "bomb", timeout=60)
    assert first.ok and "error" in first.result and first.result["forked"] < 16, first
    # the 60-second sleepers were killed after the call: the same worker can fork as many again
    second = pool.call(FORK_BOMB, "bomb", timeout=60)
    assert second.worker == first.worker and second.result["forked"] == first.result["forked"]


def test_cpu_time_limit_kills_a_busy_call(make_pool):
    pool = make_pool(cpu_seconds=1, worker_cpu_seconds=100)
    r = pool.call(Source("def spin():\n    while True:\n        pass\n"), "spin", timeout=60)
    assert not r.ok and not r.timed_out and "CPU time limit" in r.error
    assert pool.call(Source("def f():\n    return 2\n"), "f").result == 2 and pool.started == 2


def test_file_size_and_open_files_are_capped(make_pool):
    pool = make_pool(disk_mb=1, open_files=64)
    big = pool.call(Source("def f():\n    open('big', 'wb').write(b'x' * 5 * 1024 ** 2)\n"), "f")
    assert not big.ok and ("File too large" in big.error or "No space" in big.error), big
    many = pool.call(Source("def f():\n    return [open('/dev/null') for _ in range(500)]\n"), "f")
    assert not many.ok and "Too many open files" in many.error
