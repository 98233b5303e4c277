"""eval on a local Ray cluster (started here, 2 CPUs, 2 actors): same run as local, cache, resume, a killed worker."""
from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

from gradeloop.api import make_judge_factory, run_document  # noqa: E402
from gradeloop.run import Store  # noqa: E402
from gradeloop.run.ray_executor import RayExecutor  # noqa: E402
from tests.builders import comparable as _comparable  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
NODE_START_GUARD_S = 300

MODULES = {
    # A target object (no spec loads it): pickled to the actors. Its output shows the per-sample seed.
    "seedtarget.py": '''
        import os
        from gradeloop.targets.base import Generation

        class SeedTarget:
            spec = "seed-echo"
            batch_size = 4
            cacheable = True

            def __init__(self, log):
                self.log = log

            def fingerprint(self):
                return "seed-echo-v1"

            async def generate(self, requests):
                with open(self.log, "a") as fh:
                    fh.write("".join(f"{r.case_id}#{r.sample_index}\\n" for r in requests))
                return [Generation(output=f"{r.case_id} {r.sample_index} {r.seed} " + ("ok" if r.seed % 2 else "no"),
                                   latency_s=0.0) for r in requests]

            async def aclose(self):
                pass
        ''',
    # A py: target whose first call in the whole cluster kills its worker process (kill -9 style).
    "dieonce.py": '''
        import os
        MARK = os.environ["GL_RAY_MARK"]
        LOG = os.environ["GL_RAY_LOG"]

        def answer(prompt):
            try:
                fd = os.open(MARK, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pass
            else:
                os.close(fd)
                os._exit(9)  # the actor's process dies mid-chunk: nothing of it was returned
            with open(LOG, "a") as fh:
                fh.write(prompt + "\\n")
            return "ok " + prompt if int(prompt.split()[-1]) % 4 else "no"
        ''',
    # A py: target whose call for "question 5" waits until every other sample of its chunk (c000-c063)
    # is in the driver's store, then kills its worker: what the worker finished had reached the driver.
    "dieafter.py": '''
        import os, sqlite3, time
        DIR = os.environ["GL_RAY_DIR"]
        LOG = os.path.join(DIR, "after.log")

        def answer(prompt):
            if prompt == "question 5":
                try:
                    fd = os.open(os.path.join(DIR, "died-after"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except FileExistsError:
                    pass
                else:
                    os.close(fd)
                    for _ in range(3000):  # up to 300 s: a hang guard, the wait ends when the 63 are stored
                        db = sqlite3.connect(os.path.join(DIR, "stream.db"), timeout=30)
                        try:
                            n = db.execute("SELECT COUNT(*) FROM samples WHERE case_id < 'c064'").fetchone()[0]
                        except sqlite3.OperationalError:
                            n = 0
                        db.close()
                        if n >= 63:
                            break
                        time.sleep(0.1)
                    os._exit(9)
            with open(LOG, "a") as fh:
                fh.write(prompt + "\\n")
            return "ok " + prompt if int(prompt.split()[-1]) % 4 else "no"
        ''',
    # A judge for llm_judge graders (given with judge=...): it passes outputs that say "ok" and logs its process.
    "judgemod.py": '''
        import json, os, re

        def judge(prompt):
            with open(os.path.join(os.environ["GL_RAY_DIR"], "judge.log"), "a") as fh:
                fh.write(f"{os.getpid()}\\n")
            nonce = re.search(r"<<<OUTPUT-([0-9a-f]+)>>>", prompt).group(1)
            output = prompt.split(f"<<<OUTPUT-{nonce}>>>")[1]
            ok = " ok" in output
            return json.dumps({"verdict_id": nonce, "reasoning": "r", "score": int(ok), "passed": ok, "confidence": 1})

        def judge_dies_once(prompt):
            try:
                fd = os.open(os.path.join(os.environ["GL_RAY_DIR"], "judge-died"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return judge(prompt)
            os.close(fd)
            os._exit(9)
        ''',
    # A py: target whose call for "question 70" tells the test which node it runs on, then waits there
    # (for the test to take that node away).
    "nodeloss.py": '''
        import os, time
        DIR = os.environ["GL_RAY_DIR"]

        def answer(prompt):
            if prompt == "question 70":
                try:
                    fd = os.open(os.path.join(DIR, "node-doomed"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except FileExistsError:
                    pass
                else:
                    import ray
                    os.write(fd, ray.get_runtime_context().get_node_id().encode())
                    os.close(fd)
                    time.sleep(600)
            with open(os.path.join(DIR, "nodeloss.log"), "a") as fh:
                fh.write(prompt + "\\n")
            return "ok " + prompt if int(prompt.split()[-1]) % 4 else "no"
        ''',
}


