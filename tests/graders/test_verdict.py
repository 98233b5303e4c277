"""Reading judge replies: JSON anywhere, VERDICT lines, letters and numbers; refusing to guess."""
from __future__ import annotations

import pytest

from gradeloop.graders.verdict import parse_verdict


def test_json_anywhere_in_the_reply():
    v = parse_verdict('Thinking... {"reasoning": "ok", "score": 0.8, "passed": true, "confidence": 0.7} done')
    assert (v.score, v.passed, v.reasoning, v.confidence) == (0.8, True, "ok", 0.7)


def test_last_json_verdict_wins_and_confidence_percent():
    v = parse_verdict('{"score": 1} then corrected: {"score": 0, "passed": false, "confidence": 85}')
    assert (v.score, v.passed, v.confidence) == (0.0, False, 0.85)


def test_verdict_lines():
    assert parse_verdict("The answer is right.\nVERDICT: PASS").passed is True
    assert parse_verdict("**Verdict**: fail").passed is False
    assert parse_verdict("VERDICT: FAIL").score == 0.0


@pytest.mark.parametrize("reply, score", [
    ("Grade: B", 0.75),
    ("Score: 7/10", 0.7),
    ("Overall reasoning\n0.4", 0.4),
    ("Reasoning here.\nA", 1.0),
])
def test_letters_and_numbers(reply, score):
    assert parse_verdict(reply).score == pytest.approx(score)


def test_choices_and_ranges():
    assert parse_verdict('{"choice": "partial"}', choices={"full": 1.0, "partial": 0.5, "none": 0.0}).score == 0.5
    assert parse_verdict("Score: 4", score_range=(1, 7)).score == pytest.approx(0.5)


@pytest.mark.parametrize("reply", [
    "I think it is fine overall but hard to say for sure.",
    "",
    "Score: 7",  # outside the [0, 1] range
    '{"reasoning": "no score given"}',
    '{"score": "excellent"}',
])
def test_unparseable_replies_raise(reply):
    with pytest.raises(ValueError):
        parse_verdict(reply)
