"""A suite's version follows its content: reformatting keeps it, any edit changes it."""
from __future__ import annotations

import json
from dataclasses import replace

from gradeloop.suite import load_suite, suite_version

BLOCK = """
# the suite, written one way
name: v
split: dev
thresholds: {min_pass_rate: 0.9}
defaults:
  graders:
    - type: not_contains
      values: [bypass auth]
cases:
  - id: a
    input: What is 12+7?
    reference: "19"
    tags: {op: add}
    graders:
      - type: numeric
        value: "{{ reference }}"
        tolerance: 0
  - id: b
    input:
      - {role: user, content: hi}
"""

FLOW = """
cases: [{graders: [{tolerance: 0, type: numeric, value: '{{ reference }}'}], tags: {op: add},
         reference: '19', input: "What is 12+7?", id: a},
        {id: b, input: [{content: hi, role: user}]}]   # comments and key order do not matter
defaults: {graders: [{values: ["bypass auth"], type: not_contains}]}
thresholds:
  min_pass_rate: 0.9
  on: mean
name: "v"
description: descriptions are not content that is measured
"""


def test_reformatting_keeps_the_version(write):
    block = load_suite(write("block.yaml", BLOCK))
    flow = load_suite(write("other/flow.yaml", FLOW))
    assert block.version == flow.version == suite_version(block)
    assert len(block.version) == 16 and all(c in "0123456789abcdef" for c in block.version)


def test_same_content_in_jsonl_has_the_same_version(write):
    yaml_suite = load_suite(write("v.yaml", BLOCK))
    rows = [{"suite": {"name": "v", "thresholds": {"min_pass_rate": 0.9},
                       "defaults": {"graders": [{"type": "not_contains", "values": ["bypass auth"]}]}}},
            {"id": "a", "input": "What is 12+7?", "reference": "19", "tags": {"op": "add"},
             "graders": [{"type": "numeric", "value": "{{ reference }}", "tolerance": 0}]},
            {"id": "b", "input": [{"role": "user", "content": "hi"}]}]
    jsonl = load_suite(write("v.jsonl", "".join(json.dumps(r) + "\n" for r in rows)))
    assert jsonl.version == yaml_suite.version


def test_every_content_edit_changes_the_version(write):
    base = load_suite(write("base.yaml", BLOCK)).version
    edits = [
        ("What is 12+7?", "What is 12 + 7?"),        # input
        ('reference: "19"', 'reference: "20"'),     # reference
        ("tags: {op: add}", "tags: {op: sum}"),     # tag
        ("tolerance: 0", "tolerance: 1"),           # grader parameter
        ("[bypass auth]", "[bypass auth, x]"),      # default grader
        ("min_pass_rate: 0.9", "min_pass_rate: 0.8"),  # threshold
        ("split: dev", "split: holdout"),           # split
        ("name: v", "name: w"),                     # name
        ("  - id: b", "  - id: c"),                 # case id
    ]
    versions = set()
    for old, new in edits:
        assert old in BLOCK
        versions.add(load_suite(write("edit.yaml", BLOCK.replace(old, new))).version)
    assert base not in versions and len(versions) == len(edits)


def test_case_order_is_content(write):
    suite = load_suite(write("s.yaml", BLOCK))
    swapped = replace(suite, cases=suite.cases[::-1])
    assert suite_version(swapped) != suite.version


def test_path_and_lines_are_not_content(write):
    suite = load_suite(write("s.yaml", BLOCK))
    moved = replace(suite, source="elsewhere.yaml",
                    cases=tuple(replace(c, file="x", line=(c.line or 0) + 10) for c in suite.cases))
    assert suite_version(moved) == suite.version
