"""Every kind of bad suite input is one InputError naming file, line and field."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.suite import load_suite

from .conftest import load_error


def test_malformed_yaml_names_the_parser_line(write):
    err = load_error(write("s.yaml", """
        name: broken
        cases:
          - id: a
            input: [unclosed, list
          - id: b
    """))
    assert err.line == 5 and "malformed YAML" in err.message
    err = load_error(write("t.yaml", "name: x\ncases:\n  - id: a\n\tinput: tab\n"))
    assert err.line == 4 and "malformed YAML" in err.message


def test_two_yaml_documents_are_refused(write):
    err = load_error(write("s.yaml", "name: a\ncases: [{id: x, input: y}]\n---\nname: b\n"))
    assert err.line == 3 and "single document" in err.message


def test_non_utf8_yaml_names_the_line_of_the_first_bad_byte(write):
    data = "name: latin\ncases:\n  - id: a\n    input: caf".encode() + b"\xe9 au lait\n"
    err = load_error(write("s.yaml", data))
    assert err.line == 4 and "UTF-8" in err.message and "0xe9" in err.message and "column 15" in err.message


def test_utf8_bom_is_accepted(write):
    suite = load_suite(write("s.yaml", "\ufeffname: bom\ncases: [{id: a, input: x}]\n".encode("utf-8")))
    assert suite.name == "bom"


def test_empty_file(write):
    err = load_error(write("s.yaml", "# only a comment\n"))
    assert err.line == 1 and "empty" in err.message


def test_top_level_not_a_mapping(write):
    err = load_error(write("s.yaml", "- id: a\n  input: x\n"))
    assert err.line == 1 and "mapping" in err.message


def test_missing_name(write):
    err = load_error(write("s.yaml", "# a suite\n# without a name\ndescription: d\ncases: [{id: a, input: x}]\n"))
    assert (err.line, err.field) == (3, "name") and "missing suite name" in err.message


def test_missing_cases(write):
    err = load_error(write("s.yaml", "name: x\ndescription: no cases\n"))
    assert (err.line, err.field) == (1, "cases") and "missing `cases`" in err.message


def test_cases_not_a_list(write):
    err = load_error(write("s.yaml", "name: x\ncases:\n  a: {input: x}\n"))
    assert (err.line, err.field) == (2, "cases")


@pytest.mark.parametrize("cases", ["cases: []", "cases:"])
def test_empty_suite(write, cases):
    err = load_error(write("s.yaml", f"name: x\n{cases}\n"))
    assert err.field == "cases" and "no cases" in err.message


def test_duplicate_case_ids_name_both_lines(write):
    err = load_error(write("s.yaml", """
        name: x
        cases:
          - {id: a, input: one}
          - {id: b, input: two}
          - id: a
            input: three
    """))
    assert (err.line, err.field) == (5, "cases[2].id")
    assert "duplicate case id 'a'" in err.message and "lines 3 and 5" in err.message


def test_missing_case_id(write):
    err = load_error(write("s.yaml", "name: x\ncases:\n  - input: hi\n"))
    assert (err.line, err.field) == (3, "cases[0].id") and "missing case id" in err.message


@pytest.mark.parametrize("case, message", [
    ("{id: a}", "missing input"),
    ("{id: a, input: '   '}", "input is empty"),
    ("{id: a, input: null}", "missing input"),
    ("{id: a, input: []}", "empty list"),
    ("{id: a, input: [{role: user, content: ''}]}", "blank"),
])
def test_missing_or_empty_input(write, case, message):
    err = load_error(write("s.yaml", f"name: x\ncases:\n  - {{id: ok, input: fine}}\n  - {case}\n"))
    assert (err.line, err.field) == (4, "cases[1].input") and message in err.message


def test_bad_message_in_chat_input(write):
    err = load_error(write("s.yaml", """
        name: x
        cases:
          - id: a
            input:
              - {role: system, content: be nice}
              - {content: hi}
    """))
    assert (err.line, err.field) == (6, "cases[0].input[1].role")


def test_bad_split(write):
    err = load_error(write("s.yaml", "name: x\nsplit: holdut\ncases: [{id: a, input: x}]\n"))
    assert (err.line, err.field) == (2, "split")
    assert "holdut" in err.message and "did you mean `holdout`" in err.message


def test_requested_split_never_relabels_a_declared_one(write):
    path = write("s.yaml", "name: x\nsplit: holdout\ncases: [{id: a, input: x}]\n")
    err = load_error(path, split="train")
    assert (err.line, err.field) == (2, "split") and "declares split 'holdout'" in err.message
    assert load_suite(path, split="holdout").split == "holdout"
    with pytest.raises(InputError, match="bad split"):
        load_suite(path, split="nope")


def test_bad_expect(write):
    err = load_error(write("s.yaml", "name: x\ncases:\n  - id: a\n    input: x\n    expect: refusal\n"))
    assert (err.line, err.field) == (5, "cases[0].expect")
    assert "refusal" in err.message and "did you mean `refuse`" in err.message


@pytest.mark.parametrize("thresholds, line, field, message", [
    ("thresholds: 0.9", 2, "thresholds", "must be a mapping"),
    ("thresholds:\n  min_pass_rate: 1.5", 3, "thresholds.min_pass_rate", "between 0 and 1"),
    ("thresholds:\n  min_pass_rate: high", 3, "thresholds.min_pass_rate", "between 0 and 1"),
    ("thresholds:\n  min_pass_rate: true", 3, "thresholds.min_pass_rate", "between 0 and 1"),
    ("thresholds:\n  min_pass_rate: 0.9\n  on: median", 4, "thresholds.on", "mean, ci_low"),
    ("thresholds:\n  min_pass_rat: 0.9", 3, "thresholds.min_pass_rat", "did you mean `min_pass_rate`"),
])
def test_bad_thresholds(write, thresholds, line, field, message):
    err = load_error(write("s.yaml", f"name: x\n{thresholds}\ncases: [{{id: a, input: x}}]\n"))
    assert (err.line, err.field) == (line, field) and message in err.message


@pytest.mark.parametrize("tags, field, message", [
    ("tags: [intent, risk]", "cases[0].tags", "must be a mapping"),
    ("tags: intent=refund", "cases[0].tags", "must be a mapping"),
    ("tags: {intent: [a, b]}", "cases[0].tags.intent", "must be a string"),
    ("tags: {intent: }", "cases[0].tags.intent", "got nothing"),
])
def test_tags_must_map_keys_to_text(write, tags, field, message):
    err = load_error(write("s.yaml", f"name: x\ncases:\n  - id: a\n    input: x\n    {tags}\n"))
    assert (err.line, err.field) == (5, field) and message in err.message


def test_grader_entry_not_a_mapping(write):
    err = load_error(write("s.yaml", """
        name: x
        cases:
          - id: a
            input: x
            graders:
              - {type: contains, values: [x]}
              - contains
    """))
    assert (err.line, err.field) == (7, "cases[0].graders[1]") and "must be a mapping" in err.message


def test_graders_not_a_list(write):
    err = load_error(write("s.yaml", "name: x\ncases:\n  - id: a\n    input: x\n    graders: {type: contains}\n"))
    assert (err.line, err.field) == (5, "cases[0].graders") and "list" in err.message


@pytest.mark.parametrize("entry, message", [("{values: [x]}", "missing `type`"), ("{type: ''}", "non-empty")])
def test_grader_entry_without_type(write, entry, message):
    err = load_error(write("s.yaml", f"""
        name: x
        defaults:
          graders:
            - {{type: contains, values: [x]}}
            - {entry}
        cases: [{{id: a, input: x}}]
    """))
    assert (err.line, err.field) == (5, "defaults.graders[1].type") and message in err.message


def test_unknown_top_level_key_suggests_the_closest(write):
    err = load_error(write("s.yaml", "name: x\ndefault:\n  graders: []\ncases: [{id: a, input: x}]\n"))
    assert (err.line, err.field) == (2, "default") and "did you mean `defaults`" in err.message
    err = load_error(write("t.yaml", "name: x\nowner: qa-team\ncases: [{id: a, input: x}]\n"))
    assert err.field == "owner" and "did you mean" not in err.message and "expected one of" in err.message


def test_unknown_case_key_suggests_the_closest(write):
    err = load_error(write("s.yaml", "name: x\ncases:\n  - id: a\n    input: x\n    refrence: y\n"))
    assert (err.line, err.field) == (5, "cases[0].refrence") and "did you mean `reference`" in err.message


def test_unknown_defaults_key(write):
    err = load_error(write("s.yaml", "name: x\ndefaults:\n  grader: []\ncases: [{id: a, input: x}]\n"))
    assert (err.line, err.field) == (3, "defaults.grader") and "did you mean `graders`" in err.message


def test_case_not_a_mapping(write):
    err = load_error(write("s.yaml", "name: x\ncases:\n  - {id: a, input: x}\n  - just text\n"))
    assert (err.line, err.field) == (4, "cases[1]")


def test_duplicate_yaml_key_is_not_silently_dropped(write):
    err = load_error(write("s.yaml", "name: x\ncases:\n  - id: a\n    input: one\n    input: two\n"))
    assert (err.line, err.field) == (5, "cases[0].input") and "duplicate key" in err.message and "line 4" in err.message


def test_structured_reference_is_refused(write):
    err = load_error(write("s.yaml", "name: x\ncases:\n  - id: a\n    input: x\n    reference: {a: 1}\n"))
    assert (err.line, err.field) == (5, "cases[0].reference")


def test_metadata_must_be_a_mapping(write):
    err = load_error(write("s.yaml", "name: x\ncases:\n  - id: a\n    input: x\n    metadata: [1, 2]\n"))
    assert (err.line, err.field) == (5, "cases[0].metadata")


def test_unsupported_yaml_types_are_refused(write):
    err = load_error(write("s.yaml", "name: x\ncases:\n  - id: a\n    input: x\n    metadata: {k: !!set {a, b}}\n"))
    assert err.line == 5 and "unsupported YAML type" in err.message
    err = load_error(write("t.yaml", "name: x\ncases:\n  - id: a\n    input: !shell echo hi\n"))
    assert err.line == 4 and "unsupported" in err.message


def test_errors_print_as_one_line(write):
    err = load_error(write("s.yaml", "name: x\nsplit: prod\ncases: [{id: a, input: x}]\n"))
    text = str(err)
    assert text.startswith(f"{err.file}:2: split: bad split 'prod'") and "\n" not in text
