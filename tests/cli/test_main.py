"""The command line as users meet it: exit codes 0 / 1 / 2, JSON files, one-line errors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradeloop.cli import main

ROOT = Path(__file__).resolve().parents[2]
SUITES = str(ROOT / "examples" / "suites")
REPLAY = f"replay:{ROOT / 'examples' / 'replays' / 'all.jsonl'}"


def test_eval_writes_run_json_and_fails_thresholds_with_exit_1(workdir, capsys):
    rc = main(["eval", SUITES, "--target", REPLAY, "--json", "run.json"])
    assert rc == 1  # several example suites are below their thresholds on purpose
    run = json.loads((workdir / "run.json").read_text())
    assert run["schema"] == "gradeloop.run/v1" and run["metrics"]["pass_rate"]["n_cases"] > 50
    failed = [s["name"] for s in run["suites"] if s["thresholds_result"] and not s["thresholds_result"]["passed"]]
    assert failed and "threshold failed" in capsys.readouterr().err


def test_eval_passes_with_exit_0_when_thresholds_hold(workdir):
    suite = workdir / "s.yaml"
    suite.write_text("name: s\nthresholds: {min_pass_rate: 0.5}\ncases:\n  - id: a\n    input: hi\n"
                     "    graders: [{type: contains, value: hello}]\n")
    (workdir / "r.jsonl").write_text('{"case_id": "a", "output": "hello"}\n')
    assert main(["eval", str(suite), "--target", "replay:r.jsonl", "-q"]) == 0


@pytest.mark.parametrize("args, needle", [
    (["eval", "missing.yaml", "--target", "replay:r.jsonl"], "missing.yaml"),
    (["eval", SUITES, "--target", "bogus:x"], "unknown target spec"),
    (["eval", SUITES, "--targett", "x"], "No such option"),
    (["show", "no-such-run"], "no run"),
    (["compare", "a.json"], "Missing argument"),
])
def test_bad_input_is_one_clear_line_and_exit_2(workdir, capsys, args, needle):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_bad_suite_names_file_line_and_field(workdir, capsys):
    (workdir / "bad.yaml").write_text("name: s\ncases:\n  - id: a\n    input: hi\n    graders: [{type: regex, pattern: '('}]\n")
    (workdir / "r.jsonl").write_text('{"case_id": "a", "output": "x"}\n')
    assert main(["eval", "bad.yaml", "--target", "replay:r.jsonl"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: bad.yaml:5:") and "pattern" in err and len(err.splitlines()) == 1


def test_show_export_regrade_and_report(workdir, capsys):
    suite = workdir / "s.yaml"
    suite.write_text("name: s\ncases:\n  - id: a\n    input: hi\n    graders: [{type: contains, value: hello}]\n"
                     "  - id: b\n    input: yo\n    graders: [{type: contains, value: hello}]\n")
    (workdir / "r.jsonl").write_text('{"case_id": "a", "output": "hello"}\n{"case_id": "b", "output": "bye"}\n')
    assert main(["eval", str(suite), "--target", "replay:r.jsonl", "--json", "first.json", "-q"]) == 0
    assert main(["show", "latest"]) == 0
    assert main(["export", "latest", "--format", "jsonl", "--out", "rows.jsonl"]) == 0
    rows = [json.loads(x) for x in (workdir / "rows.jsonl").read_text().splitlines()]
    assert [(r["case_id"], r["passed"]) for r in rows] == [("a", True), ("b", False)]
    assert main(["export", "latest", "--format", "parquet", "--out", "rows.parquet"]) == 0
    # change the grader: regrade re-scores stored outputs without generating
    suite.write_text(suite.read_text().replace("value: hello", "value: 'e'"))
    assert main(["regrade", "latest", "--json", "regraded.json"]) == 0
    regraded = json.loads((workdir / "regraded.json").read_text())
    assert regraded["metrics"]["pass_rate"]["mean"] == 1.0
    assert all(s["cached"] for c in regraded["cases"] for s in c["samples"])
    first = json.loads((workdir / "first.json").read_text())
    assert main(["compare", "first.json", "regraded.json", "--json", "cmp.json"]) == 0
    assert main(["report", "cmp.json", "--html", "cmp.html", "--junit", "cmp.xml", "--markdown"]) == 0
    assert (workdir / "cmp.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["report", first["run_id"], "--html", "run.html"]) == 0
