"""The results store on a real PostgreSQL (scripts/postgres.sh): same runs as SQLite, many writers, migration, resume."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from multiprocessing import get_context
from pathlib import Path

import pytest

from gradeloop.api import run_document
from gradeloop.cli import main
from gradeloop.errors import InputError
from gradeloop.run import Store, build_run_json
from gradeloop.run.lock import RunBusy
from tests.builders import comparable as _comparable

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")




def _suite(path: Path, n: int, name: str = "mix") -> Path:
    lines = [f"name: {name}", "cases:"]
    for i in range(n):
        # Mixed-case ids and a non-ASCII one: SQLite orders text byte-wise; PostgreSQL must too.
        cid = f"{'B' if i % 2 else 'a'}-{i:03d}" if i else "é-0"
        lines += [f"  - id: {cid}", f"    input: question {i}", f"    tags: {{part: p{i % 3}}}",
                  "    graders: [{type: contains, value: 'yes'}]"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _replay(path: Path, n: int) -> Path:
    rows = []
    for i in range(n):
        cid = f"{'B' if i % 2 else 'a'}-{i:03d}" if i else "é-0"
        rows.append({"case_id": cid, "output": "yes" if i % 3 else "no", "logprobs": [-0.1, -0.2 * (i % 4)]})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_eval_into_postgres_gives_the_same_run_json_as_sqlite(tmp_path, db_url, monkeypatch):
    monkeypatch.chdir(tmp_path)
    suite, replay = _suite(tmp_path / "s.yaml", 40), _replay(tmp_path / "r.jsonl", 40)
    lite = run_document([suite], f"replay:{replay}", store=tmp_path / "lite.db")
    pg = run_document([suite], f"replay:{replay}", store=db_url)
    assert pg["cases"] and len(pg["cases"]) == 40
    assert _comparable(pg) == _comparable(lite)
    # A rerun resumes nothing and is served from the store's cache on both.
    again = Store(db_url)
    try:
        assert again.cache_stats()["entries"] == 0  # replay targets are not cached
        assert len(again.list_runs()) == 1
    finally:
        again.close()


def test_cli_eval_with_a_postgres_url_never_prints_the_password(tmp_path, db_url, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    suite, replay = _suite(tmp_path / "s.yaml", 6), _replay(tmp_path / "r.jsonl", 6)
    password = db_url.split(":")[2].split("@")[0]
    assert len(password) >= 8
    assert main(["eval", str(suite), "-t", f"replay:{replay}", "--store", db_url, "--json", "run.json"]) == 0
    assert main(["runs", "--store", db_url]) == 0
    assert main(["show", "latest", "--store", db_url]) in (0, 1)
    out = capsys.readouterr()
    assert password not in out.out + out.err
    assert password not in (tmp_path / "run.json").read_text()
    # a bad password: one line naming the redacted URL, exit 2
    bad = db_url.replace(password, "wrong-password")
    assert main(["eval", str(suite), "-t", f"replay:{replay}", "--store", bad]) == 2
    err = capsys.readouterr().err
    assert "wrong-password" not in err and "postgresql://***@" in err and "cannot open the results store" in err


def _write_overlapping(url: str, worker: int, n: int) -> int:
    """One of four processes: writes every sample of one run, in its own order and batch size."""
    st = Store(url)
    order = list(range(n))
    if worker % 2:
        order.reverse()
    batch = 7 + worker * 13
    try:
        for i in range(0, n, batch):
            st.add_sample_rows((("shared", "s", f"c{k:04d}", 0, f"out {k}", None, None, 0.0, k % 2, float(k % 2),
                                 "[]", "{}", None, None, 0, None, None) for k in order[i:i + batch]))
        return n
    finally:
        st.close()


def test_four_processes_writing_one_store_lose_nothing_and_duplicate_nothing(tmp_path, db_url):
    # 1) four eval processes, four runs (different seeds), one store: every run complete.
    suite, replay = _suite(tmp_path / "s.yaml", 120), _replay(tmp_path / "r.jsonl", 120)
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    procs = [subprocess.Popen([sys.executable, "-m", "gradeloop.cli", "eval", str(suite), "-t", f"replay:{replay}",
                               "--seed", str(seed), "--store", db_url, "--quiet", "--concurrency", "4"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for seed in range(4)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    # 2) four processes writing the same samples of one run at once: each stored exactly once.
    # (forked before this process opens a connection: a child must not share the parent's socket)
    setup = Store(db_url)
    setup.create_run("shared", "k-shared", "replay:x", "fp", {}, [])
    setup.close()
    with get_context("fork").Pool(4) as pool:
        assert pool.starmap(_write_overlapping, [(db_url, w, 500) for w in range(4)]) == [500] * 4
    st = Store(db_url)
    try:
        runs = [r for r in st.list_runs() if r["run_id"] != "shared"]
        assert len(runs) == 4 and all(r["status"] == "done" for r in runs)
        for r in runs:
            keys = st.done_keys(r["run_id"])
            assert len(keys) == 120 and {k[2] for k in keys} == {0}
        rows = list(st.samples("shared"))
        assert len(rows) == 500 and len({r.case_id for r in rows}) == 500
        assert all(r.output == f"out {int(r.case_id[1:])}" for r in rows)
        total, = st.db.execute("SELECT COUNT(*) FROM samples").fetchone()
        assert total == 4 * 120 + 500
    finally:
        st.close()


def test_sqlite_to_postgres_migration_round_trips_a_run(tmp_path, db_url, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    suite, replay = _suite(tmp_path / "s.yaml", 30), _replay(tmp_path / "r.jsonl", 30)
    lite_path = tmp_path / "lite.db"
    doc = run_document([suite], f"replay:{replay}", store=lite_path)
    lite = Store(lite_path)
    from gradeloop.labels.records import add_label, latest_labels

    add_label(lite, doc["run_id"], "mix", "a-002", 0, "contains", "wrong", note="looks right to me", who="ann")
    lite.cache_put_many([("k1", "fp", "cached output", [-0.5], {"tokens": 3}, {"x": 1.0})])
    lite.close()
    password = db_url.split(":")[2].split("@")[0]
    assert main(["store", "migrate", str(lite_path), db_url]) == 0
    out = capsys.readouterr().out
    assert "30 of 30 samples" in out and password not in out
    pg = Store(db_url)
    try:
        assert build_run_json(pg, doc["run_id"]) == doc  # the same document, ids and clocks included
        assert [lab.note for lab in latest_labels(pg)] == ["looks right to me"]
        add_label(pg, doc["run_id"], "mix", "a-002", 0, "contains", "right", note="on second look", who="bob")
        assert [lab.label for lab in latest_labels(pg)] == ["right"]  # the newer review supersedes
        assert pg.cache_get_many(["k1"])["k1"][0] == "cached output"
    finally:
        pg.close()
    # A second migrate copies nothing twice; back into a new SQLite file gives the same run again.
    assert main(["store", "migrate", str(lite_path), db_url]) == 0
    assert "0 of 30 samples" in capsys.readouterr().out
    assert main(["store", "migrate", db_url, str(tmp_path / "back.db")]) == 0
    back = Store(tmp_path / "back.db")
    try:
        assert build_run_json(back, doc["run_id"]) == doc
        assert [lab.who for lab in latest_labels(back)] == ["bob"]
    finally:
        back.close()
    assert main(["store", "migrate", str(tmp_path / "missing.db"), db_url]) == 2
    # the viewer on this store: tests/view/test_postgres_pages.py


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
    return "yes" if int(prompt.split()[-1]) % 3 else "no"
'''


def test_resume_after_kill_9_on_postgres(tmp_path, db_url):
    import psycopg

    (tmp_path / "slowapp.py").write_text(APP)
    n = 150
    suite = _suite(tmp_path / "s.yaml", n)
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               GL_TEST_LOG=str(tmp_path / "calls.log"), HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "gradeloop.cli", "eval", str(suite), "--target", "py:slowapp:answer",
           "--concurrency", "1", "--store", db_url, "--json", str(tmp_path / "run.json"), "--quiet"]

    def done() -> set[str]:
        with psycopg.connect(db_url) as conn:
            try:
                return {f"question {int(c.split('-')[1])}" for (c,) in conn.execute("SELECT case_id FROM samples")}
            except psycopg.errors.UndefinedTable:
                return set()

    # The first process generates 100 samples, then its 101st call waits until it is killed: the kill
    # comes mid-run however slow the machine (stored so far: the first finished chunk of 64 samples).
    proc = subprocess.Popen(cmd, cwd=tmp_path, env={**env, "GL_TEST_HOLD_AT": "100"})
    try:
        deadline = time.monotonic() + 300  # a hang guard only: the wait ends when 40 samples are stored
        while time.monotonic() < deadline and proc.poll() is None and len(done()) < 40:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    at_kill = done()
    assert 40 <= len(at_kill) < n, "the run should have been killed mid-way"
    first = (tmp_path / "calls.log").read_text().splitlines()
    # the killed process's advisory lock went with its connection: the rerun is not refused
    assert subprocess.run(cmd, cwd=tmp_path, env=env).returncode == 0
    second = (tmp_path / "calls.log").read_text().splitlines()[len(first):]
    assert not set(second) & at_kill
    assert sorted(second) == sorted({f"question {i}" for i in range(n)} - at_kill)
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["status"] == "done" and sum(len(c["samples"]) for c in run["cases"]) == n


def test_run_lock_is_an_advisory_lock_across_connections(db_url):
    a, b = Store(db_url), Store(db_url)
    try:
        with a.run_lock("key-1"):
            with pytest.raises(RunBusy, match="another gradeloop process"):
                with b.run_lock("key-1"):
                    pass
            with b.run_lock("key-2"):  # another run is not blocked
                pass
        with b.run_lock("key-1"):  # released with the block
            pass
    finally:
        a.close()
        b.close()


def test_a_store_from_a_newer_gradeloop_is_refused(db_url, tmp_path):
    for where in (db_url, tmp_path / "x.db"):
        st = Store(where)
        st.db.execute("UPDATE schema_version SET version = 99")
        if st.dialect == "sqlite":
            st.db.commit()
        st.close()
        with pytest.raises(InputError, match="newer than this gradeloop"):
            Store(where)


def test_a_nul_character_in_an_output_does_not_break_a_postgres_run(db_url):
    st = Store(db_url)
    try:
        st.create_run("r", "k", "replay:x", "fp", {}, [])
        st.add_sample_rows([("r", "s", "c", 0, "a\x00b", None, None, 0.0, 1, 1.0, "[]", "{}", None, None, 0,
                             None, None)])
        assert [r.output for r in st.samples("r")] == ["a\ufffdb"]
    finally:
        st.close()


def _write_whole_run(url: str, run_id: str, reverse: bool, n: int, ready, results) -> None:
    """One transaction with every sample of a run, in ascending or descending order, started together."""
    st = Store(url)
    order = list(range(n))[::-1] if reverse else list(range(n))
    rows = [(run_id, "s", f"c{k:04d}", 0, f"out {k}", None, None, 0.0, 1, 1.0, "[]", "{}", None, None, 0, None, None)
            for k in order]
    try:
        ready.wait(timeout=60)  # both writers of the run begin at once
        st.add_sample_rows(rows)
        results.put((run_id, reverse, "ok"))
    except Exception as exc:  # reported to the test, which names it
        results.put((run_id, reverse, f"{type(exc).__name__}: {exc}"))
    finally:
        st.close()


def test_writers_inserting_the_same_samples_in_opposite_orders_never_deadlock(db_url):
    # Two processes write one run's 2,000 samples in one transaction each, one ascending, one
    # descending, started together: unordered, they meet in the middle, each waiting on a key the
    # other holds, and PostgreSQL aborts one (deadlock detected). Five runs, five tries.
    ctx = get_context("fork")
    setup = Store(db_url)
    for r in range(5):
        setup.create_run(f"both-{r}", f"k-both-{r}", "replay:x", "fp", {}, [])
    setup.close()
    results = ctx.Queue()
    for r in range(5):
        ready = ctx.Barrier(2)
        procs = [ctx.Process(target=_write_whole_run, args=(db_url, f"both-{r}", bool(w), 2000, ready, results))
                 for w in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
    outcomes = [results.get(timeout=10) for _ in range(10)]
    assert [o for o in outcomes if o[2] != "ok"] == []
    st = Store(db_url)
    try:
        counts = dict(st.db.execute("SELECT run_id, COUNT(*) FROM samples GROUP BY run_id").fetchall())
    finally:
        st.close()
    assert counts == {f"both-{r}": 2000 for r in range(5)}
