"""Downstream of tool calls nothing changes: slices, pass@k, compare's verdict, rejection filters
and preference pairs all run on runs whose graders read calls."""
from __future__ import annotations

import json

import gradeloop
from gradeloop.tune.signals import Scored, graded_cases, preference_pairs, rejection_filter

SUITE = """\
name: calls
defaults:
  tools:
    - {type: function, function: {name: lookup_order, parameters: {type: object, properties: {order_id: {type: string}}, required: [order_id]}}}
cases:
"""


def _suite(tmp_path, n=30):
    body = "".join(f"  - id: c{i}\n    input: where is A-{i}?\n    tags: {{kind: {'a' if i % 2 else 'b'}}}\n"
                   f"    graders: [{{type: tool_call, expected: [{{name: lookup_order, arguments: {{order_id: [A-{i}]}}}}]}}]\n"
                   for i in range(n))
    path = tmp_path / "calls.yaml"
    path.write_text(SUITE + body)
    return path


def _replay(tmp_path, name, wrong: set[int], n=30, samples=2):
    rows = []
    for i in range(n):
        for k in range(samples):
            order = f"A-{i}" if i not in wrong or k == 1 else "B-0"  # a wrong case gets it right on sample 1
            rows.append({"case_id": f"c{i}", "sample": k,
                         "tool_calls": [{"name": "lookup_order", "arguments": {"order_id": order}}]})
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_slices_pass_at_k_and_compare(tmp_path):
    suite = _suite(tmp_path)
    store = tmp_path / "db.sqlite"
    base = gradeloop.evaluate(suite, f"replay:{_replay(tmp_path, 'base', set())}", samples=2, store=store)
    cand = gradeloop.evaluate(suite, f"replay:{_replay(tmp_path, 'cand', set(range(0, 30, 2)))}", samples=2,
                              store=store)
    doc = cand.raw
    assert doc["metrics"]["pass_rate"]["mean"] == 0.75
    assert doc["metrics"]["pass@2"]["mean"] == 1.0  # every case is right on one of its two samples
    assert doc["slices"]["kind=b"]["pass_rate"]["mean"] == 0.5 and doc["slices"]["kind=a"]["pass_rate"]["mean"] == 1.0
    verdict = gradeloop.compare(base, cand, store=store)
    assert verdict.verdict == "fail"  # the regression on slice kind=b is real


def test_rejection_filter_and_preference_pairs_on_calls(tmp_path):
    suite = gradeloop.load_suites(_suite(tmp_path, n=2))[0]
    cases = graded_cases([suite])
    good = '<tool_call>{"name": "lookup_order", "arguments": {"order_id": "A-0"}}</tool_call>'
    bad = '<tool_call>{"name": "lookup_order", "arguments": {"order_id": "B-0"}}</tool_call>'
    scored = [Scored("c0", out, *cases["c0"].score(out)) for out in (good, bad, "It shipped.")]
    assert [s.output for s in rejection_filter(scored)] == [good]
    ((chosen, rejected),) = preference_pairs(scored)
    assert (chosen.output, rejected.output) == (good, bad)  # the near miss (name right) is the rejected one
