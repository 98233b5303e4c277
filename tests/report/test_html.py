from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from gradeloop.gate import compare_runs
from gradeloop.report import render_html, render_junit, render_markdown
from tests.builders import run_replay, write_suite

PAYLOAD = '<script>document.title="PWNED"</script><img src=x onerror="document.title=\'PWNED\'">'


@pytest.fixture
def hostile_run(tmp_path):
    suite = write_suite(tmp_path / "s.yaml", {"x": 3})
    return run_replay(tmp_path, suite, {"x-0": "ok", "x-1": PAYLOAD, "x-2": "fine"}, "hostile")


def test_outputs_are_escaped_in_html_markdown_and_junit(hostile_run):
    page = render_html(hostile_run)
    assert "<script" not in page and "onerror=" not in page.replace("onerror=&quot;", "")
    assert "&lt;script&gt;document.title=&quot;PWNED&quot;&lt;/script&gt;" in page
    assert "<svg" in page  # slice bars are inline, no network needed
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing loads from a network
    md = render_markdown(hostile_run)
    assert "<script" not in md
    xml = render_junit(hostile_run)
    assert "<script" not in xml and 'failures="2"' in xml


def test_compare_page_has_forest_plot(tmp_path):
    suite = write_suite(tmp_path / "s.yaml", {"a": 10, "b": 10})
    base = run_replay(tmp_path, suite, {f"{a}-{i}": "ok" for a in "ab" for i in range(10)}, "b")
    cand = run_replay(tmp_path, suite, {f"{a}-{i}": "ok" if a == "a" or i > 5 else "no" for a in "ab"
                                        for i in range(10)}, "c")
    page = render_html(compare_runs(base, cand))
    assert "Differences by slice" in page and page.count("<svg") >= 1
    assert "area=b" in page


@pytest.mark.slow
def test_report_opens_in_headless_chromium_and_payload_stays_text(hostile_run, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "chromium missing: `make test` installs it via scripts/ensure-chromium.sh"
    page = tmp_path / "report.html"
    page.write_text(render_html(hostile_run), encoding="utf-8")
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=2000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert "<title>gradeloop run" in dom and "PWNED</title>" not in dom
    assert "<img" not in dom  # the payload's element was never created
    assert "&lt;script&gt;document.title" in dom  # it is shown as text
    assert "Uncaught" not in proc.stderr
