"""Similarity metrics and the similarity grader."""
from __future__ import annotations

import pytest

from gradeloop.graders.similarity import bleu, gleu, rouge_l, rouge_n
from tests.graders.helpers import bad, grade


def test_rouge_l_by_lcs():
    # LCS of "the cat sat on the mat" and "the cat on the mat" is 5 tokens: P=5/6, R=1.
    assert rouge_l("the cat sat on the mat", "the cat on the mat") == pytest.approx(2 * (5 / 6) / (5 / 6 + 1))
    assert rouge_l("same words", "Same words!") == 1.0
    assert rouge_l("alpha", "beta") == 0.0


def test_rouge_n_and_bleu_and_gleu():
    assert rouge_n("a b c", "a b d", 1) == pytest.approx(2 / 3)
    assert rouge_n("a b c", "a b d", 2) == pytest.approx(0.5)
    assert bleu("the quick brown fox jumps", "the quick brown fox jumps") == pytest.approx(1.0)
    assert 0.0 < bleu("the quick brown dog jumps", "the quick brown fox jumps") < 1.0
    assert bleu("nothing shared", "the quick brown fox") == 0.0
    assert gleu("a b c d", "a b c d") == 1.0
    assert 0.0 < gleu("a b c x", "a b c d") < 1.0


def test_similarity_grader_score_is_the_similarity():
    g = grade("similarity", "Reset your password via email", value="reset your password via e-mail")
    assert g.passed and 0.8 < g.score < 1.0
    g = grade("similarity", "Call support", value="Reset your password via email")
    assert not g.passed and g.score < 0.7


def test_similarity_metrics_and_threshold():
    out, ref = "lockout after five failed attempts", "after five failed attempts the account is locked"
    assert grade("similarity", out, value=ref, metric="token_set_ratio", threshold=0.6).passed
    rl = grade("similarity", out, value=ref, metric="rouge_l", threshold=0.5)
    assert rl.score == pytest.approx(rouge_l(out, ref)) and rl.passed
    assert not grade("similarity", out, value=ref, metric="rouge_l", threshold=0.9).passed


def test_similarity_uses_reference_template():
    assert grade("similarity", "19", value="{{ reference }}").passed


@pytest.mark.parametrize("params, field", [
    ({}, "grader.value"),
    ({"value": "x", "metric": "cosine"}, "grader.metric"),
    ({"value": "x", "threshold": 1.5}, "grader.threshold"),
])
def test_similarity_bad_parameters(params, field):
    assert bad("similarity", **params).field == field


@pytest.mark.parametrize("output, reference", [("", "---"), ("---", ""), ("", ""), ("?!", "...")])
def test_rouge_l_without_words_scores_zero_like_rouge_1(output, reference):
    assert rouge_l(output, reference) == 0.0 == rouge_n(output, reference, 1)
    assert not grade("similarity", output, value=reference or "-", metric="rouge_l", threshold=0.5).passed
