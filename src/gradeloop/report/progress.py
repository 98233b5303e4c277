"""The sampling progress bar: count, rate and ETA from the first finished sample.

Targets that report each finished call (py: targets) move the bar per sample; others per batch.
The bar is drawn only on a terminal: CI logs get no carriage-return noise, but a plain line every
`interval` seconds instead (count, rate, ETA), so a long run in CI shows it is moving; a run shorter
than that prints nothing.
"""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Samples per second, once the bar has seen two updates."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("  –/s", style="progress.data.speed")
        return Text(f"{speed:.1f}/s" if speed < 100 else f"{speed:,.0f}/s", style="progress.data.speed")


def progress_bar(console: Console) -> Progress:
    """`sampling ━━━━━━  12/50  3.1/s  0:00:04 eta 0:00:12` — fits in 80 columns."""
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(bar_width=20),
                    MofNCompleteColumn(), RateColumn(), TimeElapsedColumn(), TextColumn("eta"),
                    TimeRemainingColumn(), console=console, transient=True, speed_estimate_period=60)


class LineProgress:
    """Progress as plain lines, at most one per `interval` seconds, and a last one if any was printed."""

    def __init__(self, console: Console, label: str, interval: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.console, self.label, self.interval, self.clock = console, label, interval, clock
        self.start = clock()
        self.last = self.start
        self.printed = 0
        self.finished = False
        self.done_at_start: int | None = None
        self.lock = threading.Lock()  # called from a target's worker threads too

    def __call__(self, done: int, total: int) -> None:
        with self.lock:
            now = self.clock()
            if self.done_at_start is None:
                self.done_at_start = done  # resumed samples are not this run's speed
            if done >= total > 0:
                if self.printed and not self.finished:
                    self._line(done, total, now, final=True)
                    self.finished = True
                return
            if now - self.last >= self.interval:
                self._line(done, total, now, final=False)

    def _line(self, done: int, total: int, now: float, final: bool) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = (done - (self.done_at_start or 0)) / elapsed
        share = f" ({done / total:.0%})" if total else ""
        if final:
            tail = f", done in {_duration(elapsed)}"
        else:
            eta = (total - done) / rate if rate > 0 and total else None
            tail = f", eta {_duration(eta)}" if eta is not None else ""
        self.console.print(f"{self.label} {done:,}/{total:,}{share}, {rate:,.1f}/s{tail}", highlight=False,
                           soft_wrap=True)
        self.last = now
        self.printed += 1


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


@contextmanager
def sample_progress(console: Console | None = None, enabled: bool = True, label: str = "sampling",
                    interval: float = 30.0) -> Iterator[Callable[[int, int], None] | None]:
    """A `(done, total)` callback: the bar on a terminal, a line every `interval` s elsewhere; None when disabled."""
    console = console or Console(stderr=True)
    if not enabled:
        yield None
        return
    if not (console.is_terminal and sys.stderr.isatty()):
        yield LineProgress(console, label, interval)
        return
    with progress_bar(console) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