@pytest.fixture(scope="module")
def ray_nodes():
    """A local Ray cluster of three nodes (processes with their own raylet): a head with no CPUs and two
    workers of one CPU each, so every actor runs on a worker node and losing one is losing a machine."""
    from ray.cluster_utils import Cluster

    # Ray waits 30 s for each node it adds (add_node(wait=True)); node starts took up to ~19 s here on
    # a loaded machine, so the nodes are awaited together, 300 s at most: a hang guard, not a window.
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False, "wait": False})
    try:
        for _ in range(2):
            nodes.add_node(num_cpus=1, wait=False)
        nodes.wait_for_nodes(timeout=NODE_START_GUARD_S)
        yield nodes
    finally:
        nodes.shutdown()


@pytest.fixture(scope="module")
def cluster(ray_nodes, tmp_path_factory):
    folder = tmp_path_factory.mktemp("raymods")
    for name, text in MODULES.items():
        (folder / name).write_text(textwrap.dedent(text))
    env = {"PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]),
           "GL_RAY_MARK": str(folder / "died"), "GL_RAY_LOG": str(folder / "calls.log"), "HF_HUB_OFFLINE": "1",
           "GL_RAY_DIR": str(folder)}
    ray.init(address=ray_nodes.address, log_to_driver=False, runtime_env={"env_vars": env})
    import sys

    saved = {k: os.environ.get(k) for k in ("GL_RAY_MARK", "GL_RAY_LOG", "GL_RAY_DIR")}
    os.environ.update({k: env[k] for k in saved})  # the driver imports the py: target too
    sys.path.insert(0, str(folder))
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        ray.shutdown()


