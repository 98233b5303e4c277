"""OpenAI Evals: the documented IT-ticket eval (create-eval body, tickets.jsonl, create-run template) and legacy samples."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradeloop.cli import main
from gradeloop.errors import InputError
from gradeloop.importers.openai_evals import import_legacy_jsonl, import_openai_eval
from tests.importers.helpers import case, verdict

DATA = Path(__file__).parent / "data" / "openai"


def test_documented_example_becomes_cases_with_the_string_check_unchanged():
    result = import_openai_eval(DATA / "eval.json", DATA / "tickets.jsonl", run_file=DATA / "run.json")
    suite = result.suite
    assert suite.name == "it-ticket-categorization" and len(suite.cases) == 3 and not result.issues
    assert [g.type for g in suite.default_graders] == ["string_check"]
    assert suite.default_graders[0].params["reference"] == "{{ item.correct_label }}"
    first = suite.cases[0]
    assert first.input[0]["role"] == "developer" and first.input[1] == {"role": "user", "content": "My monitor won't turn on!"}
    assert verdict(suite, first, "Hardware") is True
    assert verdict(suite, first, "hardware") is False  # eq is exact
    assert verdict(suite, case(suite, "item-3"), "Other") is True


def test_recorded_samples_become_a_replay_file_and_grade_like_openai(tmp_path):
    out, replay, run = tmp_path / "s.yaml", tmp_path / "r.jsonl", tmp_path / "run.json"
    assert main(["import", "openai-evals", str(DATA / "eval.json"), "--data", str(DATA / "tickets_with_samples.jsonl"),
                 "--run", str(DATA / "run.json"), "--out", str(out), "--replay-out", str(replay)]) == 0
    rows = [json.loads(line) for line in replay.read_text().splitlines()]
    assert [r["output"] for r in rows] == ["Hardware", "Other", "Other"]
    assert main(["eval", str(out), "-t", f"replay:{replay}", "-q", "--store", str(tmp_path / "st.db"),
                 "--json", str(run)]) in (0, 1)
    cases = json.loads(run.read_text())["cases"]
    assert [c["samples"][0]["passed"] for c in cases] == [True, False, True]  # the vim ticket answered "Other"


def test_items_breaking_the_item_schema_are_reported_with_their_line(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"item": {"ticket_text": "a", "correct_label": "Other"}}\n{"item": {"ticket_text": "b"}}\n')
    result = import_openai_eval(DATA / "eval.json", data, run_file=DATA / "run.json")
    assert len(result.suite.cases) == 1
    assert [str(e) for e in result.errors] == [f"{data}:2: error: item does not match item_schema at (item): "
                                               "'correct_label' is a required property"]


def test_missing_input_template_is_an_error_not_an_empty_case():
    with pytest.raises(InputError, match=r"no case could be imported: no input: pass --run.*\(2 more problem"):
        import_openai_eval(DATA / "eval.json", DATA / "tickets.jsonl")


def test_legacy_samples_use_the_match_rule():
    result = import_legacy_jsonl(DATA / "legacy.jsonl")
    suite = result.suite
    france, planet = suite.cases
    assert france.input[1]["content"] == "France?" and france.reference == "Paris"
    assert verdict(suite, france, "Paris is the capital") is True  # Match: starts with an ideal answer
    assert verdict(suite, france, "It is Paris") is False
    assert verdict(suite, planet, "jupiter") is True
    includes = import_legacy_jsonl(DATA / "legacy.jsonl", rule="includes").suite
    assert verdict(includes, includes.cases[0], "It is Paris") is True


def test_item_fields_named_like_case_fields_still_resolve(tmp_path):
    ev = tmp_path / "eval.json"
    ev.write_text(json.dumps({"name": "echo", "data_source_config": {"type": "custom", "item_schema": {
        "type": "object", "properties": {"input": {"type": "string"}, "id": {"type": "string"}}}},
        "testing_criteria": [{"type": "string_check", "name": "same", "input": "{{ sample.output_text }}",
                              "operation": "eq", "reference": "{{ item.input }}"}]}))
    data = tmp_path / "d.jsonl"
    data.write_text('{"item": {"id": "x1", "input": "say hi"}}\n')
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"data_source": {"input_messages": {"type": "template", "template": [
        {"role": "user", "content": "Repeat exactly: {{ item.input }}"}]}}}))
    suite = import_openai_eval(ev, data, run_file=run).suite
    only = suite.cases[0]
    assert only.id == "x1" and only.input[0]["content"] == "Repeat exactly: say hi"
    assert suite.default_graders[0].params["reference"] == "{{ metadata.input }}"
    assert verdict(suite, only, "say hi") is True and verdict(suite, only, "Repeat exactly: say hi") is False


def test_other_documented_grader_types_run_as_written(tmp_path):
    from gradeloop.graders.build import build_graders
    from gradeloop.graders.combine import combine
    from gradeloop.graders.safety import safe_grade

    ev = tmp_path / "eval.json"
    ev.write_text(json.dumps({"name": "mixed", "data_source_config": {"type": "custom", "item_schema": {
        "type": "object", "properties": {"question": {"type": "string"}, "reference_answer": {"type": "string"}}}},
        "testing_criteria": [
            {"type": "text_similarity", "name": "close", "input": "{{ sample.output_text }}",
             "reference": "{{ item.reference_answer }}", "evaluation_metric": "fuzzy_match", "pass_threshold": 0.8},
            {"type": "python", "name": "py", "image_tag": "2025-05-08",
             "source": "def grade(sample, item) -> float:\n    return 1.0 if item['reference_answer'].split()[-1] in "
                       "sample['output_text'] else 0.0\n"},
            {"type": "label_model", "name": "tone", "model": "openai:judge@http://127.0.0.1:9/v1",
             "input": [{"role": "developer", "content": "Classify the tone of {{ sample.output_text }}"}],
             "labels": ["polite", "rude"], "passing_labels": ["polite"]},
            {"type": "string_check", "name": "json", "input": "{{ sample.output_json.answer }}", "operation": "eq",
             "reference": "x"}]}))
    data = tmp_path / "d.jsonl"
    data.write_text('{"item": {"question": "Capital of France?", "reference_answer": "The capital is Paris"}, '
                    '"sample": {"output_text": "The capital is Paris"}}\n')
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"data_source": {"input_messages": {"type": "item_reference",
                                                                  "item_reference": "item.question"}}}))
    result = import_openai_eval(ev, data, run_file=run)
    suite = result.suite
    assert [g.type for g in suite.default_graders] == ["text_similarity", "python", "llm_judge"]
    assert "output_json" in str(result.errors[0])  # only {{ sample.output_text }} is supported: reported
    judge = suite.default_graders[2].params
    assert judge["choices"] == {"polite": 1.0, "rude": 0.0} and "the OUTPUT below" in judge["rubric"]
    only = suite.cases[0]
    assert only.input == "Capital of France?" and result.replay[0]["output"] == "The capital is Paris"
    for reply, expected in (('{"choice": "polite"}', True), ('{"choice": "rude"}', False)):
        graders = build_graders(suite, only, judge_factory=lambda model, r=reply: (lambda prompt: r))
        grades = [safe_grade(g, only, "The capital is Paris") for g in graders]
        assert combine(graders, grades)[0] is expected, grades


def test_legacy_fuzzy_match_accepts_containment_both_ways():
    suite = import_legacy_jsonl(DATA / "legacy.jsonl", rule="fuzzy_match").suite
    france = suite.cases[0]
    assert verdict(suite, france, "I believe it is PARIS.") is True  # the answer inside the output
    assert verdict(suite, france, "Par") is True  # the output inside the answer (openai/evals' rule)
    assert verdict(suite, france, "Lyon") is False
