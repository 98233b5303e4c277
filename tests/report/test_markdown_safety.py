"""Markdown for pull-request comments keeps untrusted text as text; report files get ordinary permissions."""
from __future__ import annotations

import os
import re
import stat

import pytest

from gradeloop.files import atomic_write_text
from gradeloop.report.markdown import compare_markdown, md_code, md_text, run_markdown

HOSTILE = "x [click](https://evil.example/a) ![p](https://t.example/p.png) <img src=x onerror=y> @octocat #1 **b** `c`"


def _estimate(n: int = 2) -> dict:
    return {"mean": 0.5, "stderr": 0.1, "ci_low": 0.2, "ci_high": 0.8, "n_cases": n, "n_samples": n}


def _unescaped_markup(text: str) -> list[str]:
    """Link/image openers, HTML tags and mentions not preceded by a backslash."""
    return re.findall(r"(?<!\\)(?:\]\(|!\[|<img|(?<![\\\w])@octocat)", text)


def test_md_text_escapes_links_images_html_and_mentions():
    out = md_text(HOSTILE + "\nsecond | line")
    assert "\n" not in out and _unescaped_markup(out) == []
    assert "\\[click\\]\\(https\\://evil.example/a\\)" in out and "\\|" in out


def test_md_code_cannot_be_closed_by_backticks():
    out = md_code("a``b`c|d")
    assert out.startswith("```") and out.endswith("```") and "\\|" in out


def test_run_and_compare_markdown_escape_suite_names_tags_and_specs():
    m = {"pass_rate": _estimate(), "score": _estimate(), "errors": {"target": 0, "grader": 0, "samples": 2}}
    run = {"run_id": "r`1", "target": {"spec": "openai:m@http://u:PW@h/v1?api-key=KEY", "fingerprint": "f"},
           "suites": [{"name": HOSTILE, "metrics": m, "thresholds_result": None}]}
    text = run_markdown(run)
    assert _unescaped_markup(text) == [] and "PW" not in text and "KEY" not in text and "``r`1``" in text
    diff = {"n_cases": 2, "baseline": _estimate(), "candidate": _estimate(), "diff": _estimate(),
            "p_value_adjusted": 0.5, "mde": 0.2, "verdict": "fail"}
    cmp = {"verdict": "fail", "baseline": {"run_id": "a"}, "candidate": {"run_id": "b"}, "shared_cases": 2,
           "failing": [f"tag={HOSTILE}"], "overall": diff, "slices": {f"area={HOSTILE}": diff}}
    text = compare_markdown(cmp)
    assert _unescaped_markup(text) == []
    rows = [ln for ln in text.splitlines() if ln.startswith("| area")]
    assert rows and rows[0].count(" | ") == 7  # the hostile pipe did not add a column



def test_run_markdown_has_slices_errors_and_the_failing_cases_escaped():
    m = {"pass_rate": _estimate(), "score": _estimate(),
         "errors": {"target": 1, "grader": 0, "samples": 2, "missing": 0, "planned": 2, "rate": 0.5}}
    failing = {"output": HOSTILE + " | extra", "passed": False, "error": None,
               "grades": [{"grader": "contains", "passed": False, "reason": "missing [x](https://e.example)"}]}
    run = {"run_id": "r1", "target": {"spec": "py:app:answer", "fingerprint": "f"},
           "suites": [{"name": "s", "metrics": m, "thresholds_result": None, "verdict": "inconclusive"}],
           "slices": {f"area={HOSTILE}": m}, "error_messages": [{"message": "upstream <b>500</b>", "count": 1}],
           "cases": [{"id": "ok", "suite": "s", "samples": [{"output": "fine", "passed": True}]},
                     {"id": "bad`id", "suite": "s", "samples": [failing]}]}
    text = run_markdown(run)
    assert "⚠️ inconclusive" in text and "50.0%" in text and "error, 1×: upstream &lt;b&gt;500" in text
    assert "**Failing cases** (1)" in text and "missing \\[x\\]" in text and "ok`" not in text
    assert _unescaped_markup(text) == []
    rows = [ln for ln in text.splitlines() if "bad" in ln]
    assert rows and rows[0].count(" | ") == 2  # the output's pipe stayed inside its cell


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_report_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = atomic_write_text(tmp_path / "report.html", "<html></html>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_private_files_are_0600_whatever_the_umask(tmp_path):
    old = os.umask(0o000)
    try:
        path = atomic_write_text(tmp_path / "state.json", "{}", private=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
