"""The line under the tables for a suite without a threshold that is inconclusive: the count that made it so."""
from __future__ import annotations

import io
import sys

from rich.console import Console

from gradeloop.api import run_document
from gradeloop.report.terminal import render_run

APP = '''
def answer(prompt):
    if int(prompt.split()[-1]) % 10 == 0:
        raise RuntimeError("upstream timeout")
    return "ok " + prompt
'''


def _last_line(tmp_path, monkeypatch, thresholds: str = "") -> str:
    (tmp_path / "errapp.py").write_text(APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("errapp", None)
    lines = ["name: second", thresholds, "cases:"]
    for i in range(60):
        lines += [f"  - id: c{i:02d}", f"    input: q {i}", "    graders: [{type: contains, value: ok}]"]
    (tmp_path / "s.yaml").write_text("\n".join(x for x in lines if x) + "\n")
    run = run_document([tmp_path / "s.yaml"], "py:errapp:answer", store=tmp_path / "x.db", full=False)
    out = io.StringIO()
    render_run(run, Console(file=out, width=200))
    return out.getvalue().strip().splitlines()[-1]


def test_some_errors_say_how_many_of_how_many_and_the_allowance(tmp_path, monkeypatch):
    assert _last_line(tmp_path, monkeypatch) == (
        "suite second: INCONCLUSIVE: 6 of 60 samples errored or missing (10.0%, more than the 0.0% "
        "thresholds.max_error_rate allows)")


def test_the_allowance_shown_is_the_suites(tmp_path, monkeypatch):
    line = _last_line(tmp_path, monkeypatch, "thresholds: {max_error_rate: 0.05}")
    assert "6 of 60 samples" in line and "more than the 5.0% thresholds.max_error_rate allows" in line


def test_an_unfinished_run_says_so_in_its_title(tmp_path, monkeypatch):
    from gradeloop.run import Store

    _last_line(tmp_path, monkeypatch)
    st = Store(tmp_path / "x.db")
    try:
        with st.db:
            st.db.execute("UPDATE runs SET status = 'running', finished = NULL")
    finally:
        st.close()
    from gradeloop.run.results import load_run

    run = load_run("latest", tmp_path / "x.db")
    out = io.StringIO()
    render_run(run, Console(file=out, width=200))
    title = " ".join(out.getvalue().split("┏")[0].split())  # the title, however the console folded it
    assert title.endswith("UNFINISHED (running; the same eval command resumes it)")
