"""GRPO reward = the tool-call graders' score, on text completions and on conversational ones."""
from __future__ import annotations

import textwrap

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
