"""The OpenAI graders guide's own examples, pasted unchanged, give the results the guide documents.

Source: developers.openai.com/api/docs/guides/graders (string check, text similarity, score model,
python, multigraders: the `sample.output_json` example and the tool-call example).
"""
from __future__ import annotations

import json

import pytest
from rapidfuzz import fuzz, utils

from gradeloop.graders import build_grader
from gradeloop.suite.model import Case, GraderSpec
from gradeloop.tools.calls import Reply, ToolCall


def load(obj: dict, case: Case, judge_factory=None):
    d = json.loads(json.dumps(obj))
    return build_grader(GraderSpec(d.pop("type"), d, file="guide.json", line=1), case, judge_factory=judge_factory)


class Judge:
    """A fake judge model that answers the prompt it is given with a fixed result, tagged with the nonce."""

    def __init__(self, result: float) -> None:
        self.result, self.prompts = result, []

    def __call__(self, prompt: str) -> str:
        import re

        self.prompts.append(prompt)
        nonce = re.search(r'"verdict_id": "([0-9a-f]+)"', prompt).group(1)
        return json.dumps({"verdict_id": nonce, "result": self.result, "steps": []})


# --- string check ---------------------------------------------------------------------------------
@pytest.mark.parametrize("operation, output, score", [
    ("eq", "Paris", 1), ("eq", "paris", 0),  # eq: matches (case-sensitive)
    ("neq", "Lyon", 1), ("neq", "Paris", 0), ("ne", "Lyon", 1),  # neq: does not match (case-sensitive)
    ("like", "It is Paris.", 1), ("like", "it is paris.", 0),  # like: contains (case-sensitive)
    ("ilike", "IT IS PARIS.", 1), ("ilike", "Lyon", 0),  # ilike: contains (case-insensitive)
])
def test_string_check(operation, output, score):
    case = Case("c", "Capital of France?", reference="Paris")
    grader = load({"type": "string_check", "name": "string check example", "input": "{{sample.output_text}}",
                   "reference": "{{item.reference_answer}}", "operation": operation}, case)
    assert grader.grade(case, output).score == score


# --- text similarity -------------------------------------------------------------------------------
def test_text_similarity_fuzzy_match_with_rapidfuzz():
    case = Case("c", "q", reference="the account locks after five failed attempts")
    grader = load({"type": "text_similarity", "name": "sim", "input": "{{sample.output_text}}",
                   "reference": "{{item.reference_answer}}", "pass_threshold": 0.8,
                   "evaluation_metric": "fuzzy_match"}, case)
    out = "the account locks after 5 failed attempts"
    g = grader.grade(case, out)
    assert g.score == pytest.approx(fuzz.ratio(out, case.reference) / 100) and g.passed
    assert not grader.grade(case, "call the help desk").passed


# --- score model -----------------------------------------------------------------------------------
SCORE_MODEL = {
    "type": "score_model", "name": "my_score_model",
    "input": [{"role": "system", "content": "You are an expert grader. If the reference and model answer are exact "
               "matches, output a score of 1. If they are somewhat similar in meaning, output a score in 0.5. "
               "Otherwise, give a score of 0."},
              {"role": "user", "content": "Reference: {{ item.reference_answer }}. Model answer: {{ sample.output_text }}"}],
    "pass_threshold": 0.5, "model": "o4-mini-2025-04-16", "range": [0, 1],
    "sampling_params": {"max_completions_tokens": 32768, "top_p": 1, "reasoning_effort": "medium"},
}


def test_score_model_guide_example():
    case = Case("c", "q", metadata={"reference_answer": 1.0})  # the guide's item
    judge, models = Judge(0.5), []  # "somewhat similar in meaning": 0.5
    grader = load(SCORE_MODEL, case, judge_factory=lambda m: (models.append(m), judge)[1])
    g = grader.grade(case, "0.9")  # the guide's model_sample
    assert models == ["o4-mini-2025-04-16"]
    assert g.error is None and g.score == 0.5 and g.passed  # at pass_threshold 0.5
    assert "Reference: 1.0. Model answer: <<<OUTPUT-" in judge.prompts[0]


@pytest.mark.parametrize("result, score", [(1.7, 1.0), (-2, 0.0)])
def test_score_model_output_is_clipped_to_the_range(result, score):
    case = Case("c", "q", reference="1.0")
    g = load(SCORE_MODEL, case, judge_factory=lambda m: Judge(result)).grade(case, "x")
    assert g.error is None and g.score == score


# --- python ----------------------------------------------------------------------------------------
def test_python_guide_example():
    source = ("from rapidfuzz import fuzz, utils\n\n"
              "def grade(sample, item) -> float:\n"
              "    output_text = sample[\"output_text\"]\n"
              "    reference_answer = item[\"reference_answer\"]\n"
              "    return fuzz.WRatio(output_text, reference_answer, processor=utils.default_process) / 100.0\n")
    case = Case("c", "q", metadata={"reference_answer": "fuzzy wuzzy had no hair"})
    g = load({"type": "python", "name": "py", "source": source}, case).grade(case, "fuzzy wuzzy was a bear")
    expected = fuzz.WRatio("fuzzy wuzzy was a bear", "fuzzy wuzzy had no hair", processor=utils.default_process) / 100
    assert g.error is None and g.score == pytest.approx(expected)


