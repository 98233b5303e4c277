from __future__ import annotations


import pytest

from gradeloop.errors import InputError
from gradeloop.suite import load_suite
from gradeloop.tune.guard import check_training_data


def _suite(path, name, split, inputs):
    lines = [f"name: {name}", f"split: {split}", "cases:"]
    for i, text in enumerate(inputs):
        lines += [f"  - id: {name}-{i}", f"    input: {text!r}", "    graders: [{type: contains, value: x}]"]
    path.write_text("\n".join(lines) + "\n")
    return load_suite(path)


def test_training_case_equal_to_holdout_case_is_refused_with_file_and_line(tmp_path):
    train = _suite(tmp_path / "t.yaml", "train", "train", ["How do I unlock my account?", "Reset the password now"])
    hold = _suite(tmp_path / "h.yaml", "hold", "holdout", ["reset the PASSWORD now!"])
    with pytest.raises(InputError) as err:
        check_training_data([train], [hold])
    assert "hold/hold-0" in str(err.value) and err.value.file == str(tmp_path / "t.yaml") and err.value.line == 7


def test_near_duplicate_is_refused_unless_allowed_and_recorded(tmp_path):
    long = "After three failed attempts the account is locked for thirty minutes and the user must verify an OTP"
    train = _suite(tmp_path / "t.yaml", "train", "train", [long + " sent by email today"])
    guard = _suite(tmp_path / "g.yaml", "guard", "dev", [long + " sent by sms today"])
    with pytest.raises(InputError, match="near-duplicates"):
        check_training_data([train], [guard])
    record = check_training_data([train], [guard], allow=True)
    assert record["allowed"] and record["hits"][0]["eval"] == "guard/guard-0"


def test_holdout_suite_cannot_be_training_data(tmp_path):
    hold = _suite(tmp_path / "h.yaml", "hold", "holdout", ["a question"])
    with pytest.raises(InputError, match="holdout"):
        check_training_data([hold], [])


def test_clean_training_data_passes(tmp_path):
    train = _suite(tmp_path / "t.yaml", "train", "train", ["How do I unlock my account?"])
    dev = _suite(tmp_path / "d.yaml", "dev", "dev", ["What file types can I upload?"])
    assert check_training_data([train], [dev]) is None
