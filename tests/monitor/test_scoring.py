"""Scoring traffic with the suite's default graders; reference-needing graders are refused."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.monitor import Scorer, load_production_suite, parse_record
from tests.monitor.fakes import write_suite


def _suite(tmp_path, defaults: str):
    path = tmp_path / "suite.yaml"
    path.write_text(f"name: s\ndefaults:\n  graders:\n{defaults}cases:\n  - id: a\n    input: hi\n")
    return path


def test_scores_with_defaults_only(tmp_path):
    scorer = Scorer(load_production_suite(str(write_suite(tmp_path / "s.yaml", max_words=3))))
    ok = scorer.score(parse_record({"timestamp": 1, "input": "q", "output": "fine answer", "latency_s": 2}))
    assert ok.passed is True and ok.refused is False and ok.output_words == 2 and ok.latency_s == 2
    long = scorer.score(parse_record({"timestamp": 1, "input": "q", "output": "one two three four"}))
    assert long.passed is False  # the case's own `contains x` grader is not applied, only the defaults
    refusal = scorer.score(parse_record({"timestamp": 1, "input": "q", "output": "I can't help with that."}))
    assert refusal.refused is True
    failed = scorer.score(parse_record({"timestamp": 1, "input": "q", "output": None, "error": "timeout"}))
    assert failed.error and failed.passed is None and failed.refused is None and failed.output_words is None


def test_reference_graders_are_refused_naming_where(tmp_path):
    path = _suite(tmp_path, "    - type: contains\n      values: [ok]\n"
                            "    - type: similarity\n      value: '{{ reference }}'\n")
    with pytest.raises(InputError, match="needs the case reference") as exc:
        load_production_suite(str(path))
    assert exc.value.file == str(path) and exc.value.line == 6 and exc.value.field == "defaults.graders[1]"


def test_a_suite_without_default_graders_is_refused(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text("name: s\ncases:\n  - id: a\n    input: hi\n    graders: [{type: contains, values: [x]}]\n")
    with pytest.raises(InputError, match="no defaults.graders") as exc:
        load_production_suite(str(path))
    assert exc.value.field == "defaults.graders"


def test_bad_grader_parameters_fail_at_start(tmp_path):
    path = _suite(tmp_path, "    - type: length\n      maxx: 3\n")
    with pytest.raises(InputError, match="unknown parameter") as exc:
        Scorer(load_production_suite(str(path)))
    assert exc.value.file == str(path) and exc.value.line == 4


def test_tag_templates_are_filled_per_request_and_a_missing_tag_names_the_log_line(tmp_path):
    scorer = Scorer(load_production_suite(str(_suite(tmp_path, "    - type: contains\n      values: ['{{ tags.product }}']\n"))))
    good = parse_record({"timestamp": 1, "input": "q", "output": "about Widget", "tags": {"product": "Widget"}})
    assert scorer.score(good).passed is True
    other = parse_record({"timestamp": 1, "input": "q", "output": "about Widget", "tags": {"product": "Gadget"}})
    assert scorer.score(other).passed is False
    lacking = parse_record({"timestamp": 1, "input": "q", "output": "x"}, "log.jsonl", 9)
    with pytest.raises(InputError, match="tags.product") as exc:
        scorer.score(lacking)
    assert (exc.value.file, exc.value.line, exc.value.field) == ("log.jsonl", 9, "tags")


def test_a_crashing_grader_is_a_grader_error_not_a_verdict(tmp_path):
    scorer = Scorer(load_production_suite(str(_suite(tmp_path, "    - type: json_valid\n"))))

    class Boom:
        name, weight = "boom", 1.0

        def grade(self, case, output):
            raise RuntimeError("bug")

    scorer.graders_for = lambda case, file=None, line=None: (Boom(),)
    s = scorer.score(parse_record({"timestamp": 1, "input": "q", "output": "x"}))
    assert s.passed is None and "boom" in s.grader_error and not s.error
