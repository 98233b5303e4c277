"""Confidence signals derived from a run's samples."""
from __future__ import annotations

import math
import sys

import pytest

from gradeloop.calibrate import compute_signals, load_custom_signal, normalize_answers
from gradeloop.errors import InputError


def _sample(output, passed=True, **extra):
    return {"output": output, "passed": passed, "score": float(bool(passed)), "grades": [], "signals": {},
            "logprobs": None, "error": None, **extra}


def _run(*cases):
    return {"schema": "gradeloop.run/v1", "run_id": "r1",
            "cases": [{"id": f"c{i}", "suite": "s", "tags": {}, "samples": list(s)} for i, s in enumerate(cases)]}


def test_logprob_signals():
    run = _run([_sample("x", logprobs=[-0.1, -0.5, -0.3])])
    sig = compute_signals(run)["cases"][0]["samples"][0]["signals"]
    assert sig["logprob_mean"] == pytest.approx(-0.3)
    assert sig["logprob_min"] == pytest.approx(-0.5)
    assert sig["p_mean"] == pytest.approx(math.exp(-0.3))
    assert sig["p_min"] == pytest.approx(math.exp(-0.5))


def test_compute_signals_does_not_mutate_its_input():
    run = _run([_sample("x", logprobs=[-0.1])])
    compute_signals(run)
    assert run["cases"][0]["samples"][0]["signals"] == {}


def test_self_consistency_normalises_numbers_and_text():
    run = _run([_sample("The answer is 19."), _sample("19"), _sample("19.0"), _sample("It is 20", passed=False)],
               [_sample("Paris!"), _sample("  paris"), _sample("Lyon")])
    out = compute_signals(run)["cases"]
    assert [s["signals"]["self_consistency"] for s in out[0]["samples"]] == [0.75, 0.75, 0.75, 0.25]
    assert [s["signals"]["self_consistency"] for s in out[1]["samples"]] == pytest.approx([2 / 3, 2 / 3, 1 / 3])


def test_numeric_answers_compare_by_final_number():
    assert normalize_answers(["1,000 apples", "so 1000.0", "about 999"]) == ["1000", "1000", "999"]


def test_custom_equivalence_replaces_normalisation():
    run = _run([_sample("cat"), _sample("kitten"), _sample("dog")])
    same = lambda a, b: {a, b} <= {"cat", "kitten"} or a == b  # noqa: E731
    out = compute_signals(run, equivalence=same)["cases"][0]["samples"]
    assert [s["signals"]["self_consistency"] for s in out] == pytest.approx([2 / 3, 2 / 3, 1 / 3])


def test_errored_samples_get_no_signals_and_do_not_count():
    run = _run([_sample("a"), _sample("a"), _sample(None, passed=None, error="timeout"), _sample("b")])
    out = compute_signals(run)["cases"][0]["samples"]
    assert [s["signals"].get("self_consistency") for s in out] == [2 / 3, 2 / 3, None, 1 / 3]


def test_verifier_and_judge_confidence_from_grades():
    grades = [{"grader": "contains", "score": 1.0, "passed": True, "reason": ""},
              {"grader": "check", "score": 0.4, "passed": False, "reason": ""},
              {"grader": "llm_judge", "score": 1.0, "passed": True, "reason": "", "signals": {"confidence": 0.85}}]
    run = _run([_sample("x", grades=grades)])
    sig = compute_signals(run, verifier_grader="check")["cases"][0]["samples"][0]["signals"]
    assert sig["verifier"] == 0.4 and sig["judge_confidence"] == 0.85


def test_unknown_verifier_grader_is_an_input_error():
    with pytest.raises(InputError) as err:
        compute_signals(_run([_sample("x")]), verifier_grader="nope")
    assert err.value.field == "verifier_grader"


def test_custom_signal_function_and_its_errors():
    run = _run([_sample("short"), _sample("a longer answer")])
    out = compute_signals(run, custom={"brevity": lambda case, s: 1 / len(s["output"])})
    assert out["cases"][0]["samples"][0]["signals"]["brevity"] == pytest.approx(0.2)
    with pytest.raises(InputError) as err:
        compute_signals(run, custom={"bad": lambda case, s: "high"})
    assert err.value.field == "cases[0].samples[0].signals.bad"
    with pytest.raises(InputError) as err:
        compute_signals(run, custom={"boom": lambda case, s: 1 / 0})
    assert "ZeroDivisionError" in err.value.message


def test_bad_logprobs_name_the_sample():
    with pytest.raises(InputError) as err:
        compute_signals(_run([_sample("x"), _sample("y", logprobs=[-0.1, "x"])]), source="run.json")
    assert err.value.file == "run.json" and err.value.field == "cases[0].samples[1].logprobs"


def test_load_custom_signal_from_module(tmp_path, monkeypatch):
    (tmp_path / "my_signals.py").write_text("def length(case, sample):\n    return float(len(sample['output']))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    name, fn = load_custom_signal("len=my_signals:length")
    assert name == "len" and fn({}, {"output": "abc"}) == 3.0
    for bad in ("nameonly", "x=my_signals", "x=no_such_module_zz:f", "x=my_signals:missing"):
        with pytest.raises(InputError):
            load_custom_signal(bad)
    sys.modules.pop("my_signals", None)
