"""Cutting the scored stream into windows — by time (aligned to the epoch, UTC) or by request count.

A window keeps running counts per slice and the feature values drift is measured on (about
25 bytes per request of the window); it is closed and handed on as soon as it can no longer
receive lines, so memory is bounded by the open windows, not by the log.

Time windows accept lines out of time order by up to `lateness` seconds; a line older than
that belongs to a window already closed and is a bad line (logs must be in time order).
"""
from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from gradeloop.errors import InputError
from gradeloop.monitor.config import NUMERIC_FEATURES
from gradeloop.monitor.drift import FeatureSample
from gradeloop.monitor.rates import RateCounts
from gradeloop.monitor.records import iso
from gradeloop.monitor.scoring import Scored

OTHER = "(other)"
MISSING = "(missing)"


@dataclass
class Window:
    """Everything one window accumulates; `features()` freezes its drift values."""

    start: float
    end: float
    slice_keys: Sequence[str] = ()
    tag_features: Sequence[str] = ()  # tag keys whose distribution is tested for drift
    max_slice_values: int = 50
    partial: bool = False
    first_ts: float = math.inf
    last_ts: float = -math.inf
    counts: RateCounts = field(default_factory=RateCounts)
    slices: dict[str, RateCounts] = field(default_factory=dict)
    outcomes: bytearray = field(default_factory=bytearray)  # pass (1) / fail (0) in stream order
    _numeric: dict[str, array] = field(default_factory=lambda: {f: array("d") for f in NUMERIC_FEATURES})
    _tags: dict[str, Counter] = field(default_factory=dict)
    _values_per_key: dict[str, int] = field(default_factory=dict)

    def add(self, s: Scored) -> None:
        self.first_ts = min(self.first_ts, s.ts)
        self.last_ts = max(self.last_ts, s.ts)
        self.counts.add(s)
        if s.passed is not None:
            self.outcomes.append(1 if s.passed else 0)
        for key in self.slice_keys:
            name = f"{key}={s.tags.get(key, MISSING)}"
            acc = self.slices.get(name)
            if acc is None:
                seen = self._values_per_key.get(key, 0)
                if seen >= self.max_slice_values:  # a high-cardinality tag must not blow up the report
                    name = f"{key}={OTHER}"
                    acc = self.slices.setdefault(name, RateCounts())
                else:
                    self._values_per_key[key] = seen + 1
                    acc = self.slices[name] = RateCounts()
            acc.add(s)
        if s.output_words is not None:
            self._numeric["output_words"].append(s.output_words)
        if s.confidence is not None:
            self._numeric["confidence"].append(s.confidence)
        if s.latency_s is not None:
            self._numeric["latency_s"].append(s.latency_s)
        for key in self.tag_features:
            self._tags.setdefault(key, Counter())[s.tags.get(key, MISSING)] += 1

    def features(self) -> FeatureSample:
        """The drift values: numeric arrays under their names, tag counts under `tag:<key>`."""
        numeric = {f: np.frombuffer(a, dtype=float) if len(a) else np.empty(0) for f, a in self._numeric.items()}
        cats = {f"tag:{k}": self._tags.get(k, Counter()) for k in self.tag_features}
        return FeatureSample(numeric, cats)

    @property
    def bounds(self) -> tuple[str, str]:
        return iso(self.start), iso(self.end)


WindowFactory = Callable[[float, float], Window]


def count_windows(stream: Iterable[Scored], size: int, make: WindowFactory) -> Iterator[Window]:
    """Consecutive windows of `size` requests in stream order; start/end are the first and last timestamps."""
    current: Window | None = None
    for s in stream:
        if current is None:
            current = make(s.ts, s.ts)
        current.add(s)
        if current.counts.n >= size:
            current.start, current.end = current.first_ts, current.last_ts
            yield current
            current = None
    if current is not None:
        current.start, current.end = current.first_ts, current.last_ts
        current.partial = True
        yield current


def time_windows(stream: Iterable[tuple[Scored, str, int]], width: float, lateness: float,
                 make: WindowFactory, on_late: Callable[[InputError], None]) -> Iterator[Window]:
    """Windows [k·width, (k+1)·width) in time order; empty ones are not emitted.

    `stream` yields (scored, file, line) so a late line can be reported where it was written;
    `on_late` raises it or counts it as a bad line.
    """
    open_: dict[int, Window] = {}
    closed_below = -math.inf  # every window with index < this has been emitted
    watermark = -math.inf
    for s, file, line in stream:
        k = math.floor(s.ts / width)
        if k < closed_below:
            on_late(InputError(f"{iso(s.ts)} is more than {lateness:g}s older than a line before it "
                               "(logs must be in time order; raise max_lateness)", file=file, line=line,
                               field="timestamp"))
            continue
        win = open_.get(k)
        if win is None:
            win = open_[k] = make(k * width, (k + 1) * width)
        win.add(s)
        if s.ts > watermark:
            watermark = s.ts
            limit = math.floor((watermark - lateness) / width)  # windows below this index can get no more lines
            if limit > closed_below:
                for idx in sorted(i for i in open_ if i < limit):
                    yield open_.pop(idx)
                closed_below = limit
    for idx in sorted(open_):
        win = open_.pop(idx)
        win.partial = win.end > watermark  # the log ends before the window does
        yield win
