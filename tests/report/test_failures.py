"""Failing cases and tables at 80 columns: names whole, intervals on one line, every line within the width."""
from __future__ import annotations

import io
import sys

import pytest
from rich.console import Console

import gradeloop
from gradeloop.report.failures import failures_from_run, failures_from_store, render_failures
from gradeloop.report.matrix import render_matrix
from gradeloop.report.terminal import render_run
from gradeloop.run.store import Store

LONG = "intent=billing-dispute-escalation-with-a-very-long-slice-name"


@pytest.fixture
def run(workdir, monkeypatch):
    cases = "".join(
        f"  - id: case-{i}\n    input: question {i}\n"
        f"    tags: {{intent: {'billing-dispute-escalation-with-a-very-long-slice-name' if i % 2 else 'x'}}}\n"
        f"    graders: [{{type: contains, value: 'answer {i % 3}'}}]\n" for i in range(12))
    (workdir / "s.yaml").write_text("name: support-assistant-regression-suite\nthresholds: {min_pass_rate: 0.9}\n"
                                    "cases:\n" + cases)
    (workdir / "fail_app.py").write_text("def answer(prompt):\n    return 'answer 0\\n' + 'x' * 300\n")
    monkeypatch.syspath_prepend(str(workdir))
    yield gradeloop.evaluate("s.yaml", "py:fail_app:answer", store="s.db", samples=2)
    sys.modules.pop("fail_app", None)


def _render(width: int, fn, *args) -> str:
    buf = io.StringIO()
    fn(*args, Console(file=buf, width=width, force_terminal=False, color_system=None))
    return buf.getvalue()


def test_from_the_run_and_from_the_store_agree(run):
    full, total = failures_from_run(run.to_json(), limit=3)
    store = Store("s.db")
    try:
        lean, total2 = failures_from_store(store, run.run_id, limit=3)
    finally:
        store.close()
    assert total == total2 == 8 and full == lean  # cases 1,2 of each 3 fail
    assert full[0].case_id == "case-1" and full[0].reason == "contains: missing 'answer 1'"
    assert full[0].failed_samples == full[0].samples == 2


def test_failing_cases_section_fits_80_columns(run):
    failures, total = failures_from_run(run.to_json(), limit=3)
    text = _render(80, lambda c: render_failures(failures, total, c, run_ref=run.run_id))
    assert "failing cases (8, first 3 shown)" in text and "support-assistant-regression-suite/case-1" in text
    assert "contains: missing 'answer 1'" in text and "output: answer 0 xxx" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_run_tables_at_80_columns_keep_names_whole_and_intervals_on_one_line(run):
    text = _render(80, render_run, run.to_json())
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("intent=b"))
    folded = lines[start].split()[0]
    for line in lines[start + 1:]:  # continuation lines of the folded name
        if not line.startswith("  ") or not line.strip() or line.strip().startswith("intent=x"):
            break
        folded += line.split()[0]
    assert folded == LONG and "…" not in text, text  # folded over lines, never cut
    assert any("[0." in line and "," in line and "]" in line for line in lines if "all" in line)
    wide = _render(140, render_run, run.to_json())
    assert LONG in wide and "[95% CI]" in wide


def test_matrix_puts_targets_side_by_side(run):
    doc = run.to_json()
    text = _render(80, render_matrix, ["prod", "candidate"], [doc, doc])
    assert "prod" in text and "candidate" in text and "✗" in text  # the threshold failed
    assert max(len(line) for line in text.splitlines()) <= 80


def test_compare_table_fits_80_columns_with_slice_names_whole(run):
    from gradeloop.cli.gate import render_compare

    doc = run.to_json()
    cmp = gradeloop.compare(doc, doc).to_json()
    text = _render(80, render_compare, cmp)
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    assert "intent=x" in text and "base → cand" in text and "+0.00 [" in text
