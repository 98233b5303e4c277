"""The sampling progress bar: count, rate and ETA from the first finished sample.

Targets that report each finished call (py: targets) move the bar per sample; others per batch.
The bar is drawn only on a terminal: CI logs get no carriage-return noise.
"""
from __future__ import annotations

import sys
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


@contextmanager
def sample_progress(console: Console | None = None, enabled: bool = True,
                    label: str = "sampling") -> Iterator[Callable[[int, int], None] | None]:
    """A `(done, total)` callback drawing the bar, or None when not on a terminal (or disabled)."""
    console = console or Console(stderr=True)
    if not enabled or not (console.is_terminal and sys.stderr.isatty()):
        yield None
        return
    with progress_bar(console) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
