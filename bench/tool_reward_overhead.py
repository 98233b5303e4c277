"""Tool-call graders as GRPO rewards vs a bare Python check of the same calls.

20,000 completions in the Hermes form a local model writes (`<tool_call>{...}</tool_call>`, some
with a wrong argument, some plain text, some broken JSON) are scored against "calls
lookup_order(order_id="A1")". The bare check parses the block and compares name and argument
(case-insensitive, as BFCL's normalisation would); the gradeloop path goes through the reward
adapter (case lookup, the `tool_call` grader with every BFCL rule, partial credit). Prints µs per
completion and the ratio; the same for `no_tool_call` (bare: a substring test) and `forbidden_tools`
(bare: parse the blocks, look for the name).

    .venv/bin/python bench/tool_reward_overhead.py
"""
from __future__ import annotations

import json
import random
import re
import tempfile
import time
from pathlib import Path

from gradeloop.suite import load_suite
from gradeloop.tune.signals import graded_cases, reward_function

TOOL = ("{type: function, function: {name: lookup_order, parameters: {type: object, "
        "properties: {order_id: {type: string}}, required: [order_id]}}}")
BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


def completion(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.5:
        order = rng.choice(["A1", "a1", "B7"])
        return f'<tool_call>\n{{"name": "lookup_order", "arguments": {{"order_id": "{order}"}}}}\n</tool_call>'
    if kind < 0.7:
        return '<tool_call>{"name": "create_ticket", "arguments": {"title": "late"}}</tool_call>'
    if kind < 0.9:
        return "Your order A1 is on its way and should arrive soon."
    return '<tool_call>{"name": "lookup_order", "arguments": {order_id: A1}</tool_call>'


def bare_call(completions: list[str], **_: object) -> list[float]:
    """The hand-written reward: one lookup_order call with order_id A1 (case-insensitive)."""
    out = []
    for text in completions:
        blocks = BLOCK.findall(text)
        if len(blocks) != 1:
            out.append(0.0)
            continue
        try:
            call = json.loads(blocks[0])
        except ValueError:
            out.append(0.0)
            continue
        ok = (call.get("name") == "lookup_order" and isinstance(call.get("arguments"), dict)
              and set(call["arguments"]) == {"order_id"} and str(call["arguments"]["order_id"]).lower() == "a1")
        out.append(1.0 if ok else 0.0)
    return out


def bare_none(completions: list[str], **_: object) -> list[float]:
    return [0.0 if "<tool_call>" in t else 1.0 for t in completions]


def bare_forbidden(completions: list[str], **_: object) -> list[float]:
    """0 when a tool_call block names create_ticket."""
    out = []
    for text in completions:
        names = []
        for block in BLOCK.findall(text):
            try:
                names.append(json.loads(block).get("name"))
            except ValueError:
                pass
        out.append(0.0 if "create_ticket" in names else 1.0)
    return out


def best_pair(a, b, n: int, repeats: int) -> tuple[float, float]:
    """Least time per item of each, the two run alternately so that load on a shared machine hits both."""
    ta, tb = [], []
    for _ in range(repeats):
        for fn, times in ((a, ta), (b, tb)):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return min(ta) / n, min(tb) / n


def main(n: int = 20_000, repeats: int = 9) -> None:
    rng = random.Random(0)
    graders = {"tool_call": "{type: tool_call, expected: [{name: lookup_order, arguments: {order_id: [A1]}}], "
                            "partial_credit: false}",
               "no_tool_call": "{type: no_tool_call}",
               "forbidden_tools": "{type: forbidden_tools, names: [create_ticket]}"}
    completions = [completion(rng) for _ in range(n)]
    ids = [f"c{i % 64}" for i in range(n)]
    bare = {"tool_call": bare_call, "no_tool_call": bare_none,
            "forbidden_tools": bare_forbidden}
    print(f"{'grader':<16} {'gradeloop':>10} {'bare':>10} {'ratio':>7}   (µs/completion, best of {repeats}, alternating)")
    for name, spec in graders.items():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "train.yaml"
            path.write_text(f"name: b\nsplit: train\ndefaults:\n  tools: [{TOOL}]\ncases:\n" + "".join(
                f"  - id: c{i}\n    input: q{i}\n    graders: [{spec}]\n" for i in range(64)))
            reward = reward_function(graded_cases([load_suite(path)]))
        assert reward(completions=completions, case_id=ids) == bare[name](completions=completions), name
        g, b = best_pair(lambda r=reward: r(completions=completions, case_id=ids),
                         lambda f=bare[name]: f(completions=completions), n, repeats)
        print(f"{name:<16} {g * 1e6:10.2f} {b * 1e6:10.2f} {g / b:6.2f}×")
    print("goal: ≤ 1.5× for tool_call")


if __name__ == "__main__":
    main()
