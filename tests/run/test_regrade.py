"""Regrade refuses outputs that no longer answer the suite's inputs, naming the file."""
from __future__ import annotations

import json

import pytest

from gradeloop.api import run_document
from gradeloop.errors import InputError
from gradeloop.run import Store
from gradeloop.run.regrade import recorded_suites, regrade


def test_a_changed_input_is_refused_naming_the_suite_file_and_an_unchanged_suite_regrades(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    suite = tmp_path / "s.yaml"
    suite.write_text("name: s\ncases:\n  - {id: a, input: hi, graders: [{type: contains, value: ok}]}\n"
                     "  - {id: b, input: yo, graders: [{type: contains, value: ok}]}\n")
    (tmp_path / "r.jsonl").write_text("".join(json.dumps({"case_id": c, "output": "ok"}) + "\n" for c in "ab"))
    doc = run_document([suite], "replay:r.jsonl", store=tmp_path / "x.db")
    st = Store(tmp_path / "x.db")
    try:
        assert list(recorded_suites(st, doc["run_id"])) == ["s"]
        assert regrade(st, doc["run_id"]) != doc["run_id"]  # unchanged: a new run with fresh grades
        suite.write_text(suite.read_text().replace("input: yo", "input: hello"))
        with pytest.raises(InputError, match="inputs changed since the run .*'b'") as err:
            regrade(st, doc["run_id"])
        assert str(suite) in str(err.value)
        with pytest.raises(InputError, match="no run 'nope'"):
            regrade(st, "nope")
    finally:
        st.close()
