"""Typed views of the run, compare and tune documents: tolerant of added fields, strict on the schema."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.results import CaseResult, Comparison, RunResult, SampleResult, TuneReport

EST = {"mean": 0.5, "stderr": 0.1, "ci_low": 0.3, "ci_high": 0.7, "n_cases": 10, "n_samples": 10, "level": 0.95}


def test_tune_report_reads_iterations_and_final_changes():
    doc = {"schema": "gradeloop.tune/v1", "base": {"spec": "hf:tiny"}, "future_field": 1,
           "iterations": [{"iteration": 1, "strategy": "grpo", "kept": False, "reasons": ["holdout fell"],
                           "gate": {"verdict": "fail"}},
                          {"iteration": 2, "strategy": "grpo", "kept": True, "gate": {"verdict": "pass"}}],
           "final": {"adapter": "a2", "holdout_improvement": EST,
                     "guard_changes": {"guard": {"diff": EST, "verdict": "no significant change"}}}}
    rep = TuneReport.from_json(doc)
    assert rep.base == "hf:tiny" and [i.kept for i in rep.iterations] == [False, True]
    assert rep.iterations[0].verdict == "fail" and rep.iterations[0].reasons == ("holdout fell",)
    assert rep.adapter == "a2" and rep.holdout_improvement.mean == 0.5 and rep.guard_changes["guard"].ci_low == 0.3
    assert rep.to_json()["future_field"] == 1


def test_comparison_fails_closed_on_anything_but_pass():
    doc = {"schema": "gradeloop.compare/v1", "baseline": {"run_id": "b"}, "candidate": {"run_id": "c"},
           "overall": {"n_cases": 3, "baseline": EST, "candidate": EST, "diff": None, "verdict": "untested"},
           "slices": {}, "graders": {}, "checks": [], "verdict": "inconclusive", "failing": []}
    cmp = Comparison.from_json(doc)
    assert not cmp.passed and cmp.diff is None and cmp.overall.verdict == "untested"


def test_samples_say_why_they_did_not_pass():
    errored = SampleResult.from_json({"index": 0, "output": None, "passed": None, "score": None,
                                      "error": "timeout", "error_kind": "target"})
    failed = SampleResult.from_json({"index": 1, "output": "x", "passed": 0, "score": 0.0, "grades": [
        {"grader": "a", "passed": True, "score": 1, "reason": ""},
        {"grader": "b", "passed": False, "score": 0, "reason": "missing 'y'"}]})
    assert errored.first_reason == "timeout" and failed.first_reason == "b: missing 'y'" and failed.passed is False
    case = CaseResult("s", "c", {}, 0.0, (failed, errored))
    assert not case.passed and case.errored and case.first_failure is failed


def test_a_run_that_did_not_finish_never_passes():
    doc = {"schema": "gradeloop.run/v1", "run_id": "r", "status": "running", "target": {"spec": "x"},
           "suites": [], "samples_per_case": 1, "metrics": {"pass_rate": EST, "score": EST}, "slices": {}}
    run = RunResult.from_json(doc)
    assert not run.passed and run.cases == () and run.pass_rate.mean == 0.5


def test_bad_estimates_are_input_errors_naming_the_field():
    doc = {"schema": "gradeloop.run/v1", "metrics": {"pass_rate": {**EST, "mean": "high"}}}
    with pytest.raises(InputError, match="metrics.pass_rate.mean"):
        RunResult.from_json(doc)
