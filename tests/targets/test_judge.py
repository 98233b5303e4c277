"""Judges from grader `model` fields: target specs, project target names, and OpenAI model names."""
from __future__ import annotations

import json
import textwrap

import pytest

from gradeloop.errors import InputError
from gradeloop.graders import build_grader
from gradeloop.suite.model import Case, GraderSpec
from gradeloop.targets.judge import is_target_spec, judge_factory, judge_spec_for

GUIDE_SCORE_MODEL = {  # the OpenAI graders guide's score_model example, unchanged
    "type": "score_model", "name": "my_score_model",
    "input": [{"role": "system", "content": "You are an expert grader. If the reference and model answer are exact "
               "matches, output a score of 1. If they are somewhat similar in meaning, output a score in 0.5. "
               "Otherwise, give a score of 0."},
              {"role": "user", "content": "Reference: {{ item.reference_answer }}. Model answer: {{ sample.output_text }}"}],
    "pass_threshold": 0.5, "model": "o4-mini-2025-04-16", "range": [0, 1],
    "sampling_params": {"max_completions_tokens": 32768, "top_p": 1, "reasoning_effort": "medium"},
}


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A project whose judge is a py: target that scores 1 when the reference appears in the answer."""
    (tmp_path / "tgt_judge_mod.py").write_text(textwrap.dedent('''
        import json, re
        def judge(prompt):
            ref = re.search(r"Reference: (.*?)\\. Model answer", prompt).group(1)
            nonce = re.search(r'"verdict_id": "([0-9a-f]+)"', prompt).group(1)
            out = re.search(r"<<<OUTPUT-[0-9a-f]+>>>\\n(.*?)\\n<<<END", prompt, re.S).group(1)
            return json.dumps({"verdict_id": nonce, "result": 1 if ref in out else 0})
    '''))
    (tmp_path / "gradeloop.yaml").write_text('targets:\n  grader: {spec: "py:tgt_judge_mod:judge"}\njudge: grader\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADELOOP_PROJECT", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_specs_and_names():
    assert is_target_spec("openai:gpt-4o@http://h/v1") and is_target_spec("py:m:f")
    assert not is_target_spec("o4-mini-2025-04-16") and not is_target_spec("gpt-4o")


def test_spec_passes_through_and_default_answers_model_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert judge_spec_for("py:m:f") == "py:m:f"
    assert judge_spec_for("o4-mini-2025-04-16", default="openai:m@http://h/v1") == "openai:m@http://h/v1"


def test_model_name_without_a_judge_configured_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADELOOP_PROJECT", raising=False)
    with pytest.raises(InputError) as info:
        judge_spec_for("o4-mini-2025-04-16")
    assert "model name" in info.value.message and "judge" in info.value.message


def test_model_name_maps_to_the_projects_judge_or_a_target_of_that_name(project):
    assert judge_spec_for("o4-mini-2025-04-16") == "py:tgt_judge_mod:judge"
    (project / "gradeloop.yaml").write_text('targets:\n  o4-mini-2025-04-16: {spec: "py:tgt_judge_mod:other"}\n')
    assert judge_spec_for("o4-mini-2025-04-16") == "py:tgt_judge_mod:other"


def test_guide_score_model_runs_with_the_projects_judge(project):
    case = Case("c", "q", reference="1.0")
    spec = dict(GUIDE_SCORE_MODEL)
    grader = build_grader(GraderSpec(spec.pop("type"), spec, file="s.yaml", line=1), case, judge_factory=judge_factory)
    good, poor = grader.grade(case, "1.0"), grader.grade(case, "0.2")
    assert good.error is None and good.passed and good.score == 1.0
    assert poor.error is None and not poor.passed and poor.score == 0.0


def test_api_judge_factory_maps_model_names(project):
    from gradeloop.api import make_judge_factory

    calls = []
    fn = make_judge_factory(lambda p: (calls.append(p), json.dumps({"result": 1}))[1])("o4-mini-2025-04-16")
    assert json.loads(fn("x")) == {"result": 1} and calls == ["x"]
    via_project = make_judge_factory()("o4-mini-2025-04-16")
    assert callable(via_project)
