"""Loading many suites: folders (recursive, sorted), formats by extension, unique names, splits."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.suite import filter_split, load_suite, load_suites, suite_files


def _yaml(name: str, split: str = "dev") -> str:
    return f"name: {name}\nsplit: {split}\ncases: [{{id: {name}-1, input: hi}}]\n"


def test_folders_load_recursively_in_sorted_order(write, tmp_path):
    write("b.yaml", _yaml("b"))
    write("a/z.yml", _yaml("z", "holdout"))
    write("a/c.jsonl", '{"id": "c1", "input": "x"}\n')
    write("d.csv", "id,input\nd1,x\n")
    write("notes.md", "not a suite")
    write(".hidden/h.yaml", "not: [valid")
    suites = load_suites([tmp_path])
    assert [s.name for s in suites] == ["c", "z", "b", "d"]
    assert [p.name for p in suite_files(tmp_path)] == ["c.jsonl", "z.yml", "b.yaml", "d.csv"]


def test_files_and_folders_mix_and_a_file_is_loaded_once(write, tmp_path):
    b = write("b.yaml", _yaml("b"))
    write("c.yaml", _yaml("c"))
    assert [s.name for s in load_suites([b, tmp_path])] == ["b", "c"]
    assert [s.name for s in load_suites(str(b))] == ["b"]  # one path, not a list of characters


def test_duplicate_suite_names_are_refused(write, tmp_path):
    write("one/s.yaml", _yaml("same"))
    second = write("two/s.yaml", _yaml("same"))
    with pytest.raises(InputError) as info:
        load_suites([tmp_path])
    err = info.value
    assert err.file == str(second) and err.field == "name"
    assert "same" in err.message and str(tmp_path / "one" / "s.yaml") in err.message


def test_missing_path_empty_folder_and_unknown_extension(tmp_path, write):
    with pytest.raises(InputError, match="no such file"):
        load_suites([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no suite files"):
        load_suites([tmp_path / "empty"])
    with pytest.raises(InputError, match="unknown suite format"):
        load_suite(write("s.txt", "name: x"))
    with pytest.raises(InputError, match="no such file"):
        load_suite(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="no suite files given"):
        load_suites([])


def test_split_is_passed_to_files_without_one(write, tmp_path):
    write("a.jsonl", '{"id": "a", "input": "x"}\n')
    assert [s.split for s in load_suites([tmp_path], split="train")] == ["train"]


def test_filter_split(write, tmp_path):
    write("a.yaml", _yaml("a"))
    write("b.yaml", _yaml("b", "holdout"))
    write("c.yaml", _yaml("c", "holdout"))
    suites = load_suites([tmp_path])
    assert [s.name for s in filter_split(suites, "holdout")] == ["b", "c"]
    assert filter_split(suites, "canary") == []
    with pytest.raises(InputError) as info:
        filter_split(suites, "hold")
    assert info.value.field == "split" and "did you mean `holdout`" in info.value.message
