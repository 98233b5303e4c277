"""The viewer's SQL-aggregated figures equal the run JSON's (same estimates, errors, verdicts)."""
from __future__ import annotations

import pytest

from gradeloop.run.results import build_run_json, build_run_summary
from gradeloop.run.store import Store
from gradeloop.view.figures import grader_rates, run_figures
from tests.view.storebuild import add_run, two_runs


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "s.db"
    two_runs(path)
    st = Store(path)
    suites = {("math", f"m-{i}"): [i % 3 != 0, i % 2 == 0, None if i == 4 else True] for i in range(12)}
    suites.update({("code", f"c-{i}"): [i < 3] for i in range(6)})
    add_run(st, "run-mixed", suites, tags={("code", "c-1"): {"lang": "py", "hard": True}})
    st.create_run("run-empty", "k", "replay:x", "fp", {"samples": 1}, [{"name": "none"}])
    yield st
    st.close()


@pytest.mark.parametrize("run_id", ["run-base", "run-cand", "run-mixed", "run-empty"])
def test_figures_match_the_run_json(store, run_id):
    ours, theirs = run_figures(store, run_id), build_run_summary(store, run_id)
    assert ours["metrics"]["pass_rate"] == theirs["metrics"]["pass_rate"]
    assert ours["metrics"]["errors"] == theirs["metrics"]["errors"]
    assert set(ours["slices"]) == set(theirs["slices"])
    for name, s in theirs["slices"].items():
        assert ours["slices"][name]["pass_rate"] == s["pass_rate"], name
        assert ours["slices"][name]["errors"] == s["errors"], name
    assert [(s["name"], s["verdict"], s["metrics"]["pass_rate"]) for s in ours["suites"]] == \
        [(s["name"], s["verdict"], s["metrics"]["pass_rate"]) for s in theirs["suites"]]
    assert ours["status"] == theirs["status"]


@pytest.mark.parametrize("run_id", ["run-cand", "run-mixed"])
def test_grader_rates_match_the_run_json(store, run_id):
    full = build_run_json(store, run_id)["graders"]
    ours = grader_rates(store, run_id)
    assert set(ours) == set(full)
    for name in full:  # summed in another case order: equal up to rounding
        assert ours[name]["pass_rate"] == pytest.approx(full[name]["pass_rate"], rel=1e-12)


def test_unknown_run_is_none(store):
    assert run_figures(store, "nope") is None


def test_lean_runs_give_the_same_comparison_as_the_full_run_json(store):
    from gradeloop.gate import compare_runs
    from gradeloop.view.figures import lean_run

    full = compare_runs(build_run_json(store, "run-base"), build_run_json(store, "run-cand"), allow_partial=True)
    lean = compare_runs(lean_run(store, "run-base"), lean_run(store, "run-cand"), allow_partial=True)
    for key in ("verdict", "overall", "slices", "graders", "checks", "shared_cases", "partial", "error_messages"):
        assert lean[key] == full[key], key
