"""GRPO reward = the tool-call graders' score, on text completions and on conversational ones."""
from __future__ import annotations

import textwrap

import pytest

from gradeloop.graders import build_graders
from gradeloop.suite import load_suite
from gradeloop.tune.signals import graded_cases, reward_function

SUITE = textwrap.dedent("""
    name: tool-train
    split: train
    defaults:
      tools:
        - {type: function, function: {name: lookup_order, parameters: {type: object, properties: {order_id: {type: string}}, required: [order_id]}}}
    cases:
      - id: look
        input: Where is order A1?
        graders:
          - type: tool_call
            expected: [{name: lookup_order, arguments: {order_id: [A1]}}]
      - id: chat
        input: Thanks, that is all.
        graders: [{type: no_tool_call}]
""")
RIGHT = '<tool_call>{"name": "lookup_order", "arguments": {"order_id": "a1"}}</tool_call>'
WRONG_ARG = '<tool_call>{"name": "lookup_order", "arguments": {"order_id": "B7"}}</tool_call>'


def test_reward_is_the_tool_call_grader_score(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text(SUITE)
    suite = load_suite(path)
    reward = reward_function(graded_cases([suite]))
    completions = [RIGHT, WRONG_ARG, "Your order is on its way.", RIGHT, "You're welcome!"]
    ids = ["look", "look", "look", "chat", "chat"]
    scores = reward(completions=completions, case_id=ids)
    assert scores == [1.0, 0.5, 0.0, 0.0, 1.0]  # wrong argument: name credit only
    by_id = {c.id: c for c in suite.cases}
    for text, cid, score in zip(completions, ids, scores):
        (grader,) = build_graders(suite, by_id[cid])
        assert grader.grade(by_id[cid], text).score == score  # the same grader, not a re-implementation
    conversational = [[{"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "lookup_order", "arguments": '{"order_id": "A1"}'}}]}]]
    assert reward(completions=conversational, case_id=["look"]) == [1.0]


def _tool_model(micro_model, tmp_path):
    """The micro model with a chat template that renders tools (as Qwen/Hermes templates do)."""
    import json
    import shutil

    from tests.tools.test_hf_calls import TEMPLATE

    dst = tmp_path / "tool-micro"
    shutil.copytree(micro_model, dst)
    config = json.loads((dst / "tokenizer_config.json").read_text())
    config["chat_template"] = TEMPLATE
    (dst / "tokenizer_config.json").write_text(json.dumps(config))
    for extra in dst.glob("chat_template.*"):
        extra.unlink()
    return dst


def test_tool_cases_train_on_prompts_rendered_with_their_tools(micro_model, tmp_path):
    from transformers import AutoTokenizer

    from gradeloop.tools.text import text_calls
    from gradeloop.tune.strategies import _completion, _prompter

    path = tmp_path / "train.yaml"
    path.write_text(SUITE)
    cases = graded_cases([load_suite(path)])
    tok = AutoTokenizer.from_pretrained(_tool_model(micro_model, tmp_path))
    prompt = _prompter(cases, tok)
    rendered = prompt(cases["look"].case)
    assert isinstance(rendered, str) and "Tools: lookup_order" in rendered and rendered.endswith("<|assistant|>")
    text = _completion(rendered, "", [{"name": "lookup_order", "arguments": {"order_id": "A1"}}])
    assert [(c.name, c.arguments) for c in text_calls(text)] == [("lookup_order", {"order_id": "A1"})]


@pytest.mark.slow
def test_grpo_step_on_tool_cases(micro_model, tmp_path):
    """One GRPO step: TRL samples from the tool-rendered prompts and the tool-call graders reward them."""
    from gradeloop.tune.config import Hyperparameters
    from gradeloop.tune.strategies import train

    path = tmp_path / "train.yaml"
    path.write_text(SUITE)
    cases = graded_cases([load_suite(path)])
    model = _tool_model(micro_model, tmp_path)
    hp = Hyperparameters(learning_rate=1e-3, num_generations=2, batch_size=4, max_completion_length=8)
    result = train("grpo", f"hf:{model}", None, cases, hp, 1, 0, tmp_path / "out", None)
    assert (result.adapter_dir / "adapter_config.json").exists() and result.examples == 2
