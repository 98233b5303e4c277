"""Loading YAML suites: every field, the line of every case and grader, YAML features."""
from __future__ import annotations

from gradeloop.suite import GraderSpec, Thresholds, load_suite

DESIGN_EXAMPLE = """
name: password-reset              # unique within a project
description: Password reset assistant
split: holdout
thresholds:
  min_pass_rate: 0.9
  on: ci_low
defaults:
  graders:
    - type: not_contains
      values: ["disable security", "bypass auth"]
cases:
  - id: reset-otp
    input: Generate API tests for password reset flow
    tags: {intent: test-generation, risk: high}
    graders:
      - type: contains_all
        values: [otp, expiry, lockout]
  - id: login-causes
    input:                        # a string, or chat messages
      - {role: system, content: You are a support assistant.}
      - {role: user, content: Summarize the likely causes of a failed login workflow}
    expect: answer
    parent: reset-otp
    metadata: {source: tickets, count: 3, nested: {ok: true}}
    graders:
      - type: not_refusal
      - type: numeric
        value: "{{ reference }}"
        tolerance: 0.5
"""


def test_loads_every_field_with_lines(write):
    path = write("s.yaml", DESIGN_EXAMPLE)
    suite = load_suite(path)
    assert suite.name == "password-reset"
    assert suite.description == "Password reset assistant"
    assert suite.split == "holdout"
    assert suite.thresholds == Thresholds(min_pass_rate=0.9, on="ci_low")
    assert suite.source == str(path)
    assert len(suite.version) == 16
    assert suite.default_graders == (GraderSpec("not_contains", {"values": ["disable security", "bypass auth"]},
                                                str(path), 9),)
    first, second = suite.cases
    assert (first.id, first.line, first.file) == ("reset-otp", 12, str(path))
    assert first.input == "Generate API tests for password reset flow"
    assert first.tags == {"intent": "test-generation", "risk": "high"}
    assert first.graders[0].line == 16 and first.graders[0].params == {"values": ["otp", "expiry", "lockout"]}
    assert second.line == 18
    assert second.input == ({"role": "system", "content": "You are a support assistant."},
                            {"role": "user", "content": "Summarize the likely causes of a failed login workflow"})
    assert second.prompt_text == "Summarize the likely causes of a failed login workflow"
    assert (second.expect, second.parent) == ("answer", "reset-otp")
    assert second.metadata == {"source": "tickets", "count": 3, "nested": {"ok": True}}
    assert [(g.type, g.line) for g in second.graders] == [("not_refusal", 26), ("numeric", 27)]
    assert second.graders[1].params == {"value": "{{ reference }}", "tolerance": 0.5}
    assert suite.graders_for(second)[0].type == "not_contains"


def test_string_fields_keep_the_text_written(write):
    # ids, tags and references are text: `001` stays "001", `yes` stays "yes", 0.50 stays "0.50".
    path = write("s.yaml", """
        name: 2024
        cases:
          - id: 001
            input: 42
            reference: 0.50
            tags: {tier: 1, flag: yes, ratio: 1.0}
            graders: [{type: numeric, value: 0.5, tolerance: 0}]
    """)
    suite = load_suite(path)
    case = suite.cases[0]
    assert suite.name == "2024"
    assert (case.id, case.input, case.reference) == ("001", "42", "0.50")
    assert case.tags == {"tier": "1", "flag": "yes", "ratio": "1.0"}
    assert case.graders[0].params == {"value": 0.5, "tolerance": 0}  # grader parameters keep YAML types


def test_defaults_without_split_or_thresholds(write):
    suite = load_suite(write("s.yaml", """
        name: minimal
        cases:
          - {id: a, input: hi}
    """))
    assert suite.split == "dev"
    assert suite.thresholds == Thresholds()
    assert suite.default_graders == () and suite.cases[0].graders == ()
    assert suite.cases[0].tags == {} and suite.cases[0].metadata == {}


def test_anchors_and_merge_keys(write):
    suite = load_suite(write("s.yaml", """
        name: anchors
        cases:
          - id: a
            input: hi
            tags: &tags {locale: en}
            graders:
              - &common {type: contains, values: [ok]}
              - {<<: *common, values: [fine], weight: 2}
          - id: b
            input: hello
            tags: *tags
    """))
    a, b = suite.cases
    assert a.graders[0].params == {"values": ["ok"]}
    assert a.graders[1].type == "contains" and a.graders[1].params == {"values": ["fine"], "weight": 2}
    assert b.tags == {"locale": "en"}


def test_dates_in_metadata_stay_text(write):
    suite = load_suite(write("s.yaml", """
        name: dated
        cases:
          - {id: a, input: hi, metadata: {added: 2024-05-01}}
    """))
    assert suite.cases[0].metadata == {"added": "2024-05-01"}


def test_multiline_block_input(write):
    suite = load_suite(write("s.yaml", """
        name: blocks
        cases:
          - id: a
            input: |
              line one
              line two
    """))
    assert suite.cases[0].input == "line one\nline two\n"
