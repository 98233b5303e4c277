"""gradeloop.evaluate / compare / load_suites: one call, typed results, today's JSON schemas."""
from __future__ import annotations

import json
import re
import sys
import warnings

import pytest

import gradeloop
from gradeloop.errors import InputError
from gradeloop.results import RunResult

SUITE = """name: s
thresholds: {min_pass_rate: 0.5}
cases:
  - id: a
    input: hi
    tags: {locale: en}
    graders: [{type: contains, value: hello}]
  - id: b
    input: yo
    tags: {locale: fr}
    graders: [{type: contains, value: hello}]
"""


@pytest.fixture
def project(workdir, monkeypatch):
    (workdir / "s.yaml").write_text(SUITE)
    (workdir / "app_api.py").write_text(
        "def answer(prompt):\n    return 'hello there' if prompt == 'hi' else 'bye'\n"
        "def good(prompt):\n    return 'hello'\n")
    monkeypatch.syspath_prepend(str(workdir))
    yield workdir
    for name in ("app_api",):
        sys.modules.pop(name, None)


def test_evaluate_returns_a_typed_run_with_estimates(project):
    run = gradeloop.evaluate("s.yaml", "py:app_api:answer", store="x.db")
    assert isinstance(run, RunResult) and run.status == "done"
    assert isinstance(run.pass_rate, gradeloop.Estimate) and run.pass_rate.mean == 0.5
    assert run.pass_rate.n_cases == 2 and run.pass_rate.ci_low < 0.5 < run.pass_rate.ci_high
    assert run.slices["locale=en"].pass_rate.mean == 1.0 and run.slices["locale=fr"].pass_rate.mean == 0.0
    assert [c.id for c in run.failing_cases] == ["b"]
    failing = run.case("b").first_failure
    assert failing is not None and failing.output == "bye" and "hello" in failing.first_reason
    assert run.suites[0].threshold is not None and run.suites[0].threshold.passed and run.passed


def test_to_json_keeps_the_run_schema_and_round_trips(project):
    run = gradeloop.evaluate("s.yaml", "py:app_api:answer", store="x.db")
    doc = run.to_json()
    assert doc["schema"] == "gradeloop.run/v1" and {c["id"] for c in doc["cases"]} == {"a", "b"}
    doc["cases"].clear()  # a copy: the result itself is not changed
    assert len(run.cases) == 2
    again = RunResult.from_json(json.dumps(run.to_json()))
    assert again == run and again.to_json() == run.to_json()


def test_from_json_keeps_fields_it_does_not_know(project):
    doc = gradeloop.evaluate("s.yaml", "py:app_api:answer", store="x.db").to_json()
    doc["added_later"] = {"x": 1}
    doc["suites"][0]["thresholds_result"]["verdict"] = "inconclusive"
    run = RunResult.from_json(doc)
    assert run.to_json()["added_later"] == {"x": 1}
    assert run.threshold_failures == ["s"] and not run.passed  # inconclusive never passes


def test_from_json_refuses_other_documents(workdir):
    with pytest.raises(InputError, match="gradeloop.run/v1"):
        RunResult.from_json({"schema": "gradeloop.compare/v1"})
    (workdir / "bad.json").write_text("{not json")
    with pytest.raises(InputError, match="malformed JSON"):
        RunResult.from_json(workdir / "bad.json")


def test_suites_may_be_suite_objects_and_paths(project):
    suite = gradeloop.load_suites("s.yaml")[0]
    other = type(suite)(name="t", cases=suite.cases[:1], version="v-t")
    run = gradeloop.evaluate([other, "s.yaml"], "py:app_api:answer", store="x.db")
    assert sorted(s.name for s in run.suites) == ["s", "t"]
    with pytest.raises(InputError, match="named 's'"):
        gradeloop.load_suites([suite, "s.yaml"])


def test_compare_gives_a_typed_comparison(project):
    (project / "many.yaml").write_text("name: m\ncases:\n" + "".join(
        f"  - id: c{i}\n    input: q{i}\n    graders: [{{type: contains, value: hello}}]\n" for i in range(30)))
    base = gradeloop.evaluate("many.yaml", "py:app_api:good", store="x.db")
    cand = gradeloop.evaluate("many.yaml", "py:app_api:answer", store="x.db")
    cmp = gradeloop.compare(base, cand)
    assert cmp.verdict == "fail" and not cmp.passed and cmp.diff is not None and cmp.diff.mean == -1.0
    assert cmp.to_json()["schema"] == "gradeloop.compare/v1"
    assert len(cmp.regressed) == 20 and cmp.to_json()["cases_changed"]["n_regressed"] == 30  # the 20 largest
    worst = cmp.regressed[0]
    assert (worst.case, worst.baseline, worst.candidate, worst.change) == ("m/c0", 1.0, 0.0, -1.0)
    assert worst.output is not None and cmp.improved == ()
    assert gradeloop.compare(base, base).passed


def test_a_case_that_grades_nothing_warns(project):
    (project / "empty.yaml").write_text("name: e\ncases:\n  - id: x\n    input: hi\n    expect: refuse\n")
    with pytest.warns(gradeloop.GradeloopWarning, match="grade nothing.*expect"):
        run = gradeloop.evaluate("empty.yaml", "py:app_api:answer", store="x.db")
    assert run.case("x").first_failure.first_reason == "no grader judged this output"


def test_default_judge_callable_answers_llm_judge_graders(project):
    (project / "j.yaml").write_text(
        "name: j\ncases:\n  - id: a\n    input: hi\n"
        "    graders: [{type: llm_judge, rubric: says hello, model: default}]\n")
    seen = []

    def judge(prompt: str) -> str:
        nonce = re.search(r"<<<OUTPUT-([0-9a-f]+)>>>", prompt).group(1)
        seen.append(prompt)
        return json.dumps({"verdict_id": nonce, "reasoning": "ok", "score": 1, "passed": True, "confidence": 1})

    run = gradeloop.evaluate("j.yaml", "py:app_api:answer", store="x.db", judge=judge)
    assert run.pass_rate.mean == 1.0 and len(seen) == 1 and "hello there" in seen[0]
    with pytest.raises(InputError, match="default judge"):
        gradeloop.evaluate("j.yaml", "py:app_api:answer", store="y.db")


def test_version_and_exports():
    assert re.match(r"\d+\.\d+", gradeloop.__version__)
    for name in gradeloop.__all__:
        assert getattr(gradeloop, name) is not None
    with pytest.raises(AttributeError):
        gradeloop.not_a_name  # noqa: B018


def test_bad_arguments_are_input_errors(project):
    with pytest.raises(InputError, match="samples"):
        gradeloop.evaluate("s.yaml", "py:app_api:answer", samples=0)
    with pytest.raises(InputError, match="unknown target spec 'nope'"):
        gradeloop.evaluate("s.yaml", "nope")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError, match="no suite"):
            gradeloop.evaluate([], "py:app_api:answer")
