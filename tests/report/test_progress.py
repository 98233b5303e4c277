"""Progress off a terminal: a plain line per interval (counted on a fake clock), nothing for short runs."""
from __future__ import annotations

import io

from rich.console import Console

from gradeloop.report.progress import LineProgress, sample_progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _progress(interval: float = 30.0) -> tuple[LineProgress, Clock, io.StringIO]:
    out = io.StringIO()
    clock = Clock()
    return LineProgress(Console(file=out, width=200), "sampling", interval, clock), clock, out


def test_a_line_per_interval_with_rate_and_eta_and_a_last_line():
    p, clock, out = _progress()
    p(0, 1000)
    for done in range(10, 1000, 10):  # 10 samples a second
        clock.now += 1
        p(done, 1000)
    clock.now += 1
    p(1000, 1000)
    p(1000, 1000)  # the engine's last chunk report after the target's last tick: printed once
    lines = out.getvalue().splitlines()
    assert lines[0] == "sampling 300/1,000 (30%), 10.0/s, eta 1m10s"
    assert len(lines) == 4 and lines[1].startswith("sampling 600/1,000") and lines[2].startswith("sampling 900/")
    assert lines[-1] == "sampling 1,000/1,000 (100%), 10.0/s, done in 1m40s"


def test_a_run_shorter_than_the_interval_prints_nothing():
    p, clock, out = _progress()
    for done in range(0, 51):
        clock.now += 0.5
        p(done, 50)
    assert out.getvalue() == ""


def test_a_resumed_run_rates_only_what_it_generates():
    p, clock, out = _progress(interval=10)
    p(500, 1000)  # half was stored before the resume
    clock.now += 10
    p(600, 1000)
    assert out.getvalue().splitlines() == ["sampling 600/1,000 (60%), 10.0/s, eta 40s"]


def test_off_a_terminal_the_callback_is_the_line_printer_and_disabled_is_none():
    console = Console(file=io.StringIO())
    with sample_progress(console, enabled=True) as on:
        assert isinstance(on, LineProgress)
    with sample_progress(console, enabled=False) as on:
        assert on is None
