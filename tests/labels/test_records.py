"""Labels in the store: validation on write, history, latest-per-grade, JSONL round trip."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.labels import add_label, export_labels, latest_labels, read_labels_file, sample_labels
from gradeloop.labels.records import all_labels
from gradeloop.run.store import Store
from tests.view.storebuild import add_run


@pytest.fixture
def store(tmp_path):
    st = Store(tmp_path / "s.db")
    add_run(st, "r1", {("s", "a"): [True, False], ("s", "b"): [False]}, judge_flip={"b"})
    add_run(st, "r2", {("s", "a"): [True]})
    yield st
    st.close()


def test_add_and_read_back(store):
    first = add_label(store, "r1", "s", "a", 1, "judge", "wrong", note="should pass", who="ada")
    assert first.grade_passed is False and first.human_passed is True
    add_label(store, "r1", "s", "a", 1, "judge", "right", who="bob")  # a second review supersedes
    add_label(store, "r1", "s", "b", 0, "judge", "right", who="")  # who defaults to unknown
    add_label(store, "r2", "s", "a", 0, "contains", "right", who="ada")
    assert [x.who for x in sample_labels(store, "r1", "s", "a", 1)] == ["ada", "bob"]
    latest = latest_labels(store, "r1")
    assert [(x.case_id, x.who, x.label) for x in latest] == [("a", "bob", "right"), ("b", "unknown", "right")]
    assert latest[1].grade_passed is True  # judge_flip: the judge passed the failing case b
    assert len(latest_labels(store)) == 3 and len(all_labels(store)) == 4


def test_grades_are_never_changed(store):
    before = store.db.execute("SELECT * FROM samples ORDER BY run_id, case_id, sample_index").fetchall()
    add_label(store, "r1", "s", "a", 0, "contains", "wrong", who="ada")
    assert store.db.execute("SELECT * FROM samples ORDER BY run_id, case_id, sample_index").fetchall() == before


@pytest.mark.parametrize("args, field", [
    (("r1", "s", "a", 0, "judge", "maybe"), "label"),
    (("r1", "s", "a", 5, "judge", "right"), "sample"),
    (("r9", "s", "a", 0, "judge", "right"), "sample"),
    (("r1", "s", "a", 0, "nobody", "right"), "grader"),
])
def test_bad_labels_are_refused(store, args, field):
    with pytest.raises(InputError) as err:
        add_label(store, *args)
    assert err.value.field == field
    assert store.db.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 0


def test_export_round_trip(store, tmp_path):
    add_label(store, "r1", "s", "a", 1, "judge", "wrong", note='a "quoted" <note>\nwith a newline', who="ada")
    path = tmp_path / "l.jsonl"
    path.write_text(export_labels(latest_labels(store)))
    back = read_labels_file(path)
    assert back == latest_labels(store)


@pytest.mark.parametrize("line, where", [
    ("not json", "l.jsonl:2: not valid JSON"),
    ('{"run_id": "r", "suite": "s", "case_id": "c", "grader": "g", "label": "meh"}', "l.jsonl:2: label:"),
    ('{"run_id": "r", "suite": "s", "case_id": "c", "label": "right"}', "l.jsonl:2: grader:"),
    ('{"run_id": "r", "suite": "s", "case_id": "c", "grader": "g", "label": "right", "sample_index": -1}',
     "l.jsonl:2: sample_index:"),
    ("[1]", "l.jsonl:2: each line"),
])
def test_bad_label_files_name_file_line_and_field(tmp_path, line, where):
    path = tmp_path / "l.jsonl"
    good = '{"run_id": "r", "suite": "s", "case_id": "c", "grader": "g", "label": "right", "grade_passed": true}'
    path.write_text(good + "\n" + line + "\n")
    with pytest.raises(InputError) as err:
        read_labels_file(path)
    assert where in str(err.value)


def test_old_stores_gain_the_labels_table(tmp_path):
    import sqlite3

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE runs (run_id TEXT PRIMARY KEY, run_key TEXT NOT NULL, created REAL NOT NULL, "
               "finished REAL, status TEXT NOT NULL, target_spec TEXT NOT NULL, fingerprint TEXT NOT NULL, "
               "config TEXT NOT NULL, suites TEXT NOT NULL)")
    db.commit()
    db.close()
    st = Store(path)
    assert latest_labels(st) == []
    st.close()
