from __future__ import annotations

import json
import sys
import textwrap

import pytest

from gradeloop.run import Engine, RunConfig, Store, build_run_json
from gradeloop.suite import load_suite
from gradeloop.targets import load_target

SUITE = textwrap.dedent("""\
    name: arith
    split: dev
    thresholds: {min_pass_rate: 0.5}
    cases:
      - id: a
        input: What is 2+2?
        tags: {intent: math, locale: en}
        graders: [{type: contains, value: "4"}]
      - id: b
        input: What is 3+3?
        tags: {intent: math, locale: fr}
        graders: [{type: contains, value: "6"}]
      - id: c
        input: Say hello
        tags: {intent: chat, locale: en}
        graders: [{type: contains, value: hello}]
    """)


@pytest.fixture
def suite(workdir):
    path = workdir / "arith.yaml"
    path.write_text(SUITE)
    return load_suite(path)


def _replay(workdir, rows):
    path = workdir / "out.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return load_target(f"replay:{path}")


def test_replay_run_metrics_slices_and_errors(workdir, suite):
    target = _replay(workdir, [{"case_id": "a", "output": "It is 4.", "confidence": 0.9},
                               {"case_id": "b", "output": "It is 7."}])  # c has no recorded output
    store = Store(workdir / "s.db")
    outcome = Engine([suite], target, store, RunConfig()).run()
    run = build_run_json(store, outcome.run_id)
    assert run["schema"] == "gradeloop.run/v1"
    assert outcome.target_errors == 1
    m = run["metrics"]
    # c errored: excluded from the numbers, reported apart
    assert m["pass_rate"]["n_cases"] == 2 and m["pass_rate"]["mean"] == pytest.approx(0.5)
    assert m["errors"] == {"target": 1, "grader": 0, "samples": 3, "missing": 0, "planned": 3, "rate": 1 / 3}
    assert run["slices"]["locale=fr"]["errors"]["rate"] >= 0.0
    assert run["error_messages"] == [{"message": "no recorded output for case 'c'", "count": 1}]
    assert run["slices"]["locale=fr"]["pass_rate"]["mean"] == 0.0
    assert run["slices"]["locale=en"]["pass_rate"]["mean"] == 1.0
    case_a = next(c for c in run["cases"] if c["id"] == "a")
    assert case_a["samples"][0]["signals"]["confidence"] == 0.9
    assert case_a["samples"][0]["grades"][0]["passed"] is True
    assert 0.0 <= m["pass_rate"]["ci_low"] <= 0.5 <= m["pass_rate"]["ci_high"] <= 1.0


@pytest.fixture
def importable(workdir, monkeypatch):
    """The working folder on sys.path for this test only, and the modules it imports from there dropped
    after it: nothing a test imports stays behind for the next test in this process (the module below
    counts its calls, so a second import would start mid-count)."""
    monkeypatch.syspath_prepend(str(workdir))
    before = set(sys.modules)
    yield workdir
    for name in set(sys.modules) - before:
        if (getattr(sys.modules[name], "__file__", None) or "").startswith(str(workdir)):
            sys.modules.pop(name, None)


def test_python_target_samples_and_pass_at_k(importable, suite):
    workdir = importable
    mod = workdir / "app_mod.py"
    mod.write_text(textwrap.dedent("""\
        import itertools
        _n = itertools.count()
        def answer(prompt):
            # alternates right and wrong answers so pass@k differs from pass rate
            k = next(_n)
            if "2+2" in prompt:
                return "4" if k % 2 == 0 else "five"
            if "3+3" in prompt:
                return "6"
            return "hello there"
        """))
    target = load_target("py:app_mod:answer")
    target.batch_size = 1  # sequential so the alternation is deterministic
    store = Store(workdir / "s.db")
    outcome = Engine([suite], target, store, RunConfig(samples=4, concurrency=1)).run()
    run = build_run_json(store, outcome.run_id)
    case_a = next(c for c in run["cases"] if c["id"] == "a")
    assert case_a["pass_rate"] == 0.5
    assert "pass@2" in run["metrics"] and "pass^4" in run["metrics"]
    # case a: n=4, c=2 → pass@2 = 1 - C(2,2)/C(4,2) = 5/6; b and c always pass
    assert run["metrics"]["pass@2"]["mean"] == pytest.approx((5 / 6 + 1 + 1) / 3)
    assert run["metrics"]["pass^4"]["mean"] == pytest.approx(2 / 3)


def test_async_python_target_and_exceptions_are_sample_errors(importable, suite):
    workdir = importable
    mod = workdir / "async_mod.py"
    mod.write_text(textwrap.dedent("""\
        async def answer(prompt):
            if "hello" in prompt.lower():
                raise RuntimeError("backend down")
            return "4 6"
        """))
    store = Store(workdir / "s.db")
    outcome = Engine([suite], load_target("py:async_mod:answer"), store, RunConfig()).run()
    run = build_run_json(store, outcome.run_id)
    c = next(c for c in run["cases"] if c["id"] == "c")
    assert c["samples"][0]["error"] == "RuntimeError: backend down"
    assert c["samples"][0]["passed"] is None
    assert run["metrics"]["pass_rate"]["mean"] == 1.0


def test_same_command_resumes_unfinished_run(workdir, suite):
    target = _replay(workdir, [{"case_id": i, "output": "4 6 hello"} for i in "abc"])
    store = Store(workdir / "s.db")
    engine = Engine([suite], target, store, RunConfig(samples=2))
    run_id, resumed, work, done = engine.prepare()  # a run that was created, then "killed"
    assert not resumed and done == 0 and len(work) == 6
    outcome = Engine([suite], target, store, RunConfig(samples=2)).run()
    assert outcome.run_id == run_id and outcome.resumed
    again = Engine([suite], target, store, RunConfig(samples=2)).run()
    assert again.run_id != run_id and not again.resumed  # a finished run is not reopened
