"""examples/ci: the workflow gates pull requests, uploads the HTML and comments the Markdown; its
gradeloop commands, run here in the same order, produce those files and the right exit codes."""
from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest
import yaml

from gradeloop.cli import main

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "ci" / "gradeloop-gate.yml"


def _steps() -> list[dict]:
    doc = yaml.safe_load(WORKFLOW.read_text())
    assert "pull_request" in doc[True]  # `on:` parses as the YAML boolean key
    assert doc["permissions"]["pull-requests"] == "write"
    return doc["jobs"]["gate"]["steps"]


def _commands(env: dict[str, str]) -> list[tuple[str | None, list[str]]]:
    """(working directory, argv) of every gradeloop command the workflow runs, in order."""
    out = []
    for step in _steps():
        for line in str(step.get("run", "")).splitlines():
            line = line.split("||")[0].split("  #")[0].strip()
            if line.startswith("gradeloop "):
                line = re.sub(r"\$(\w+)", lambda m: env[m.group(1)], line)
                out.append((step.get("working-directory"), shlex.split(line)[1:]))
    return out


def test_workflow_uploads_the_html_and_comments_the_markdown():
    steps = _steps()
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert "gate.html" in upload["with"]["path"] and "candidate.html" in upload["with"]["path"]
    comment = next(s for s in steps if "gh pr comment" in str(s.get("run", "")))
    assert "--body-file comment.md" in comment["run"] and "GH_TOKEN" in comment["env"]
    assert "exit" in steps[-1]["run"]  # the job fails when the gate or a threshold does


@pytest.mark.parametrize("regress, gate_exit", [(False, 0), (True, 1)])
def test_the_workflow_commands_gate_a_regression(workdir, monkeypatch, capsys, regress, gate_exit):
    for side in ("baseline", "candidate"):
        (workdir / side).mkdir()
        assert main(["init", side]) == 0
    (workdir / "candidate" / "suites" / "more.yaml").write_text("name: more\ncases:\n" + "".join(
        f"  - id: m{i}\n    input: Hello number {i}\n    graders: [{{type: contains, value: Hello}}]\n"
        for i in range(30)))
    (workdir / "baseline" / "suites" / "more.yaml").write_text(
        (workdir / "candidate" / "suites" / "more.yaml").read_text())
    if regress:  # the pull request breaks the greeting
        app = workdir / "candidate" / "app.py"
        app.write_text(app.read_text().replace('return "Hello! How can I help?"', 'return "Hi."'))
    env = {"SUITES": "suites/", "TARGET": "app", "POLICY": ""}
    codes = []
    for folder, argv in _commands(env):
        monkeypatch.chdir(workdir / folder if folder else workdir)
        sys.modules.pop("app", None)  # each checkout imports its own app.py
        monkeypatch.syspath_prepend(str(Path.cwd()))
        codes.append((argv[0], main(argv)))
    sys.modules.pop("app", None)
    assert [c for c, _ in codes] == ["eval", "eval", "compare", "report", "report"]
    assert dict(codes[2:3])["compare"] == gate_exit
    assert codes[1][1] == (1 if regress else 0)  # the candidate's thresholds
    for name in ("gate.html", "candidate.html", "gate.md", "candidate.md"):
        assert (workdir / name).stat().st_size > 0
    assert ("FAIL" in (workdir / "gate.md").read_text().upper()) == regress
