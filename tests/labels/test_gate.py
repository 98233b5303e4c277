"""A gate policy's validated_judges: the judge must pass validation on human labels, or the gate cannot pass."""
from __future__ import annotations

import pytest

from gradeloop.cli import main
from gradeloop.errors import InputError
from gradeloop.gate import compare_runs
from gradeloop.gate.policy import GatePolicy, load_policy
from gradeloop.labels import export_labels
from gradeloop.run.results import build_run_json
from gradeloop.run.store import Store
from tests.labels.test_validate import labels_for
from tests.view.storebuild import two_runs


@pytest.fixture
def runs(tmp_path):
    path = tmp_path / "store.db"
    two_runs(path)
    store = Store(path)
    base = build_run_json(store, "run-base")
    store.close()
    return path, base


def policy_with(tmp_path, labels, min_kappa=0.5) -> GatePolicy:
    f = tmp_path / "labels.jsonl"
    f.write_text(export_labels(labels))
    return GatePolicy(validated_judges=[{"grader": "judge", "labels": str(f), "min_kappa": min_kappa}])


def judge_check(cmp: dict) -> dict:
    return next(c for c in cmp["checks"] if c["kind"] == "validated_judge")


def test_a_validated_judge_lets_the_gate_pass(runs, tmp_path):
    _, base = runs
    cmp = compare_runs(base, base, policy_with(tmp_path, labels_for(40, 2, 2, 40)))
    check = judge_check(cmp)
    assert check["verdict"] == "pass" and check["scope"] == "grader=judge" and "κ 0.905" in check["message"]
    assert cmp["verdict"] == "pass"


@pytest.mark.parametrize("labels, verdict", [
    (labels_for(30, 15, 15, 30), "fail"),  # κ 0.33: the judge is not good enough to gate
    (labels_for(5, 1, 1, 5), "inconclusive"),  # 12 labels: too few to tell
])
def test_an_unvalidated_judge_keeps_the_gate_from_passing(runs, tmp_path, labels, verdict):
    _, base = runs
    cmp = compare_runs(base, base, policy_with(tmp_path, labels))
    assert judge_check(cmp)["verdict"] == verdict
    assert cmp["verdict"] == verdict and not cmp["passed"]


def test_policy_file_names_labels_relative_to_itself(tmp_path):
    (tmp_path / "gates").mkdir()
    (tmp_path / "gates" / "labels.jsonl").write_text(export_labels(labels_for(40, 2, 2, 40)))
    (tmp_path / "gates" / "gate.yaml").write_text("validated_judges:\n  - {grader: judge, labels: labels.jsonl}\n")
    policy = load_policy(tmp_path / "gates" / "gate.yaml")
    assert policy.validated_judges[0].labels == str(tmp_path / "gates" / "labels.jsonl")
    assert policy.validated_judges[0].min_kappa == 0.6


def test_a_missing_labels_file_is_bad_input(runs, tmp_path):
    _, base = runs
    policy = GatePolicy(validated_judges=[{"grader": "judge", "labels": str(tmp_path / "none.jsonl")}])
    with pytest.raises(InputError):
        compare_runs(base, base, policy)


def test_compare_command_fails_on_an_unvalidated_judge(runs, tmp_path, capsys):
    path, _ = runs
    (tmp_path / "labels.jsonl").write_text(export_labels(labels_for(30, 15, 15, 30)))
    (tmp_path / "gate.yaml").write_text("validated_judges:\n  - {grader: judge, labels: labels.jsonl, min_kappa: 0.5}\n")
    rc = main(["compare", "run-base", "run-base", "--store", str(path), "--policy", str(tmp_path / "gate.yaml")])
    assert rc == 1
    out = capsys.readouterr().out
    assert "grader=judge" in out and "lower bound" in out
