"""`gradeloop eval` without --json prints the same tables from the run summary; lean_gc restores the collector."""
from __future__ import annotations

import gc
import json

import pytest

from gradeloop.cli import main
from gradeloop.cli.eval import lean_gc

SUITE = ("name: s\nthresholds: {min_pass_rate: 0.9}\ncases:\n"
         "  - id: a\n    input: hi\n    tags: {locale: en}\n    graders: [{type: contains, value: hello}]\n"
         "  - id: b\n    input: yo\n    tags: {locale: fr}\n    graders: [{type: contains, value: hello}]\n")


def test_tables_without_json_match_the_tables_with_it(workdir, capsys):
    (workdir / "s.yaml").write_text(SUITE)
    (workdir / "r.jsonl").write_text('{"case_id": "a", "output": "hello"}\n{"case_id": "b", "output": "bye"}\n')
    assert main(["eval", "s.yaml", "--target", "replay:r.jsonl", "--store", "a.db"]) == 1
    summary_tables = capsys.readouterr().out
    assert main(["eval", "s.yaml", "--target", "replay:r.jsonl", "--store", "b.db", "--json", "run.json"]) == 1
    full_tables = capsys.readouterr().out
    assert "locale=fr" in summary_tables and "FAIL" in summary_tables
    strip = lambda text: [line for line in text.splitlines() if not line.startswith("run ")]  # noqa: E731
    assert strip(summary_tables) == strip(full_tables)
    run = json.loads((workdir / "run.json").read_text())
    assert [c["id"] for c in run["cases"]] == ["a", "b"] and run["graders"]["contains"]["pass_rate"]["n_cases"] == 2


def test_lean_gc_restores_thresholds_and_unfreezes_even_on_error():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError):
        with lean_gc(first_generation=123_456):
            assert gc.get_threshold()[0] == 123_456 and gc.get_freeze_count() > 0
            raise RuntimeError("stop")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_cycles_are_still_collected_inside_lean_gc():
    class Node:
        pass

    with lean_gc():
        a, b = Node(), Node()
        a.other, b.other = b, a
        alive = len(gc.get_objects())
        del a, b
        assert gc.collect() >= 2 and len(gc.get_objects()) < alive
