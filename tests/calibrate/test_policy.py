"""The runtime Policy: file round trips, decisions per slice, tiered verify, light imports."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gradeloop.calibrate import Policy, Rule, Verify
from gradeloop.errors import InputError


def _policy() -> Policy:
    return Policy(
        signal="p_mean",
        rule=Rule({"answer": 0.8, "verify": 0.5}, "abstain", Verify("self_consistency", 0.7, "escalate")),
        slices={"risk=high": Rule({"answer": 0.95}, "escalate")},
        alpha=0.1, delta=0.05, data_version="faq@abc123", derived={"selective": {"coverage": 0.4}},
    )


@pytest.mark.parametrize("name", ["policy.json", "policy.yaml"])
def test_save_load_round_trip(tmp_path, name):
    path = tmp_path / name
    _policy().save(path)
    loaded = Policy.load(path)
    assert loaded == _policy()
    if name.endswith(".json"):
        data = json.loads(path.read_text())
        assert data["schema"] == "gradeloop.policy/v1"
        assert data["alpha"] == 0.1 and data["delta"] == 0.05 and data["data_version"] == "faq@abc123"


def test_decide_default_rule():
    p = _policy()
    assert p.decide({"p_mean": 0.9}) == "answer"
    assert p.decide({"p_mean": 0.8}) == "answer"  # thresholds are inclusive
    assert p.decide({"p_mean": 0.6}) == "verify"  # gray zone, heavy signal not computed yet
    assert p.decide({"p_mean": 0.2}) == "abstain"


def test_verify_resolves_once_the_heavy_signal_is_present():
    p = _policy()
    assert p.decide({"p_mean": 0.6, "self_consistency": 0.75}) == "answer"
    assert p.decide({"p_mean": 0.6, "self_consistency": 0.5}) == "escalate"
    assert p.decide({"p_mean": 0.9, "self_consistency": 0.1}) == "answer"  # above the gray zone: no verify


def test_slice_rules_apply_to_matching_tags_only():
    p = _policy()
    assert p.decide({"p_mean": 0.9}, {"risk": "high"}) == "escalate"
    assert p.decide({"p_mean": 0.97}, {"risk": "high"}) == "answer"
    assert p.decide({"p_mean": 0.9}, {"risk": "low"}) == "answer"


def test_uncertified_action_never_fires():
    p = Policy("conf", Rule({"answer": None}, "abstain"))
    assert p.decide({"conf": 1.0}) == "abstain"


@pytest.mark.parametrize("signals", [{}, {"p_mean": float("nan")}, {"p_mean": "high"}])
def test_missing_or_bad_signal_is_an_error_not_a_silent_action(signals):
    with pytest.raises(InputError) as err:
        _policy().decide(signals)
    assert err.value.field == "p_mean"


@pytest.mark.parametrize("data, field", [
    ({"schema": "other"}, "schema"),
    ({"schema": "gradeloop.policy/v1", "signal": "c", "thresholds": {"ship": 0.5}}, "thresholds"),
    ({"schema": "gradeloop.policy/v1", "signal": "c", "thresholds": {"answer": "x"}}, "thresholds.answer"),
    ({"schema": "gradeloop.policy/v1", "signal": "c", "thresholds": {}, "fallback": "guess"}, "fallback"),
    ({"schema": "gradeloop.policy/v1", "signal": "c", "thresholds": {}, "alpha": 2}, "alpha"),
    ({"schema": "gradeloop.policy/v1", "signal": "c", "thresholds": {}, "slices": {"nokey": {}}}, "slices.nokey"),
    ({"schema": "gradeloop.policy/v1", "signal": "c", "thresholds": {},
      "slices": {"a=b": {"thresholds": {"answer": True}}}}, "slices.a=b.thresholds.answer"),
])
def test_bad_policy_file_names_file_and_field(tmp_path, data, field):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        Policy.load(path)
    assert err.value.file == str(path) and err.value.field == field


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("schema: gradeloop.policy/v1\nsignal: c\nthresholds: {answer: [\n")
    with pytest.raises(InputError) as err:
        Policy.load(path)
    assert err.value.line is not None


def test_runtime_import_pulls_in_no_heavy_libraries(tmp_path):
    path = tmp_path / "p.json"
    _policy().save(path)
    code = ("import sys; from gradeloop.calibrate import Policy; "
            f"print(Policy.load({str(path)!r}).decide({{'p_mean': 0.9}})); "
            "print(sorted(m for m in ('numpy', 'scipy', 'sklearn', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["answer", "[]"]
