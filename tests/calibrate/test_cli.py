"""`gradeloop calibrate` and `gradeloop policy` on a constructed run file."""
from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from gradeloop.calibrate import Policy
from gradeloop.cli import calibrate as calibrate_cli
from gradeloop.errors import InputError

ESTIMATE_KEYS = {"mean", "stderr", "ci_low", "ci_high", "n_cases", "n_samples"}


def _app() -> typer.Typer:
    app = typer.Typer()
    calibrate_cli.register(app)
    return app


def _share_correct(path) -> float:
    """Share of graded samples that passed: the Brier score of a constant-1 signal is its complement."""
    cases = json.loads(path.read_text())["cases"]
    graded = [s["passed"] for c in cases for s in c["samples"] if s["passed"] is not None]
    return sum(graded) / len(graded)


def _run_file(tmp_path, n_cases=300, samples=2, seed=0):
    """A run whose replay `confidence` is informative but overconfident, with one errored sample."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n_cases):
        skill = rng.uniform()
        out = []
        for j in range(samples):
            passed = bool(rng.uniform() < 0.3 + skill)
            conf = float(np.clip(0.5 + 0.5 * skill + rng.normal(0, 0.05), 0, 1))
            out.append({"index": j, "output": "19" if passed else "20", "passed": passed, "score": float(passed),
                        "grades": [{"grader": "numeric", "score": float(passed), "passed": passed, "reason": ""}],
                        "signals": {"confidence": conf},
                        "logprobs": [float(np.log(max(conf, 1e-3)))] * 3, "error": None})
        cases.append({"id": f"case-{i}", "suite": "math", "tags": {"risk": "high" if i % 3 == 0 else "low"},
                      "parent": None, "expect": None, "pass_rate": None, "samples": out})
    cases[0]["samples"][0].update(passed=None, error="timeout", output=None, signals={})
    run = {"schema": "gradeloop.run/v1", "run_id": "run-test", "suites": [{"name": "math", "version": "v1abc",
                                                                           "split": "dev"}],
           "samples_per_case": samples, "cases": cases}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run))
    return path


def test_writes_the_documented_json(tmp_path):
    run = _run_file(tmp_path)
    out = tmp_path / "calib.json"
    res = CliRunner().invoke(_app(), ["calibrate", str(run), "--signal", "confidence", "--json", str(out),
                                      "--n-boot", "100", "--bins", "8"])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["schema"] == "gradeloop.calibration/v1" and data["signal"] == "confidence"
    assert data["n"] == 599 and data["errored_samples"] == 1
    for metric in ("ece", "ece_plugin", "ece_debiased", "brier", "auroc", "aurc"):
        assert ESTIMATE_KEYS <= set(data[metric])
        assert data[metric]["n_cases"] == 300 and data[metric]["n_samples"] == 599
        assert data[metric]["ci_low"] <= data[metric]["mean"] <= data[metric]["ci_high"]
    assert len(data["reliability"]) == 8 and sum(b["count"] for b in data["reliability"]) == 599
    assert {"mean_confidence", "accuracy", "count"} <= set(data["reliability"][0])
    assert data["risk_coverage"][-1]["coverage"] == 1.0
    assert data["ece_debiased"] == data["ece"]  # the old name of the default (debiased) ECE
    assert "ece_plugin" in res.output and "599" in res.output


def test_custom_signal_from_the_users_module(tmp_path, monkeypatch):
    run = _run_file(tmp_path)
    (tmp_path / "calib_user_sig.py").write_text(
        "def short(case, sample):\n    return 1.0 if len(sample['output']) < 3 else 0.0\n")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "c.json"
    res = CliRunner().invoke(_app(), ["calibrate", str(run), "--signal", "short", "--n-boot", "0",
                                      "--custom-signal", "short=calib_user_sig:short", "--json", str(out)])
    assert res.exit_code == 0, res.output
    # every output is short, so the signal is constantly 1 and its Brier score is the error rate
    assert json.loads(out.read_text())["brier"]["mean"] == pytest.approx(1 - _share_correct(run))


def test_derived_signal_calibrator_policy_and_plot(tmp_path):
    run = _run_file(tmp_path)
    out, pol, cal, png = (tmp_path / n for n in ("c.json", "policy.yaml", "cal.json", "c.png"))
    res = CliRunner().invoke(_app(), [
        "calibrate", str(run), "--signal", "p_mean", "--n-boot", "50", "--json", str(out),
        "--calibrator", "isotonic", "--fit-fraction", "0.5", "--calibrator-out", str(cal),
        "--alpha", "0.1", "--delta", "0.1", "--policy-out", str(pol), "--slice-tag", "risk", "--plot", str(png)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["calibrator"]["kind"] == "isotonic"
    assert data["calibrator"]["after"]["ece"]["mean"] < data["calibrator"]["before"]["ece"]["mean"]
    assert data["selective"]["n"] == 300  # one answer per case: 299 graded first samples + case 0's second
    policy = Policy.load(pol)
    assert policy.signal == "p_mean" and policy.alpha == 0.1 and policy.data_version == "math@v1abc"
    assert set(policy.slices) == {"risk=high", "risk=low"}
    threshold = policy.rule.thresholds["answer"]
    assert threshold == pytest.approx(data["selective"]["threshold"])
    assert policy.decide({"p_mean": threshold}) == "answer"
    assert policy.decide({"p_mean": threshold - 1e-9}) == "abstain"
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "selective answering" in res.output


def test_tiered_policy_from_the_cli(tmp_path):
    run = _run_file(tmp_path, samples=3)
    out, pol = tmp_path / "c.json", tmp_path / "policy.json"
    res = CliRunner().invoke(_app(), [
        "calibrate", str(run), "--signal", "confidence", "--n-boot", "20", "--json", str(out), "--alpha", "0.15",
        "--policy-out", str(pol), "--heavy-signal", "self_consistency", "--gray", "0.7:0.9", "--heavy-cost", "2"])
    assert res.exit_code in (0, 1), res.output
    tiered = json.loads(out.read_text())["tiered"]
    assert tiered["low"] == 0.7 and tiered["high"] == 0.9
    assert tiered["extra_cost"] == pytest.approx(2 * tiered["escalated_share"])
    policy = json.loads(pol.read_text())
    assert policy["verify"]["signal"] == "self_consistency"


def test_uncertifiable_alpha_exits_1_and_max_ece_gates(tmp_path):
    run = _run_file(tmp_path)
    res = CliRunner().invoke(_app(), ["calibrate", str(run), "--signal", "confidence", "--n-boot", "0",
                                      "--alpha", "0.001"])
    assert res.exit_code == 1 and "FAIL" in res.output
    res = CliRunner().invoke(_app(), ["calibrate", str(run), "--signal", "confidence", "--n-boot", "0",
                                      "--max-ece", "0.0001"])
    assert res.exit_code == 1
    res = CliRunner().invoke(_app(), ["calibrate", str(run), "--signal", "confidence", "--n-boot", "0",
                                      "--max-ece", "0.9"])
    assert res.exit_code == 0


def test_missing_signal_is_an_input_error_naming_the_field(tmp_path):
    run = _run_file(tmp_path)
    res = CliRunner().invoke(_app(), ["calibrate", str(run), "--signal", "nope", "--n-boot", "0"])
    assert isinstance(res.exception, InputError)
    assert res.exception.file == str(run) and res.exception.field == "cases[0].samples[1].signals.nope"


def test_main_prints_one_line_and_exits_2(tmp_path, capsys):
    from gradeloop.cli import app, main

    calibrate_cli.register(app)
    run = _run_file(tmp_path)
    assert main(["calibrate", str(run), "--signal", "logprob_mean", "--n-boot", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "outside [0, 1]" in err[0]


def test_policy_command(tmp_path):
    pol = tmp_path / "p.json"
    from gradeloop.calibrate import Rule

    Policy("conf", Rule({"answer": 0.8}, "abstain"), {"risk=high": Rule({"answer": 0.95}, "escalate")}).save(pol)
    runner = CliRunner()
    assert runner.invoke(_app(), ["policy", str(pol), "--signals", '{"conf": 0.9}']).output.strip() == "answer"
    res = runner.invoke(_app(), ["policy", str(pol), "--signals", '{"conf": 0.9}', "--tag", "risk=high"])
    assert res.output.strip() == "escalate"
    res = runner.invoke(_app(), ["policy", str(pol), "--signals", "[1]"])
    assert isinstance(res.exception, InputError) and res.exception.field == "--signals"


@pytest.mark.parametrize("args, field", [
    (["--alpha", "0.1", "--heavy-signal", "self_consistency", "--gray", "0.9:0.2"], "--gray"),
    (["--heavy-signal", "self_consistency"], "--gray"),
    (["--policy-out", "p.json"], "--alpha"),
    (["--calibrator", "magic"], "--calibrator"),
    (["--alpha", "0.1", "--fallback", "guess"], "--fallback"),
])
def test_bad_options_are_input_errors(tmp_path, args, field):
    run = _run_file(tmp_path, n_cases=30)
    res = CliRunner().invoke(_app(), ["calibrate", str(run), "--signal", "confidence", "--n-boot", "0", *args])
    assert isinstance(res.exception, InputError) and res.exception.field == field