def _suite(path: Path, n: int) -> Path:
    lines = ["name: fan", "cases:"]
    for i in range(n):
        lines += [f"  - id: c{i:03d}", f"    input: question {i}", f"    tags: {{part: p{i % 3}}}",
                  "    graders: [{type: contains, value: 'ok'}]"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_ray_and_local_give_the_same_run_and_share_the_cache(cluster, tmp_path, monkeypatch):
    from seedtarget import SeedTarget

    monkeypatch.chdir(tmp_path)
    suite = _suite(tmp_path / "s.yaml", 30)
    log = tmp_path / "gen.log"
    local = run_document([suite], SeedTarget(str(log)), samples=3, seed=7, store=tmp_path / "local.db")
    executor = RayExecutor(workers=2)
    far = run_document([suite], SeedTarget(str(log)), samples=3, seed=7, store=tmp_path / "ray.db",
                       executor=executor)
    assert _comparable(far) == _comparable(local)  # same per-sample seeds, grades, metrics, slices
    outputs = [s["output"] for c in far["cases"] for s in c["samples"]]
    assert len(set(outputs)) == 90 and far["metrics"]["pass_rate"]["n_samples"] == 90
    generated = log.read_text().splitlines()
    assert len(generated) == 180 and len(set(generated)) == 90  # each sample once per run
    # The same command again on Ray: a new run served entirely from the driver's store cache.
    again = run_document([suite], SeedTarget(str(log)), samples=3, seed=7, store=tmp_path / "ray.db",
                         executor=RayExecutor(workers=2))
    assert len(log.read_text().splitlines()) == 180  # nothing generated
    assert all(s.pop("cached") for c in again["cases"] for s in c["samples"])
    for c in local["cases"]:
        for s in c["samples"]:
            s.pop("cached")
    assert _comparable(again) == _comparable(local)


def test_ray_resumes_a_partial_run_generating_only_the_missing_samples(cluster, tmp_path, monkeypatch):
    from seedtarget import SeedTarget

    monkeypatch.chdir(tmp_path)
    suite = _suite(tmp_path / "s.yaml", 20)
    log = tmp_path / "gen.log"
    full = run_document([suite], SeedTarget(str(log)), samples=2, store=tmp_path / "a.db", cache=False)
    st = Store(tmp_path / "a.db")  # make it a run that was killed half-way
    with st.db:
        st.db.execute("DELETE FROM samples WHERE case_id >= 'c010'")
        st.db.execute("UPDATE runs SET status = 'running', finished = NULL")
    st.close()
    log.write_text("")
    resumed = run_document([suite], SeedTarget(str(log)), samples=2, store=tmp_path / "a.db", cache=False,
                           executor=RayExecutor(workers=2))
    assert resumed["run_id"] == full["run_id"]
    assert sorted(log.read_text().splitlines()) == sorted(f"c{i:03d}#{k}" for i in range(10, 20) for k in range(2))
    assert _comparable(resumed) == _comparable(full)


def test_a_killed_ray_worker_loses_nothing_and_only_its_chunk_runs_again(cluster, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    n, batch = 200, 64  # py: targets run chunks of 64: four chunks, one of which kills its worker
    suite = _suite(tmp_path / "s.yaml", n)
    executor = RayExecutor(workers=2)
    far = run_document([suite], "py:dieonce:answer", store=tmp_path / "ray.db", executor=executor)
    assert (cluster / "died").exists()  # a worker did die mid-chunk
    # the dead worker's running chunk and the one queued behind it (2 calls per worker) go elsewhere
    assert executor.replaced_workers == 1 and set(executor.failures) == {"ActorDiedError"}
    assert 1 <= executor.retried_chunks == len(executor.failures) <= executor.calls_per_worker
    calls = [int(line.split()[-1]) for line in (cluster / "calls.log").read_text().splitlines()]
    assert set(calls) == set(range(n))  # nothing lost
    # Only samples of the dead worker's chunk can run again (those it finished in the instant before
    # dying, not yet sent); no other chunk ever ran twice.
    again = {i for i in calls if calls.count(i) > 1}
    assert len(calls) == n + len(again) and len({i // batch for i in again}) <= 1
    assert sum(len(c["samples"]) for c in far["cases"]) == n and far["status"] == "done"  # stored once each
    local = run_document([suite], "py:dieonce:answer", store=tmp_path / "local.db")
    assert _comparable(far) == _comparable(local)


def test_what_a_dying_worker_finished_is_stored_and_never_generated_again(cluster, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    n = 200  # four chunks of 64; the worker answering "question 5" dies after the rest of its chunk
    suite = _suite(tmp_path / "s.yaml", n)
    executor = RayExecutor(workers=2)
    far = run_document([suite], "py:dieafter:answer", store=cluster / "stream.db", executor=executor)
    assert (cluster / "died-after").exists() and executor.replaced_workers == 1
    calls = (cluster / "after.log").read_text().splitlines()
    assert sorted(calls) == sorted(f"question {i}" for i in range(n))  # each sample generated exactly once
    # Of the dead worker's chunk only the unfinished sample went again (plus any chunk still queued there).
    assert executor.resent_samples % 64 == 1
    assert sum(len(c["samples"]) for c in far["cases"]) == n and far["status"] == "done"
    local = run_document([suite], "py:dieafter:answer", store=tmp_path / "local.db")
    assert _comparable(far) == _comparable(local)


def test_the_runs_judge_grades_on_the_ray_workers(cluster, tmp_path, monkeypatch):
    from seedtarget import SeedTarget

    monkeypatch.chdir(tmp_path)
    lines = ["name: judged", "cases:"]
    for i in range(12):
        lines += [f"  - id: j{i:02d}", f"    input: question {i}",
                  "    graders: [{type: llm_judge, rubric: says ok, model: default}]"]
    suite = tmp_path / "j.yaml"
    suite.write_text("\n".join(lines) + "\n")
    log = cluster / "judge.log"
    local = run_document([suite], SeedTarget(str(tmp_path / "g.log")), store=tmp_path / "l.db", judge="py:judgemod:judge")
    log.write_text("")
    far = run_document([suite], SeedTarget(str(tmp_path / "g.log")), store=tmp_path / "r.db", judge="py:judgemod:judge",
                       executor=RayExecutor(workers=2))
    assert _comparable(far) == _comparable(local) and 0 < far["metrics"]["pass_rate"]["mean"] < 1
    pids = set(log.read_text().split())
    assert len(log.read_text().split()) == 12 and str(os.getpid()) not in pids  # judged on the workers


def test_regrade_on_ray_gives_the_local_regrade_even_when_a_grading_worker_dies(cluster, tmp_path, monkeypatch):
    from seedtarget import SeedTarget

    from gradeloop.cli import main
    from gradeloop.run import build_run_json
    from gradeloop.run.regrade import regrade

    monkeypatch.chdir(tmp_path)
    lines = ["name: rj", "cases:"]
    for i in range(40):
        lines += [f"  - id: r{i:02d}", f"    input: question {i}", "    graders: [{type: contains, value: 'ok'}]"]
    suite = tmp_path / "r.yaml"
    suite.write_text("\n".join(lines) + "\n")
    run_document([suite], SeedTarget(str(tmp_path / "g.log")), samples=2, store=tmp_path / "r.db")
    # The suite's graders change after the run: regrade applies the new ones to the stored outputs.
    suite.write_text(suite.read_text().replace("[{type: contains, value: 'ok'}]",
                                               "[{type: llm_judge, rubric: says ok, model: default}]"))
    store = Store(tmp_path / "r.db")
    try:
        run_id = store.db.execute("SELECT run_id FROM runs").fetchone()[0]
        local = build_run_json(store, regrade(store, run_id, judge_factory=make_judge_factory("py:judgemod:judge")))
        log = cluster / "judge.log"
        log.write_text("")
        executor = RayExecutor(workers=2)
        far_id = regrade(store, run_id, judge_factory=make_judge_factory("py:judgemod:judge_dies_once"),
                         executor=executor, chunk_size=10)
        far = build_run_json(store, far_id)
    finally:
        store.close()
    assert (cluster / "judge-died").exists() and executor.replaced_workers == 1
    assert 1 <= executor.retried_chunks <= executor.calls_per_worker  # its running chunk, and one queued there
    assert _comparable(far) == _comparable(local) and 0 < far["metrics"]["pass_rate"]["mean"] < 1
    assert len(log.read_text().split()) >= 80 and str(os.getpid()) not in set(log.read_text().split())
    # The command line: --executor ray and --judge reach regrade.
    assert main(["regrade", run_id, "--store", str(tmp_path / "r.db"), "--executor", "ray", "--ray-workers", "2",
                 "--judge", "py:judgemod:judge", "--json", str(tmp_path / "cli.json")]) in (0, None)
    assert _comparable(json.loads((tmp_path / "cli.json").read_text())) == _comparable(local)


def test_a_lost_machine_loses_nothing_and_the_run_ends_on_the_machines_left(cluster, ray_nodes, tmp_path,
                                                                            monkeypatch):
    import threading

    monkeypatch.chdir(tmp_path)
    n = 200
    suite = _suite(tmp_path / "s.yaml", n)
    marker = cluster / "node-doomed"
    removed: list[str] = []
    run_over = threading.Event()

    def take_the_node_away() -> None:  # the test's hand on the machine's power switch
        # Waits as long as the run goes on (the call that writes the marker waits for this hand), so a
        # slow start of the workers cannot leave "question 70" waiting 600 s for a hand that gave up.
        while not run_over.is_set():
            if marker.exists() and marker.read_text():
                doomed = marker.read_text()
                node = next(x for x in ray_nodes.list_all_nodes() if x.node_id == doomed)
                ray_nodes.remove_node(node)
                removed.append(doomed)
                return
            run_over.wait(0.05)

    hand = threading.Thread(target=take_the_node_away, daemon=True)
    hand.start()
    # No capacity is left for a replacement worker: the run goes on on the one machine left.
    executor = RayExecutor(address=ray_nodes.address, workers=2)
    try:
        far = run_document([suite], "py:nodeloss:answer", store=tmp_path / "ray.db", executor=executor)
    finally:
        run_over.set()
        hand.join(timeout=60)
        ray_nodes.add_node(num_cpus=1, wait=False)  # give the module its two worker machines back
        ray_nodes.wait_for_nodes(timeout=NODE_START_GUARD_S)
    assert removed and executor.replaced_workers >= 1 and executor.resent_samples >= 1
    calls = (cluster / "nodeloss.log").read_text().splitlines()
    assert sorted(set(calls)) == sorted(f"question {i}" for i in range(n))  # nothing lost
    assert len(calls) - n <= 64  # only samples of the lost machine's chunk can run twice
    assert sum(len(c["samples"]) for c in far["cases"]) == n and far["status"] == "done"
    local = run_document([suite], "py:nodeloss:answer", store=tmp_path / "local.db")
    assert _comparable(far) == _comparable(local)


class _Unloadable:
    """A target that cannot be rebuilt on a worker (its unpickling fails there, as a missing module would)."""

    spec = "unloadable"
    batch_size = 4

    def fingerprint(self):
        return "unloadable-v1"

    async def generate(self, requests):
        raise AssertionError("never called")

    async def aclose(self):
        pass

    def __reduce__(self):
        return (_fail_on_worker, ())


def _fail_on_worker():
    raise RuntimeError("the target cannot load on this worker")


def test_workers_that_cannot_start_are_one_error_and_more_workers_than_the_cluster_holds_is_fine(
        cluster, tmp_path, monkeypatch, capsys):
    from seedtarget import SeedTarget

    from gradeloop.errors import InputError

    monkeypatch.chdir(tmp_path)
    suite = _suite(tmp_path / "s.yaml", 8)
    with pytest.raises(InputError, match="no Ray worker could start: .*the target cannot load on this worker"):
        run_document([suite], _Unloadable(), store=tmp_path / "bad.db", executor=RayExecutor(workers=2))
    # Five workers asked of a cluster with room for two: the two that are placed do all the work.
    log = tmp_path / "g.log"
    executor = RayExecutor(workers=5)
    doc = run_document([suite], SeedTarget(str(log)), samples=2, store=tmp_path / "ok.db", executor=executor)
    assert doc["status"] == "done" and len(log.read_text().splitlines()) == 16
    assert 1 <= len(executor.worker_peak_rss_mb) <= 2  # only workers that were up (placed) did work


def test_a_key_set_only_where_gradeloop_runs_is_named_when_the_workers_lack_it(cluster, tmp_path, monkeypatch):
    from seedtarget import SeedTarget

    from gradeloop.errors import InputError

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GL_TEST_ONLY_HERE_KEY", "s3cret-value")  # the worker nodes started without it
    target = SeedTarget(str(tmp_path / "g.log"))
    target.key_env = "GL_TEST_ONLY_HERE_KEY"
    with pytest.raises(InputError) as err:
        run_document([_suite(tmp_path / "s.yaml", 4)], target, store=tmp_path / "k.db", executor=RayExecutor(workers=2))
    assert "$GL_TEST_ONLY_HERE_KEY is set where gradeloop runs but not on this Ray worker" in str(err.value)
    assert "s3cret-value" not in str(err.value)


def test_the_job_ray_records_never_holds_a_password_from_the_command_line(tmp_path):
    import subprocess
    import sys

    script = ("from gradeloop.run.ray_executor import RayExecutor\n"
              "ex = RayExecutor(init_kwargs={'num_cpus': 1})\n"
              "ray = ex._connect()\n"
              "print('ENTRY', [j.get('Entrypoint') for j in ray._private.state.jobs()])\n"
              "ex._release_ray()\n")
    (tmp_path / "driver.py").write_text(script)
    env = dict(os.environ, RAY_ADDRESS="local")  # a Ray of its own, started by the executor
    out = subprocess.run([sys.executable, "driver.py", "--store", "postgresql://gl:Sup3rSecret@db:5432/evals"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    entry = next(line for line in out.stdout.splitlines() if line.startswith("ENTRY"))
    assert "postgresql://***@db:5432/evals" in entry and "Sup3rSecret" not in entry


def test_an_unreachable_ray_address_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    from gradeloop.cli import main

    monkeypatch.chdir(tmp_path)
    suite = _suite(tmp_path / "s.yaml", 2)
    (tmp_path / "r.jsonl").write_text('{"case_id": "c000", "output": "ok"}\n')
    assert main(["eval", str(suite), "-t", "replay:r.jsonl", "--executor", "ray", "--ray-address", "127.0.0.1:1",
                 "--store", "x.db"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot reach the Ray cluster at 127.0.0.1:1" in err[0]
    assert not (tmp_path / "x.db").exists()  # refused before any run was created
    assert main(["eval", str(suite), "-t", "replay:r.jsonl", "--executor", "nope"]) == 2


def test_the_sequential_gate_on_ray_decides_as_on_this_process(cluster, tmp_path, monkeypatch):
    from seedtarget import SeedTarget

    from gradeloop.gate.sequential import sequential_gate
    from gradeloop.run import RunConfig
    from gradeloop.suite import load_suites

    monkeypatch.chdir(tmp_path)
    suite = _suite(tmp_path / "s.yaml", 40)
    base = run_document([suite], SeedTarget(str(tmp_path / "b.log")), samples=2, seed=1, store=tmp_path / "b.db")
    results = {}
    for name, make in (("local", None), ("ray", lambda: RayExecutor(workers=2))):
        store = Store(tmp_path / f"{name}.db")
        try:
            results[name] = sequential_gate(base, load_suites([str(suite)]), SeedTarget(str(tmp_path / f"{name}.log")),
                                            store, round_size=20, seed=3, config=RunConfig(samples=2, seed=3),
                                            executor=make)
        finally:
            store.close()
    for key in ("verdict", "decision"):
        assert results["ray"][key] == results["local"][key]
    assert [r["cases_used"] for r in results["ray"]["rounds"]] == [r["cases_used"] for r in results["local"]["rounds"]]
    assert sorted((tmp_path / "ray.log").read_text().splitlines()) == sorted(
        (tmp_path / "local.log").read_text().splitlines())  # the same samples generated, once each
