"""promptfoo configs: cases from prompts x tests, assertions with promptfoo's verdicts, unmappable ones reported."""
from __future__ import annotations

from pathlib import Path

import pytest

from gradeloop.cli import main
from gradeloop.importers.jsexpr import Unsupported, translate
from gradeloop.importers.jsregex import js_regex_to_python
from gradeloop.importers.promptfoo import import_promptfoo
from gradeloop.importers.result import check_graders, write_suite
from gradeloop.suite import load_suites
from tests.importers.helpers import case, verdict

DATA = Path(__file__).parent / "data" / "promptfoo"


@pytest.fixture(scope="module")
def imported():
    return import_promptfoo(DATA / "promptfooconfig.yaml")


def test_prompts_times_tests_with_vars_defaults_and_list_expansion(imported):
    suite = imported.suite
    assert len(suite.cases) == 58  # 18 tests x 3 prompts, one list var x 2 values x 3, one test on 1 prompt
    first = case(suite, "contains-passes-p1")
    assert first.input == "Answer about billing: How do I reset my password?"  # defaultTest var filled
    assert [g.type for g in first.graders] == ["regex", "contains"]  # defaultTest assert (not-icontains) first
    assert case(suite, "var-from-file-and-template-in-value-p1").input.startswith(
        "Answer about password resets and account lockout:")  # file:// var, trimmed
    expanded = [c for c in suite.cases if c.id.startswith("list-var-expands")]
    assert len(expanded) == 6 and {"first question", "second question"} <= {c.metadata["vars"]["question"] for c in expanded}
    only = [c for c in suite.cases if c.id.startswith("equals-json-object")]
    assert [c.input for c in only] == ['{"a": 1, "b": [true, null]}']  # test-level `prompts` filter
    assert not imported.errors and len(imported.warnings) == 3


def test_written_suite_loads_back_with_the_same_version(imported, tmp_path):
    check_graders(imported.suite)
    loaded = write_suite(imported, tmp_path / "pf.yaml")
    again = load_suites(tmp_path / "pf.yaml")[0]
    assert again.version == loaded.version and len(again.cases) == 58


@pytest.mark.parametrize("case_id, output, expected", [
    ("contains-is-case-sensitive-p1", "How do I reset it?", True),
    ("contains-is-case-sensitive-p1", "How do I RESET it?", False),  # promptfoo's contains is case-sensitive
    ("icontains-ignores-case-p1", "RESET", True),
    ("contains-any-and-contains-all-p1", "OTP expiry is ten minutes", True),
    ("contains-any-and-contains-all-p1", "OTP expiry is 10 minutes", False),  # contains-all misses one
    ("equals-exact-p1", "Answer about billing: x", True),
    ("equals-exact-p1", "Answer about billing: x\n", False),  # equals does not strip
    ("starts-with-and-regex-p1", "Answer about Order 12345 is early", True),
    ("starts-with-and-regex-p1", "Answer about Order 12345 is late", False),  # not-regex late$
    ("weighted-threshold-p1", "refund only", True),  # 3 / 4 = 0.75 >= 0.6 although voucher is missing
    ("weighted-threshold-p1", "voucher only", False),  # 1 / 4 < 0.6
    ("contains-passes-p1", "reset my password FORBIDDEN", False),  # defaultTest not-icontains
])
def test_verdicts_follow_promptfoo_rules(imported, case_id, output, expected):
    assert verdict(imported.suite, case(imported.suite, case_id), output) is expected


def test_generated_python_graders_reproduce_promptfoo_metrics(imported):
    suite = imported.suite
    lev = case(suite, "levenshtein-within-threshold-p1")
    assert verdict(suite, lev, "Answer about greetings: hello world") is True
    assert verdict(suite, lev, "Answer about greetings: goodbye") is False
    rb = case(suite, "rouge-n-and-bleu-p1")
    assert verdict(suite, rb, "Answer about cats: the cat sat on the mat") is True
    assert verdict(suite, rb, "a dog") is False
    py = case(suite, "python-inline-and-file-p1")
    assert verdict(suite, py, "count these words please now, many words") is True
    assert verdict(suite, py, "count") is False
    js = case(suite, "javascript-expression-p1")
    assert verdict(suite, js, "short") is True and verdict(suite, js, "long " * 20) is False


