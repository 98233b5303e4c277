from __future__ import annotations

import json

from gradeloop.gate.sequential import sequential_gate
from gradeloop.run import Store
from gradeloop.suite import load_suite
from gradeloop.targets import load_target
from tests.builders import run_replay, write_suite

N = 400


def _outputs(fail_every: int | None, extra_fails: set[int] = frozenset()) -> dict[str, str]:
    return {f"x-{i}": "nope" if (fail_every and i % fail_every == 0) or i in extra_fails else "ok" for i in range(N)}


def _replay(tmp, name, outputs):
    path = tmp / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"case_id": k, "output": v}) + "\n" for k, v in outputs.items()))
    return load_target(f"replay:{path}")


def test_real_regression_is_caught_before_all_cases_are_used(tmp_path):
    suite_path = write_suite(tmp_path / "s.yaml", {"x": N})
    base = run_replay(tmp_path, suite_path, _outputs(10), "base")  # 90% pass
    worse = _outputs(10, extra_fails=set(range(1, N, 3)))  # about 60% pass: a 30-point regression
    res = sequential_gate(base, [load_suite(suite_path)], _replay(tmp_path, "cand", worse), Store(tmp_path / "st.db"),
                          alpha=0.05, margin=0.02, round_size=20, seed=1)
    assert res["decision"] == "regression" and res["verdict"] == "fail"
    assert res["cases_used"] < N / 2
    assert res["confidence_sequence"]["high"] < 0


def test_identical_candidate_is_not_failed(tmp_path):
    suite_path = write_suite(tmp_path / "s.yaml", {"x": N})
    base = run_replay(tmp_path, suite_path, _outputs(10), "base")
    res = sequential_gate(base, [load_suite(suite_path)], _replay(tmp_path, "same", _outputs(10)),
                          Store(tmp_path / "st.db"), alpha=0.05, margin=0.05, round_size=50, seed=2)
    assert res["verdict"] == "pass" and res["decision"] in ("no_regression", "undecided")
    assert res["mean_difference"] == 0.0


def test_gate_command_exit_codes(workdir):
    from gradeloop.cli import main

    suite_path = write_suite(workdir / "s.yaml", {"x": N})
    base = run_replay(workdir, suite_path, _outputs(10), "base")
    (workdir / "base.json").write_text(json.dumps(base))
    worse = workdir / "worse.jsonl"
    worse.write_text("".join(json.dumps({"case_id": k, "output": v}) + "\n"
                             for k, v in _outputs(10, set(range(1, N, 3))).items()))
    assert main(["gate", str(suite_path), "--baseline", "base.json", "--target", f"replay:{worse}",
                 "--json", "gate.json", "--round-size", "20"]) == 1
    assert json.loads((workdir / "gate.json").read_text())["decision"] == "regression"
