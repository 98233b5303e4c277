"""`gradeloop init` → `gradeloop eval` green at once; --version; project targets; several -t side by side."""
from __future__ import annotations

import json
import sys

import pytest

import gradeloop
from gradeloop.cli import main


@pytest.fixture
def starter(workdir, monkeypatch):
    assert main(["init"]) == 0
    monkeypatch.syspath_prepend(str(workdir))
    yield workdir
    sys.modules.pop("app", None)


def test_init_writes_a_project_that_runs_green(starter, capsys):
    for rel in ("gradeloop.yaml", "suites/starter.yaml", "app.py", "tests/test_gradeloop.py",
                ".github/workflows/gradeloop.yml", ".gitignore"):
        assert (starter / rel).is_file(), rel
    assert ".env" in (starter / ".gitignore").read_text().splitlines()
    capsys.readouterr()
    assert main(["eval", "--json", "run.json"]) == 0  # suites and target from gradeloop.yaml
    run = json.loads((starter / "run.json").read_text())
    assert run["target"]["spec"] == "py:app:answer" and run["metrics"]["pass_rate"]["mean"] == 1.0
    assert run["metrics"]["pass_rate"]["n_cases"] == 4 and "PASS" in capsys.readouterr().out


def test_init_starter_pytest_file_passes(starter):
    assert pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", str(starter), "-o", "addopts=",
                        "--import-mode=importlib", str(starter / "tests")]) == 0


def test_init_never_overwrites_silently(starter, capsys):
    (starter / "app.py").write_text("# mine\n")
    assert main(["init"]) == 2
    assert "already exists" in capsys.readouterr().err and (starter / "app.py").read_text() == "# mine\n"
    assert main(["init", "--force"]) == 0 and "def answer" in (starter / "app.py").read_text()


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"gradeloop {gradeloop.__version__}"


def test_project_command_shows_targets_as_specs(starter, capsys):
    capsys.readouterr()
    assert main(["project", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["targets"] == {"app": "py:app:answer"} and info["default_target"] == "app"


def test_several_targets_run_side_by_side(starter, capsys):
    (starter / "app2.py").write_text("def answer(prompt):\n    return 'nope'\n")
    capsys.readouterr()
    rc = main(["eval", "-t", "app", "-t", "py:app2:answer", "--json", "run.json"])
    out = capsys.readouterr().out
    assert rc == 1  # the second target fails the threshold
    assert json.loads((starter / "run.app.json").read_text())["metrics"]["pass_rate"]["mean"] == 1.0
    assert json.loads((starter / "run.py_app2_answer.json").read_text())["metrics"]["pass_rate"]["mean"] == 0.0
    assert "targets side by side" in out and "py:app2:answer" in out
    sys.modules.pop("app2", None)


def test_unknown_target_name_is_exit_2_naming_the_project_targets(starter, capsys):
    assert main(["eval", "-t", "staging"]) == 2
    assert "staging" in capsys.readouterr().err


def test_eval_without_suites_or_project_is_exit_2(workdir, capsys):
    assert main(["eval", "-t", "py:x:y"]) == 2
    assert "no suites given" in capsys.readouterr().err