def test_unmappable_assertions_are_listed_with_file_and_line(tmp_path):
    cfg = tmp_path / "promptfooconfig.yaml"
    cfg.write_text("prompts: ['{{q}}']\nproviders: [echo]\ntests:\n  - description: one\n    vars: {q: hi}\n"
                   "    assert:\n      - type: contains\n        value: hi\n      - type: similar\n        value: hello\n"
                   "      - type: javascript\n        value: output == 'hi'\n")
    result = import_promptfoo(cfg)
    errors = [str(e) for e in result.errors]
    assert len(errors) == 2
    assert errors[0].startswith(f"{cfg}:9: error: [one] similar:") and "embedding" in errors[0]
    assert errors[1].startswith(f"{cfg}:11: error: [one] javascript:") and "loose equality" in errors[1]
    assert [g.type for g in result.suite.cases[0].graders] == ["contains"]  # what could be mapped is kept
    assert result.suite.cases[0].metadata["unmapped_assertions"] == [f"similar at {cfg}:9", f"javascript at {cfg}:11"]
    out = tmp_path / "s.yaml"
    assert main(["import", "promptfoo", str(cfg), "--out", str(out)]) == 2 and not out.exists()
    assert main(["import", "promptfoo", str(cfg), "--out", str(out), "--partial"]) == 0 and out.exists()


def test_bad_config_is_one_input_error(tmp_path, capsys):
    cfg = tmp_path / "promptfooconfig.yaml"
    cfg.write_text("tests: []\n")
    assert main(["import", "promptfoo", str(cfg), "--out", str(tmp_path / "s.yaml")]) == 2
    assert "no `prompts`" in capsys.readouterr().err


def test_javascript_regex_and_expressions_translate_or_refuse():
    assert js_regex_to_python(r"(?<y>\d{4})-\k<y>$") == r"(?P<y>\d{4})-(?P=y)\Z"
    assert translate("output.includes('a') && output.length < 5") == "output.includes(_Str('a')) and output.length<5"
    for bad in ("output == 'a'", "x => x", "cond ? a : b", "const a = 1; a", "`t`"):
        with pytest.raises(Unsupported):
            translate(bad)


def test_tests_from_csv_and_jsonl_files(tmp_path):
    (tmp_path / "tests.csv").write_text('q,__expected1,__expected2,__description\n'
                                        'hello world,contains: world,not-icontains: BYE,greets\n'
                                        'plain,plain,"regex: ^pl",equals by default\n')
    (tmp_path / "more.jsonl").write_text('{"description": "from jsonl", "vars": {"q": "x"}, '
                                         '"assert": [{"type": "equals", "value": "x"}]}\n')
    cfg = tmp_path / "promptfooconfig.yaml"
    cfg.write_text("prompts: ['{{q}}']\ntests:\n  - file://tests.csv\n  - file://more.jsonl\n")
    result = import_promptfoo(cfg)
    suite = result.suite
    assert not result.issues and [c.id for c in suite.cases] == ["greets", "equals-by-default", "from-jsonl"]
    greets, plain, from_jsonl = suite.cases
    assert [g.type for g in greets.graders] == ["contains", "regex"] and greets.graders[0].line == 2
    assert verdict(suite, greets, "hello world") is True and verdict(suite, greets, "world, bye") is False
    assert [g.type for g in plain.graders] == ["exact", "regex"] and verdict(suite, plain, "plain") is True
    assert verdict(suite, from_jsonl, "x") is True and verdict(suite, from_jsonl, "x ") is False


