"""`pytest SUITE.yaml --gradeloop-target SPEC`: cases and thresholds as test items (nested pytest runs)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SUITE = """name: bot
thresholds: {min_pass_rate: 0.9}
cases:
  - id: greet
    input: hi
    tags: {intent: smalltalk}
    graders: [{type: contains, value: hello}]
  - id: refund
    input: refund please
    tags: {intent: billing}
    graders: [{type: contains, value: "30 days"}]
  - id: order
    input: where is my order
    tags: {intent: orders}
    graders: [{type: contains, value: shipped}]
"""
APP = ("def answer(prompt):\n"
       "    return {'hi': 'hello!', 'refund please': 'within 30 days'}.get(prompt, 'no idea, sorry')\n")


class Outcomes:
    """Collects each test's outcome and failure text from a nested pytest session."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}
        self.text: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            self.outcomes[report.nodeid.split("::", 1)[-1]] = report.outcome
            if report.failed:
                self.text[report.nodeid.split("::", 1)[-1]] = report.longreprtext

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.text[report.nodeid] = report.longreprtext


def run(tmp: Path, *args: str) -> tuple[int, Outcomes]:
    out = Outcomes()
    rc = pytest.main([*args, "-p", "no:cacheprovider", "-q", "--rootdir", str(tmp), "-o", "addopts=",
                      "--import-mode=importlib"], plugins=[out])
    return int(rc), out


@pytest.fixture
def project(workdir, monkeypatch):
    (workdir / "bot.yaml").write_text(SUITE)
    (workdir / "plugin_app.py").write_text(APP)
    (workdir / "workflow.yaml").write_text("on: push\njobs: {}\n")  # YAML that is not a suite
    (workdir / "test_own.py").write_text("def test_plain():\n    assert True\n")
    monkeypatch.syspath_prepend(str(workdir))
    yield workdir
    sys.modules.pop("plugin_app", None)


def test_each_case_and_the_threshold_are_items(project):
    rc, out = run(project, "bot.yaml", "--gradeloop-target", "py:plugin_app:answer",
                  "--gradeloop-store", str(project / "s.db"))
    assert rc == 1
    assert out.outcomes == {"greet": "passed", "refund": "passed", "order": "failed", "threshold": "failed"}
    assert "contains: missing 'shipped'" in out.text["order"] and "no idea, sorry" in out.text["order"]
    assert "where is my order" in out.text["order"] and "intent=orders" in out.text["order"]
    assert "threshold fail" in out.text["threshold"] and "0.667" in out.text["threshold"]


def test_k_selects_cases_and_x_stops_at_the_first_failure(project):
    rc, out = run(project, "bot.yaml", "--gradeloop-target", "py:plugin_app:answer", "-k", "greet or billing",
                  "--gradeloop-store", str(project / "s.db"))
    assert rc == 0 and out.outcomes == {"greet": "passed", "refund": "passed"}  # tags are keywords too
    rc, out = run(project, "bot.yaml", "--gradeloop-target", "py:plugin_app:answer", "-x",
                  "--gradeloop-store", str(project / "s.db"))
    assert rc == 1 and list(out.outcomes) == ["greet", "refund", "order"]


def test_nothing_is_collected_without_a_target(project):
    rc, out = run(project, str(project))
    assert rc == 0 and out.outcomes == {"test_plain": "passed"}  # the YAML files stay invisible


def test_a_folder_collects_suites_and_skips_other_yaml(project):
    rc, out = run(project, str(project), "--gradeloop-target", "py:plugin_app:answer",
                  "--gradeloop-store", str(project / "s.db"))
    assert set(out.outcomes) == {"test_plain", "greet", "refund", "order", "threshold"}


def test_a_bad_suite_is_a_collection_error_naming_the_line(project):
    (project / "bad.yaml").write_text("name: bad\ncases:\n  - id: a\n    inputt: hi\n")
    rc, out = run(project, "bad.yaml", "--gradeloop-target", "py:plugin_app:answer")
    assert rc == 2 and any("bad.yaml:4" in t for t in out.text.values())


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="pytest-xdist not installed")
def test_works_under_xdist(project):
    rc, out = run(project, "bot.yaml", "--gradeloop-target", "py:plugin_app:answer", "-n", "2",
                  "--gradeloop-store", str(project / "s.db"))
    assert out.outcomes == {"greet": "passed", "refund": "passed", "order": "failed", "threshold": "failed"}, out.text
    assert rc == 1


def test_gate_items_compare_each_suite_with_a_baseline(project):
    many = "name: many\ncases:\n" + "".join(
        f"  - id: m{i}\n    input: hi\n    graders: [{{type: contains, value: hello}}]\n" for i in range(30))
    (project / "many.yaml").write_text(many)
    (project / "plugin_app2.py").write_text("def answer(prompt):\n    return 'bye'\n")
    import json

    import gradeloop

    base = project / "base.json"
    base.write_text(json.dumps(gradeloop.evaluate("many.yaml", "py:plugin_app:answer",
                                                  store=str(project / "b.db")).to_json()))
    rc, out = run(project, "many.yaml", "--gradeloop-target", "py:plugin_app:answer", "--gradeloop-baseline",
                  str(base), "--gradeloop-store", str(project / "s.db"), "-k", "gate")
    assert rc == 0 and out.outcomes == {"gate": "passed"}, out.text
    rc, out = run(project, "many.yaml", "--gradeloop-target", "py:plugin_app2:answer", "--gradeloop-baseline",
                  str(base), "--gradeloop-store", str(project / "s.db"), "-k", "gate")
    assert rc == 1 and out.outcomes == {"gate": "failed"}
    assert "gate fail" in out.text["gate"] and "no_regression" in out.text["gate"]
    sys.modules.pop("plugin_app2", None)
