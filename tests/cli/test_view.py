"""`gradeloop view` binding rules, `labels export` and `judge validate` from the command line."""
from __future__ import annotations

import json

import pytest

from gradeloop.cli import main
from gradeloop.cli.view import is_loopback
from gradeloop.labels import add_label
from gradeloop.run.store import Store
from tests.view.storebuild import add_run, two_runs


@pytest.fixture
def served(monkeypatch):
    """uvicorn.run replaced by a recorder: these tests check what would be served, not serve it."""
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    return calls


@pytest.fixture
def store(workdir):
    path = workdir / ".gradeloop" / "gradeloop.db"
    two_runs(path)
    return path


@pytest.mark.parametrize("host, loop", [("127.0.0.1", True), ("127.8.0.1", True), ("localhost", True),
                                        ("::1", True), ("[::1]", True), ("0.0.0.0", False), ("::", False),
                                        ("192.168.1.5", False), ("example.org", False)])
def test_is_loopback(host, loop):
    assert is_loopback(host) is loop


def test_view_binds_loopback_by_default(store, served, capsys):
    assert main(["view"]) == 0
    assert served[0]["host"] == "127.0.0.1" and served[0]["port"] == 8765
    assert "http://127.0.0.1:8765/" in capsys.readouterr().out


def test_non_loopback_host_is_refused_without_the_flag(store, served, capsys):
    assert main(["view", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--allow-remote" in err and "Traceback" not in err
    assert served == []


def test_non_loopback_host_with_the_flag_warns(store, served, capsys):
    assert main(["view", "--host", "0.0.0.0", "--allow-remote", "--port", "9000"]) == 0
    assert served[0]["host"] == "0.0.0.0" and served[0]["port"] == 9000
    assert "warning:" in capsys.readouterr().err


def test_view_without_a_store_is_one_line(workdir, served, capsys):
    assert main(["view", "--store", "missing.db"]) == 2
    err = capsys.readouterr().err
    assert "missing.db" in err and err.count("\n") == 1
    assert served == [] and not (workdir / "missing.db").exists()


def test_labels_export_and_judge_validate(store, workdir, capsys):
    st = Store(store)
    # a judge that agrees with humans on 36 of 40 reviews: the reviewer marks 4 grades wrong
    for i in range(20):
        for s in (0, 1):
            add_label(st, "run-base", "math", f"m-{i}", s, "judge", "wrong" if (i, s) in {(1, 0), (17, 1)} else "right",
                      who="ada")
    add_label(st, "run-cand", "math", "m-3", 0, "judge", "wrong", who="ada")
    st.close()
    assert main(["labels", "export", "--out", "all.jsonl"]) == 0
    assert len((workdir / "all.jsonl").read_text().splitlines()) == 41
    assert main(["labels", "export", "--run", "run-base", "--out", "base.jsonl"]) == 0
    lines = [json.loads(x) for x in (workdir / "base.jsonl").read_text().splitlines()]
    assert len(lines) == 40 and lines[0]["schema"] == "gradeloop.labels/v1" and lines[0]["who"] == "ada"
    capsys.readouterr()
    rc = main(["judge", "validate", "--labels", "base.jsonl", "--grader", "judge", "--min-kappa", "0.5",
               "--json", "v.json"])
    out = capsys.readouterr().out
    doc = json.loads((workdir / "v.json").read_text())
    assert doc["confusion"] == {"tp": 31, "fn": 1, "fp": 1, "tn": 7}  # humans: 32 pass, 8 fail
    assert "Cohen's κ" in out and "TPR" in out and "TNR" in out
    assert rc == (0 if doc["kappa"]["ci_low"] >= 0.5 else 1)
    assert doc["verdict"] == ("pass" if rc == 0 else "fail")
    # from the store directly, by run id
    assert main(["judge", "validate", "--labels", "run-base", "--grader", "judge", "--json", "w.json"]) in (0, 1)
    assert json.loads((workdir / "w.json").read_text())["confusion"] == doc["confusion"]
    # one label for run-cand: inconclusive, exit 1
    assert main(["judge", "validate", "--labels", "run-cand", "--grader", "judge"]) == 1
    assert "INCONCLUSIVE" in capsys.readouterr().out


@pytest.mark.parametrize("argv, text", [
    (["labels", "export", "--run", "nope", "--out", "x.jsonl"], "no run 'nope'"),
    (["judge", "validate", "--labels", "run-base", "--grader", "contains"], "no label of grader 'contains'"),
    (["judge", "validate", "--labels", "missing.jsonl", "--grader", "judge"], "missing.jsonl"),
    (["judge", "validate", "--labels", "nope", "--grader", "judge"], "no run 'nope'"),
])
def test_bad_arguments_are_one_line_exit_2(store, capsys, argv, text):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert text in err and err.count("\n") == 1


def test_view_serves_the_store_it_was_given(store, served):
    from fastapi.testclient import TestClient

    st = Store(store)
    add_run(st, "run-third", {("math", "m-0"): [True]})
    st.close()
    assert main(["view", "--store", str(store)]) == 0
    page = TestClient(served[0]["app"], base_url="http://127.0.0.1").get("/").text
    assert "run-third" in page and "run-base" in page


def test_judge_probe_command(workdir, capsys, monkeypatch):
    (workdir / "fairjudge.py").write_text(
        "def judge(prompt):\n    return 'VERDICT: PASS' if 'ok answer' in str(prompt) else 'VERDICT: FAIL'\n")
    monkeypatch.syspath_prepend(str(workdir))
    (workdir / "s.yaml").write_text(
        "name: s\ndefaults:\n  graders: [{type: llm_judge, name: judge, rubric: 'Right?', model: 'py:fairjudge:judge'}]\n"
        "cases:\n" + "".join(f"  - id: c{i}\n    input: q{i}\n" for i in range(6)))
    (workdir / "r.jsonl").write_text("".join(
        json.dumps({"case_id": f"c{i}", "output": "ok answer" if i < 3 else "no"}) + "\n" for i in range(6)))
    assert main(["eval", "s.yaml", "--target", "replay:r.jsonl"]) == 0
    capsys.readouterr()
    assert main(["judge", "probe", "latest", "--grader", "judge", "--repeats", "2", "--json", "p.json"]) == 0
    out = capsys.readouterr().out
    doc = json.loads((workdir / "p.json").read_text())
    assert doc["n_outputs"] == 6 and doc["noise_flip"]["hits"] == 0 and doc["recorded_agreement"]["value"] == 1.0
    assert "verbosity" in out and "position swap: not applicable" in out
    assert main(["judge", "probe", "latest", "--grader", "nope"]) == 2
