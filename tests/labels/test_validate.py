"""Cohen's κ, TPR and TNR of a grader against human labels, and the fail-closed verdict."""
from __future__ import annotations

import pytest

from gradeloop.labels import Label, validate_grader
from gradeloop.labels.validate import cohen_kappa


def labels_for(tp: int, fn: int, fp: int, tn: int, grader: str = "judge", per_case: int = 1) -> list[Label]:
    """Labels with a known confusion table (rows: the humans' verdict; positive = pass)."""
    out = []
    cells = [(True, True)] * tp + [(False, True)] * fn + [(True, False)] * fp + [(False, False)] * tn
    for i, (judge, human) in enumerate(cells):
        label = "right" if judge == human else "wrong"
        out.append(Label("r", "s", f"c{i // per_case}", i % per_case, grader, judge, label, "", "ada", 0.0))
    return out


def test_known_confusion_table():
    # po = 0.85, judge passes 45%, humans 50%: pe = 0.5, κ = 0.7; TPR 40/50, TNR 45/50
    r = validate_grader(labels_for(40, 10, 5, 45), "judge", min_kappa=0.3)
    assert r.confusion == {"tp": 40, "fn": 10, "fp": 5, "tn": 45}
    assert r.kappa.value == pytest.approx(0.7)
    assert r.tpr.value == pytest.approx(0.8) and r.tnr.value == pytest.approx(0.9)
    assert r.kappa.ci_low < 0.7 < r.kappa.ci_high and r.kappa.ci_low > 0.5
    assert r.tpr.ci_low < 0.8 < r.tpr.ci_high and r.tnr.ci_low < 0.9 < r.tnr.ci_high
    assert r.verdict == "pass" and r.n_labels == 100
    strict = validate_grader(labels_for(40, 10, 5, 45), "judge", min_kappa=0.9)
    assert strict.verdict == "fail" and "lower bound" in strict.reasons[-1]


def test_kappa_matches_the_textbook_formula_and_is_none_without_variation():
    import numpy as np

    judge = np.array([1, 1, 0, 0, 1, 0, 1, 1])
    human = np.array([1, 0, 0, 0, 1, 1, 1, 1])
    po = 6 / 8
    pe = (5 / 8) * (5 / 8) + (3 / 8) * (3 / 8)
    assert cohen_kappa(judge, human) == pytest.approx((po - pe) / (1 - pe))
    assert cohen_kappa(np.ones(5, int), np.ones(5, int)) is None


def test_clustered_interval_is_wider_when_samples_share_cases():
    flat = validate_grader(labels_for(40, 10, 5, 45), "judge")
    clustered = validate_grader(labels_for(40, 10, 5, 45, per_case=10), "judge")
    assert clustered.n_cases == 10 and flat.n_cases == 100
    assert (clustered.kappa.ci_high - clustered.kappa.ci_low) > (flat.kappa.ci_high - flat.kappa.ci_low)


@pytest.mark.parametrize("cells, why", [
    ((5, 1, 1, 5), "at least 20"),
    ((30, 2, 0, 0), "no fail"),
    ((0, 0, 3, 30), "no pass"),
])
def test_too_little_evidence_is_inconclusive_never_pass(cells, why):
    r = validate_grader(labels_for(*cells), "judge", min_kappa=-1.0)
    assert r.verdict == "inconclusive"
    assert any(why in reason for reason in r.reasons)


def test_only_the_named_grader_and_usable_labels_count():
    items = labels_for(40, 10, 5, 45) + labels_for(1, 1, 1, 1, grader="other")
    items.append(Label("r", "s", "c-err", 0, "judge", None, "right", "", "ada", 0.0))  # the grade errored
    r = validate_grader(items, "judge")
    assert r.n_labels == 100 and any("errored" in x for x in r.reasons)


def test_same_labels_same_interval():
    a = validate_grader(labels_for(30, 5, 6, 40, per_case=3), "judge")
    b = validate_grader(labels_for(30, 5, 6, 40, per_case=3), "judge")
    assert a.as_dict() == b.as_dict()
