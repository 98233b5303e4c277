from __future__ import annotations

import textwrap

from gradeloop.suite import load_suite
from gradeloop.tune.signals import Scored, graded_cases, preference_pairs, rejection_filter, reward_function


def _cases(tmp_path):
    p = tmp_path / "train.yaml"
    p.write_text(textwrap.dedent("""\
        name: lockout-train
        split: train
        cases:
          - id: t1
            input: My account is locked
            graders:
              - {type: contains_all, values: [lockout, otp, support]}
          - id: t2
            input: Reset my password
            graders:
              - {type: contains, value: reset}
              - {type: not_contains, values: [bypass], weight: 3}
        """))
    return graded_cases([load_suite(p)])


def test_reward_function_returns_the_graders_scores(tmp_path):
    cases = _cases(tmp_path)
    reward = reward_function(cases)
    out = reward(prompts=["a", "b", "c", "d"],
                 completions=["lockout and otp", [{"role": "assistant", "content": "reset now"}],
                              "reset and bypass", "nothing"],
                 case_id=["t1", "t2", "t2", "t1"])
    # contains_all coverage 2/3; weighted mean (1*1 + 3*1)/4; (1*1 + 3*0)/4; coverage 0
    assert out == [2 / 3, 1.0, 0.25, 0.0]
    one = reward_function(cases, grader="not_contains")
    assert one(completions=["reset and bypass"], case_id=["t2"]) == [0.0]


def test_rejection_filter_keeps_only_passing_samples():
    samples = [Scored("a", "x", True, 1.0), Scored("a", "y", False, 0.5), Scored("b", "z", None, None)]
    assert rejection_filter(samples) == [samples[0]]


def test_pairs_prefer_close_calls_and_skip_cases_without_contrast():
    s = [Scored("a", "good", True, 1.0), Scored("a", "bad", False, 0.1), Scored("a", "close", False, 0.9),
         Scored("b", "ok1", True, 1.0), Scored("b", "ok2", True, 1.0),          # no failure: no pair
         Scored("c", "f1", False, 0.2), Scored("c", "f2", False, 0.3),          # no pass: no pair
         Scored("d", "g1", True, 1.0), Scored("d", "g2", True, 1.0), Scored("d", "lo", False, 0.0),
         Scored("d", "hi", False, 0.6), Scored("d", "err", None, None)]
    pairs = [(c.case_id, c.output, r.output) for c, r in preference_pairs(s)]
    assert pairs == [("a", "good", "close"), ("d", "g1", "hi"), ("d", "g2", "lo")]
