"""Every bad input of issue 13 item 7 exits 2 with one line naming the file; no traceback, no hang.

Real subprocesses where the failure is about the process (a FIFO that would block, /dev/zero that
would fill memory, the last-resort handler), in-process main() elsewhere.
"""
from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from gradeloop.cli import main

SUITE = "name: s\ncases:\n  - id: a\n    input: hi\n    graders: [{type: contains, value: ok}]\n"


def cli(*argv: str, timeout: float = 60, env: dict | None = None, cwd: Path | None = None):
    """The installed CLI in a subprocess; `timeout` is the hang detector."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "gradeloop.cli", *argv], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=cwd)


def one_error_line(stderr: str, name: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and name in lines[0], stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def files(workdir):
    (workdir / "s.yaml").write_text(SUITE)
    (workdir / "r.jsonl").write_text('{"case_id": "a", "output": "ok"}\n')
    return workdir


def test_fifo_as_suite_does_not_hang(files):
    os.mkfifo(files / "pipe.yaml")
    proc = cli("eval", "pipe.yaml", "-t", "replay:r.jsonl", cwd=files, timeout=60)
    assert proc.returncode == 2
    assert "a FIFO" in one_error_line(proc.stderr, "pipe.yaml")


def test_symlink_to_dev_zero_is_refused_not_read(files):
    (files / "zero.yaml").symlink_to("/dev/zero")
    (files / "zero.jsonl").symlink_to("/dev/zero")
    proc = cli("eval", "zero.yaml", "-t", "replay:r.jsonl", cwd=files)
    assert proc.returncode == 2 and "a device" in one_error_line(proc.stderr, "zero.yaml")
    proc = cli("eval", "s.yaml", "-t", "replay:zero.jsonl", cwd=files)
    assert proc.returncode == 2 and "a device" in one_error_line(proc.stderr, "zero.jsonl")
    proc = cli("compare", "zero.jsonl", "zero.jsonl", cwd=files)
    assert proc.returncode == 2


def test_store_pointing_at_a_folder(files, capsys):
    (files / "db").mkdir()
    assert main(["eval", "s.yaml", "-t", "replay:r.jsonl", "--store", "db"]) == 2
    assert "--store takes the path of a SQLite file" in one_error_line(capsys.readouterr().err, "db")


def test_store_that_cannot_be_created(files, capsys):
    assert main(["eval", "s.yaml", "-t", "replay:r.jsonl", "--store", "/proc/no/such/g.db"]) == 2
    assert "cannot open the results store" in one_error_line(capsys.readouterr().err, "/proc/no/such/g.db")


def test_full_disk_during_a_run_is_one_line(files, capsys, monkeypatch):
    from gradeloop.run.store import Store

    def full(self, rows):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "add_sample_rows", full)
    assert main(["eval", "s.yaml", "-t", "replay:r.jsonl", "--store", "g.db"]) == 2
    line = one_error_line(capsys.readouterr().err, "g.db")
    assert "disk is full" in line and "resumes" in line


@pytest.mark.parametrize("code,word", [(errno.ENOSPC, "disk full"), (errno.EROFS, "read-only file system")])
def test_report_on_a_full_or_read_only_disk(files, capsys, monkeypatch, code, word):
    assert main(["eval", "s.yaml", "-t", "replay:r.jsonl", "--json", "run.json"]) == 0

    def fail(*a, **k):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "replace", fail)
    assert main(["report", "run.json", "--html", "out.html"]) == 2
    assert word in one_error_line(capsys.readouterr().err, "out.html")
    assert not list(files.glob(".out.html.*"))  # the half-written temporary file is gone


def test_huge_integer_deep_nesting_and_lone_surrogate(files, capsys):
    (files / "int.jsonl").write_text('{"id": "a", "input": "x", "reference": ' + "9" * 5000 + "}\n")
    (files / "deep.jsonl").write_text('{"id": "a", "input": ' + "[" * 3000 + "]" * 3000 + "}\n")
    (files / "sur.jsonl").write_text('{"id": "a", "input": "bad \\ud800 text"}\n')
    (files / "int.yaml").write_text(SUITE.replace("input: hi", "input: hi\n    metadata: {n: " + "9" * 5000 + "}"))
    for name, word in (("int.jsonl", "4,300 digits"), ("deep.jsonl", "nested deeper"), ("sur.jsonl", "surrogate"),
                       ("int.yaml", "Exceeds the limit")):
        assert main(["eval", name, "-t", "replay:r.jsonl"]) == 2, name
        line = one_error_line(capsys.readouterr().err, name)
        assert word in line and f"{name}:" in line and len(line) < 400, line


@pytest.mark.parametrize("row,field", [('{"case_id": "a", "output": "ok", "logprobs": "-0.1"}', "logprobs"),
                                       ('{"case_id": "a", "output": "ok", "logprobs": [1e999]}', "logprobs"),
                                       ('{"case_id": "a", "output": "ok", "sample": ' + "1" * 5000 + "}", ""),
                                       ('{"case_id": "a", "output": "ok", "sample": 99999999999}', "sample"),
                                       ('{"case_id": "a", "output": "ok", "sample": true}', "sample")])
def test_malformed_replay_fields(files, capsys, row, field):
    (files / "bad.jsonl").write_text(row + "\n")
    assert main(["eval", "s.yaml", "-t", "replay:bad.jsonl"]) == 2
    line = one_error_line(capsys.readouterr().err, "bad.jsonl:1")
    assert field in line


@pytest.mark.parametrize("command", ["compare", "report", "gate", "plan", "show"])
def test_malformed_run_json_names_file_and_field(files, capsys, command):
    assert main(["eval", "s.yaml", "-t", "replay:r.jsonl", "--json", "run.json"]) == 0
    run = json.loads((files / "run.json").read_text())
    run["cases"][0]["samples"][0]["passed"] = "yes"
    (files / "bad.json").write_text(json.dumps(run))
    argv = {"compare": ["compare", "bad.json", "run.json"], "report": ["report", "bad.json", "--markdown"],
            "gate": ["gate", "s.yaml", "--baseline", "bad.json", "-t", "replay:r.jsonl"],
            "plan": ["plan", "--baseline", "bad.json", "--effect", "0.1"], "show": ["show", "bad.json"]}[command]
    capsys.readouterr()
    assert main(argv) == 2
    line = one_error_line(capsys.readouterr().err, "bad.json")
    assert "cases[0].samples[0].passed" in line and "valid boolean" in line


def test_unexpected_errors_are_one_line_unless_debugging(files):
    # A grader's own bug is recorded per sample; a bug outside any guard reaches the CLI's net.
    (files / "boom.py").write_text("def answer(prompt):\n    return 'ok'\n")
    code = ("import sys; from gradeloop.cli import main; import gradeloop.run.results as r\n"
            "def boom(*a, **k):\n    raise ZeroDivisionError('synthetic bug')\n"
            "r.build_run_json = boom; r.build_run_summary = boom\n"
            "sys.exit(main(['eval', 's.yaml', '-t', 'replay:r.jsonl']))\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=files, env=env, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "unexpected ZeroDivisionError: synthetic bug" in proc.stderr and "GRADELOOP_DEBUG=1" in proc.stderr
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=files, timeout=60,
                          env={**env, "GRADELOOP_DEBUG": "1"})
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "ZeroDivisionError" in proc.stderr
