"""Inspect datasets: Sample fields read as json_dataset/csv_dataset do; graders reproduce Inspect's scorers."""
from __future__ import annotations

from pathlib import Path

from gradeloop.importers.inspect_dataset import import_inspect_dataset
from tests.importers.helpers import case, verdict

DATA = Path(__file__).parent / "data" / "inspect"


def test_jsonl_samples_with_targets_messages_and_choices():
    result = import_inspect_dataset(DATA / "samples.jsonl")
    suite = result.suite
    assert [c.id for c in suite.cases] == ["cap-fr", "sample-2", "mc-1"] and not result.issues
    cap = case(suite, "cap-fr")
    assert cap.metadata["topic"] == "geo" and cap.reference == "Paris"
    # match(): output stripped of white space and punctuation, any case, ends with the target
    assert verdict(suite, cap, "The capital is paris.") is True
    assert verdict(suite, cap, "Paris is the capital") is False
    two = case(suite, "sample-2")
    assert two.input[0] == {"role": "system", "content": "Be brief."} and verdict(suite, two, "Four!") is True
    mc = case(suite, "mc-1")
    assert "A) 4\nB) 6\nC) 7" in mc.input and "LETTER is one of A,B,C" in mc.input
    assert verdict(suite, mc, "ANSWER: C") is True and verdict(suite, mc, "ANSWER: B") is False
    assert verdict(suite, mc, "ANSWER: **c**") is True and verdict(suite, mc, "ANSWER: (C)") is True  # wrappers go
    assert verdict(suite, mc, "ANSWER: C, A") is False  # one answer expected


def test_csv_with_field_mapping_and_other_scorers():
    suite = import_inspect_dataset(DATA / "samples.csv", fields={"input": "question", "target": "answer"}).suite
    q1 = case(suite, "q1")
    assert q1.input.startswith("What colour") and q1.metadata["difficulty"] == "easy"
    includes = import_inspect_dataset(DATA / "samples.csv", scorer="includes",
                                      fields={"input": "question", "target": "answer"}).suite
    assert verdict(includes, case(includes, "q1"), "BLUE, mostly") is True
    exact = import_inspect_dataset(DATA / "samples.csv", scorer="exact",
                                   fields={"input": "question", "target": "answer"}).suite
    assert verdict(exact, case(exact, "q2"), " 8. ") is True and verdict(exact, case(exact, "q2"), "8 legs") is False


def test_samples_without_target_are_reported(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"input": "a", "target": "x"}\n{"input": "b"}\n')
    result = import_inspect_dataset(data)
    assert len(result.suite.cases) == 1 and str(result.errors[0]).startswith(f"{data}:2: error:")


def test_several_target_letters_use_the_multiple_answer_prompt(tmp_path):
    data = tmp_path / "mc.jsonl"
    data.write_text('{"id": "even", "input": "Which are even?", "choices": ["2", "3", "4"], "target": ["A", "C"]}\n'
                    '{"id": "bad", "input": "Pick", "choices": ["x", "y"], "target": "D"}\n')
    result = import_inspect_dataset(data)
    suite = result.suite
    even = case(suite, "even")
    assert "multiple answers may be correct" in even.input
    assert verdict(suite, even, "ANSWER: A and C") is True and verdict(suite, even, "ANSWER: A") is False
    assert "beyond the 2 choices" in str(result.errors[0]) and str(result.errors[0]).startswith(f"{data}:2:")


def test_cli_refuses_a_bad_split_before_writing(tmp_path, capsys):
    from gradeloop.cli import main

    out = tmp_path / "s.yaml"
    assert main(["import", "inspect", str(DATA / "samples.jsonl"), "--out", str(out), "--split", "later"]) == 2
    assert "--split: must be one of dev" in capsys.readouterr().err and not out.exists()
    assert main(["import", "inspect", str(DATA / "samples.jsonl"), "--out", str(out), "--split", "holdout"]) == 0
    from gradeloop.suite import load_suite

    assert load_suite(out).split == "holdout"
