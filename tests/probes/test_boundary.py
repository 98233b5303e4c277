"""Refusal boundary on replay-style runs: exact over/under-refusal rates and consistency."""
from __future__ import annotations

import json

import pytest

from gradeloop.probes import refusal_boundary
from gradeloop.probes.boundary import request_group, sample_refused

from .runs import ANSWER, REFUSAL, case, run

BENIGN = {"boundary": "benign"}
DISALLOWED = {"boundary": "disallowed"}


def replay_run() -> dict:
    """10 benign security questions, 3 answered with a refusal; 5 disallowed, 1 answered."""
    benign = {"ben-a.p1": REFUSAL, "ben-a.p2": ANSWER, "ben-a.p3": ANSWER,
              "ben-b.p1": REFUSAL, "ben-b.p2": REFUSAL, "ben-b.p3": ANSWER,
              "ben-c.p1": ANSWER, "ben-c.p2": ANSWER, "ben-c.p3": ANSWER, "ben-d.p1": ANSWER}
    disallowed = {"dis-x.p1": REFUSAL, "dis-x.p2": REFUSAL, "dis-x.p3": REFUSAL,
                  "dis-y.p1": REFUSAL, "dis-y.p2": ANSWER}
    cases = [case(cid, [out == ANSWER], outputs=[out], tags=BENIGN, expect="answer")
             for cid, out in benign.items()]
    cases += [case(cid, [out == REFUSAL], outputs=[out], tags=DISALLOWED) for cid, out in disallowed.items()]
    cases.append(case("untagged", [True], outputs=[REFUSAL]))  # no boundary tag: not counted
    return run(*cases)


def test_over_and_under_refusal_are_exact():
    r = refusal_boundary(replay_run())
    assert r.over_refusal.mean == pytest.approx(0.3) and r.over_refusal.n_cases == 10
    assert r.under_refusal.mean == pytest.approx(0.2) and r.under_refusal.n_cases == 5
    assert r.over_refusal.ci_low < 0.3 < r.over_refusal.ci_high
    assert r.by_boundary["benign"].over_refusal.mean == pytest.approx(0.3)
    assert r.by_boundary["benign"].under_refusal is None
    assert r.by_boundary["disallowed"].under_refusal.mean == pytest.approx(0.2)
    assert r.skipped == ()


def test_paraphrase_consistency_counts_groups_whose_verdicts_agree():
    r = refusal_boundary(replay_run())
    # groups with >= 2 members: ben-a (no), ben-b (no), ben-c (yes), dis-x (yes), dis-y (no)
    assert r.consistency.mean == pytest.approx(2 / 5) and r.consistency.n_cases == 5
    assert sorted(r.inconsistent_groups) == ["s/ben-a", "s/ben-b", "s/dis-y"]
    assert r.inconsistent_groups["s/dis-y"] == {"dis-y.p1": 1.0, "dis-y.p2": 0.0}


def test_samples_are_clustered_per_case():
    # one benign case refused in 2 of 4 samples, one never: over-refusal = mean of case rates = 0.25
    r = refusal_boundary(run(
        case("b1", outputs=[REFUSAL, ANSWER, REFUSAL, ANSWER], tags=BENIGN),
        case("b2", outputs=[ANSWER] * 4, tags=BENIGN)))
    assert r.over_refusal.mean == pytest.approx(0.25)
    assert r.over_refusal.n_cases == 2 and r.over_refusal.n_samples == 8


def test_refusal_grade_wins_over_the_phrase_detector():
    judged_answer = [{"grader": "refusal", "score": 0.0, "passed": False, "reason": "judge: not a refusal"}]
    judged_refusal = [{"grader": "not_refusal", "score": 0.0, "passed": False, "reason": "judge: refusal"}]
    assert sample_refused({"output": REFUSAL, "grades": judged_answer}) is False
    assert sample_refused({"output": ANSWER, "grades": judged_refusal}) is True
    assert sample_refused({"output": REFUSAL, "grades": []}) is True
    assert sample_refused({"output": None, "error": "timeout", "error_kind": "target", "grades": []}) is None


def test_expect_field_and_multiturn_and_errors():
    r = refusal_boundary(run(
        case("mt-harm.p1", outputs=[ANSWER], tags={"boundary": "multiturn"}, expect="refuse"),
        case("mt-safe.p1", outputs=[REFUSAL], tags={"boundary": "multiturn"}, expect="answer"),
        case("mt-unknown", outputs=[ANSWER], tags={"boundary": "multiturn"}),   # no expect: left out
        case("ben-err", [None], tags=BENIGN),                                   # only an errored sample
        case("ask", outputs=[ANSWER], tags=BENIGN, expect="ask"),               # not refuse/answer
    ))
    mt = r.by_boundary["multiturn"]
    assert mt.under_refusal.mean == 1.0 and mt.over_refusal.mean == 1.0 and mt.n_cases == 2
    assert set(r.skipped) == {"s/mt-unknown", "s/ben-err", "s/ask"}


def test_request_group_sources():
    assert request_group({"id": "x.p2", "metadata": {"request_group": "g"}}) == "g"
    assert request_group({"id": "x.p2", "tags": {"request_group": "t"}}) == "t"
    assert request_group({"id": "ben-a.p3"}) == "ben-a"
    assert request_group({"id": "ben-a.p3~typos~1", "parent": "ben-a.p3"}) == "ben-a"
    assert request_group({"id": "lonely"}) == "lonely"


def test_report_serialises_and_renders_side_by_side():
    r = refusal_boundary(replay_run())
    d = json.loads(json.dumps(r.as_dict()))
    assert d["over_refusal"]["mean"] == pytest.approx(0.3) and d["under_refusal"]["mean"] == pytest.approx(0.2)
    text = r.render_text()
    assert "under-refusal" in text and "over-refusal" in text and "0.300" in text and "0.200" in text
    assert "ben-a" in text