# --- multigraders ----------------------------------------------------------------------------------
OUTPUT_JSON_MULTI = {
    "type": "multi",
    "graders": {
        "name": {"name": "name_grader", "type": "text_similarity", "input": "{{sample.output_json.name}}",
                 "reference": "{{item.name}}", "evaluation_metric": "fuzzy_match", "pass_threshold": 0.9},
        "email": {"name": "email_grader", "type": "string_check", "input": "{{sample.output_json.email}}",
                  "reference": "{{item.email}}", "operation": "eq"},
    },
    "calculate_output": "(name + email) / 2",
}
PERSON = Case("p", "Extract the contact.", metadata={"name": "John Doe", "email": "john.doe@gmail.com"})


def test_output_json_multigrader_guide_example():
    grader = load(OUTPUT_JSON_MULTI, PERSON)
    right = grader.grade(PERSON, json.dumps({"name": "John Doe", "email": "john.doe@gmail.com"}))
    typo = grader.grade(PERSON, json.dumps({"name": "Jon Doe", "email": "john.doe@gmail.com"}))
    bad_email = grader.grade(PERSON, json.dumps({"name": "John Doe", "email": "jd@gmail.com"}))
    not_json = grader.grade(PERSON, "John Doe, john.doe@gmail.com")
    assert right.score == 1.0
    # "samples with the email wrong score 0 to 0.5; with the email right, 0.5 to 1.0"
    assert 0.5 <= typo.score < 1.0 and typo.score == pytest.approx((fuzz.ratio("Jon Doe", "John Doe") / 100 + 1) / 2)
    assert 0.0 <= bad_email.score <= 0.5
    assert not_json.error is None and not_json.score == 0.0  # no output_json: nothing matches


TOOL_MULTI = {
    "type": "multi",
    "graders": {
        "function_name": {"name": "function_name", "type": "string_check", "input": "get_acceptors",
                          "reference": "{{sample.output_tools[0].function.name}}", "operation": "eq"},
        "arguments": {"name": "arguments", "type": "string_check", "input": "{\"smiles\": \"{{item.smiles}}\"}",
                      "reference": "{{sample.output_tools[0].function.arguments}}", "operation": "eq"},
    },
    "calculate_output": "0.5 * function_name + 0.5 * arguments",
}
MOLECULE = Case("m", "Which atoms accept hydrogen bonds?", metadata={"smiles": "CCO"})


def test_tool_call_multigrader_guide_example():
    grader = load(TOOL_MULTI, MOLECULE)
    right = Reply("", [ToolCall("get_acceptors", {"smiles": "CCO"})])
    wrong_args = Reply("", [ToolCall("get_acceptors", {"smiles": "CCN"})])
    wrong_tool = Reply("", [ToolCall("get_donors", {"smiles": "CCO"})])
    assert grader.grade(MOLECULE, right).score == 1.0
    assert grader.grade(MOLECULE, wrong_args).score == 0.5
    assert grader.grade(MOLECULE, wrong_tool).score == 0.5
    assert grader.grade(MOLECULE, "I would call get_acceptors.").score == 0.0  # no tool call at all


def test_multi_formula_sees_score_model_on_its_own_range():
    case = Case("c", "q", reference="Paris")
    obj = {"type": "multi", "graders": {
        "quality": {**SCORE_MODEL, "range": [0, 10], "pass_threshold": 5},
        "exact": {"type": "string_check", "name": "exact", "input": "{{sample.output_text}}",
                  "reference": "{{item.reference_answer}}", "operation": "eq"}},
        "calculate_output": "(quality / 10 + exact) / 2"}
    g = load(obj, case, judge_factory=lambda m: Judge(7)).grade(case, "Paris")
    assert g.error is None and g.score == pytest.approx(0.85)  # OpenAI's value; 0.535 if rescaled first


@pytest.mark.parametrize("formula, score", [
    ("(name ^ 2 + email ^ 2) / 2", 1.0), ("floor(name + email) / 2", 1.0), ("ceil(0.2 * name)", 1.0),
    ("sqrt(name * email)", 1.0), ("exp(log(name))", 1.0), ("min(name, email) - abs(name - email)", 1.0),
])
def test_calculate_output_operations_in_a_multigrader(formula, score):
    g = load({**OUTPUT_JSON_MULTI, "calculate_output": formula}, PERSON)
    out = g.grade(PERSON, json.dumps({"name": "John Doe", "email": "john.doe@gmail.com"}))
    assert out.error is None and out.score == pytest.approx(score)
