"""The engine against a real HTTP server that misbehaves: errors are recorded and excluded, never scored."""
from __future__ import annotations

import json

from gradeloop.cli import main
from gradeloop.run import Engine, RunConfig, Store, build_run_json
from gradeloop.suite import load_suite
from gradeloop.targets import SamplingParams, load_target
from gradeloop.testing import Fault, StubServer


def _suite(path, n=12):
    lines = ["name: faults", "cases:"]
    for i in range(n):
        lines += [f"  - id: c{i}", f"    input: 'question {i} {'BAD' if i < 3 else 'fine'}'",
                  "    graders: [{type: contains, value: question}]"]
    path.write_text("\n".join(lines) + "\n")
    return load_suite(path)


def test_failures_that_survive_retries_are_errors_excluded_from_the_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    suite = _suite(tmp_path / "s.yaml")
    faults = [Fault("status", match="BAD", status=500),  # always fails: 3 cases error out
              Fault("status", match="question 5 ", status=429, retry_after="0", times=1)]  # recovers
    with StubServer(faults=faults) as url:
        target = load_target(f"openai:m@{url};max_attempts=3;backoff=0.01", params=SamplingParams())
        store = Store(tmp_path / "st.db")
        outcome = Engine([suite], target, store, RunConfig()).run()
    run = build_run_json(store, outcome.run_id)
    assert outcome.target_errors == 3
    errs = [c for c in run["cases"] if c["samples"][0]["error_kind"] == "target"]
    assert sorted(c["id"] for c in errs) == ["c0", "c1", "c2"]
    assert all("500" in c["samples"][0]["error"] and c["samples"][0]["passed"] is None for c in errs)
    assert run["metrics"]["errors"]["target"] == 3
    assert run["metrics"]["pass_rate"]["n_cases"] == 9 and run["metrics"]["pass_rate"]["mean"] == 1.0


def test_rerun_is_served_from_cache_and_no_cache_bypasses_it(workdir, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    _suite(workdir / "s.yaml", n=8)
    server = StubServer()
    with server as url:
        args = ["eval", "s.yaml", "--target", f"openai:m@{url}", "--samples", "2", "--temperature", "1", "-q",
                "--json", "r.json"]
        assert main(args) == 0
        assert server.total == 16
        assert main(args) == 0
        assert server.total == 16  # nothing generated again
        assert "16 served from cache" in capsys.readouterr().err
        assert all(s["cached"] for c in json.loads((workdir / "r.json").read_text())["cases"] for s in c["samples"])
        assert main(args + ["--no-cache"]) == 0
        assert server.total == 32
        assert not any(s["cached"] for c in json.loads((workdir / "r.json").read_text())["cases"]
                       for s in c["samples"])
