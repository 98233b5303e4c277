"""Tuning builds judge graders with the project's judge, as `eval` and the Python API do (issue 12 item 10)."""
from __future__ import annotations

import json
import textwrap

import pytest

from gradeloop.graders.judge import LLMJudgeGrader
from gradeloop.run import Store
from gradeloop.tune import AdapterRegistry, load_tune_config
from gradeloop.tune.loop import TuneLoop

JUDGE_SUITE = """\
name: {name}
split: {split}
defaults:
  graders:
    - {{type: llm_judge, model: {model}, rubric: "The answer mentions the reset link."}}
cases:
{cases}
"""


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A project with a py: judge (passes answers that mention 'reset link') and a py: model to tune."""
    (tmp_path / "tune_judge_mod.py").write_text(textwrap.dedent('''
        import json, re
        CALLS = []
        def judge(prompt):
            CALLS.append(prompt)
            nonce = re.search(r'"verdict_id": "([0-9a-f]+)"', prompt).group(1)
            out = re.search(r"<<<OUTPUT-[0-9a-f]+>>>\\n(.*?)\\n<<<END", prompt, re.S).group(1)
            ok = "reset link" in out
            return json.dumps({"verdict_id": nonce, "score": int(ok), "passed": ok})
        def answer(prompt):
            return "Use the reset link we emailed you." if "password" in prompt else "No idea."
    '''))
    (tmp_path / "gradeloop.yaml").write_text('targets:\n  grader: {spec: "py:tune_judge_mod:judge"}\njudge: grader\n')
    for name, split, model in (("train", "train", "default"), ("dev", "dev", "o4-mini-2025-04-16"),
                               ("hold", "holdout", "default"), ("guard", "dev", "default")):
        cases = "\n".join(f"  - {{id: {name}-{i}, input: {q!r}}}" for i, q in
                          enumerate([f"{name} {i}: how do I reset my password?" for i in range(3)] + [f"{name} other"]))
        (tmp_path / f"{name}.yaml").write_text(JUDGE_SUITE.format(name=name, split=split, model=model, cases=cases))
    (tmp_path / "tune.yaml").write_text(
        "name: judged\nbase: hf:/nonexistent-model\nfocus: [train.yaml, dev.yaml]\nholdout: [hold.yaml]\n"
        "guard: [guard.yaml]\nstrategy: grpo\nallow_contaminated: true\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADELOOP_PROJECT", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_tune_loop_builds_llm_judge_graders_with_the_projects_judge(project):
    cfg, base_dir = load_tune_config(project / "tune.yaml")
    loop = TuneLoop(cfg, base_dir, Store(project / "store.db"), AdapterRegistry(project / "adapters"),
                    state_root=project / "tunes", log=lambda m: None)
    graded = loop.cases["train-0"]
    assert isinstance(graded.graders[0], LLMJudgeGrader)
    assert graded.reward("Use the reset link.") == 1.0 and graded.reward("Call us.") == 0.0
    run = loop.evaluate("py:tune_judge_mod:answer")  # eval suites through the engine, judged by the project's judge
    graded_samples = [s for c in run["cases"] for s in c["samples"]]
    assert graded_samples and all(s["error"] is None for s in graded_samples)
    assert sorted({s["passed"] for s in graded_samples}) == [False, True]


def test_engine_without_a_judge_factory_uses_the_projects_judge(project):
    """The README's Python example builds an Engine directly; judge graders must work there too."""
    from gradeloop.run import Engine, RunConfig, build_run_json
    from gradeloop.suite import load_suites
    from gradeloop.targets import load_target

    store = Store(project / "api.db")
    outcome = Engine(load_suites([str(project / "dev.yaml")]), load_target("py:tune_judge_mod:answer"), store,
                     RunConfig(samples=1)).run()
    run = build_run_json(store, outcome.run_id)
    assert run["metrics"]["pass_rate"]["mean"] == pytest.approx(0.75)


def test_python_api_evaluate_uses_the_projects_judge(project):
    import gradeloop

    result = gradeloop.evaluate([str(project / "dev.yaml")], "py:tune_judge_mod:answer", store=project / "e.db")
    assert json.loads(json.dumps(result.to_json()))["metrics"]["pass_rate"]["mean"] == pytest.approx(0.75)


def test_eval_and_gate_cli_use_the_projects_judge(project, capsys):
    from gradeloop.cli import main

    code = main(["eval", "dev.yaml", "-t", "py:tune_judge_mod:answer", "--store", "cli.db", "--json", "base.json"])
    run = json.loads((project / "base.json").read_text())
    assert code in (0, 1) and run["metrics"]["pass_rate"]["mean"] == pytest.approx(0.75)
    assert all(s["error"] is None for c in run["cases"] for s in c["samples"])
    code = main(["gate", "dev.yaml", "--baseline", "base.json", "-t", "py:tune_judge_mod:answer", "--store", "cli.db",
                 "--json", "gate.json"])
    out = capsys.readouterr().out
    assert code in (0, 1) and "needs a judge" not in out and "unknown target spec" not in out
    assert (project / "gate.json").is_file()