@pytest.mark.parametrize("cell, expected", [
    ("contains: world", {"type": "contains", "value": "world"}),
    ("not-icontains-any: \"a, b\", c", {"type": "not-icontains-any", "value": " \"a, b\", c"}),
    ("levenshtein: abc", {"type": "levenshtein", "value": "abc", "threshold": 0.75}),  # promptfoo's CSV default
    ("rouge-n(0.5): x", {"type": "rouge-n", "value": "x", "threshold": 0.5}),
    ("is-json", {"type": "is-json", "value": None}),
    ("fn: output.length > 2", {"type": "javascript", "value": "output.length > 2"}),
    ("grade: is polite", {"type": "llm-rubric", "value": " is polite"}),
    ("python: len(output) > 1", {"type": "python", "value": "len(output) > 1"}),
    ("just text: with a colon", {"type": "equals", "value": "just text: with a colon"}),
])
def test_csv_cells_parse_as_promptfoo_reads_them(cell, expected):
    from gradeloop.importers.promptfoo import csv_assertion

    assert csv_assertion(cell) == expected


def test_llm_rubric_needs_a_judge_and_becomes_an_llm_judge(tmp_path):
    cfg = tmp_path / "promptfooconfig.yaml"
    cfg.write_text("prompts: ['{{q}}']\ntests:\n  - description: polite\n    vars: {q: hi}\n    assert:\n"
                   "      - type: llm-rubric\n        value: is polite\n      - type: not-llm-rubric\n"
                   "        value: is rude\n        provider: openai:chat:gpt-4o-mini\n")
    without = import_promptfoo(cfg)
    assert len(without.errors) == 1 and "--judge" in without.errors[0].message  # the second names its provider
    judged = import_promptfoo(cfg, judge="openai:judge@http://127.0.0.1:9/v1").suite.cases[0]
    first, second = judged.graders
    assert first.type == "llm_judge" and first.params["model"] == "openai:judge@http://127.0.0.1:9/v1"
    assert second.type == "multi" and second.params["graders"]["a"]["model"] == "openai:gpt-4o-mini"  # its own
    assert without.suite.cases[0].graders[0].params["graders"]["a"]["model"] == "openai:gpt-4o-mini"


def test_default_grader_provider_of_the_config_is_the_judge_unless_judge_is_given(tmp_path):
    cfg = tmp_path / "promptfooconfig.yaml"
    cfg.write_text("prompts: ['{{q}}']\ndefaultTest:\n  options:\n    provider: openai:chat:gpt-4.1-mini\n"
                   "tests:\n  - vars: {q: hi}\n    assert:\n      - type: llm-rubric\n        value: is polite\n")
    assert import_promptfoo(cfg).suite.cases[0].graders[0].params["model"] == "openai:gpt-4.1-mini"
    assert import_promptfoo(cfg, judge="openai:local@http://127.0.0.1:9/v1").suite.cases[0].graders[0].params[
        "model"] == "openai:local@http://127.0.0.1:9/v1"


def test_an_unmappable_assertion_in_an_expanded_test_is_reported_once(tmp_path):
    cfg = tmp_path / "promptfooconfig.yaml"
    cfg.write_text("prompts: ['{{q}}', 'again {{q}}']\ntests:\n  - vars: {q: [a, b, c]}\n    assert:\n"
                   "      - type: cost\n        threshold: 0.1\n")
    result = import_promptfoo(cfg)
    assert len(result.suite.cases) == 6 and len(result.errors) == 1 and result.errors[0].line == 5


def test_written_suite_has_no_yaml_anchors(imported, tmp_path):
    write_suite(imported, tmp_path / "pf.yaml")
    text = (tmp_path / "pf.yaml").read_text()
    assert "&id" not in text and "*id" not in text  # every case written out in full, readable on its own


def test_a_config_where_nothing_imports_names_the_first_problem(tmp_path, capsys):
    cfg = tmp_path / "promptfooconfig.yaml"
    cfg.write_text("prompts: ['{% if q %}x{% endif %}']\ntests:\n  - vars: {q: hi}\n")
    assert main(["import", "promptfoo", str(cfg), "--out", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {cfg}:1: no test could be imported: [test 1] prompt template: Nunjucks tags")
    assert main(["import", "promptfoo", str(tmp_path), "--out", str(tmp_path / "s.yaml")]) == 2
    assert "is a folder" in capsys.readouterr().err
