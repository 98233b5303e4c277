"""Streaming JSONL production logs: one line at a time, so a 1M-line log is never held in memory.

Several files are merged by timestamp (each is expected in rough time order). A bad line is an
InputError naming file:line:field; with a bad-line budget it is counted and skipped instead, up
to the budget, and the count and first examples are reported — never skipped silently.
"""
from __future__ import annotations

import gzip
import heapq
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator, Sequence

from gradeloop.errors import InputError
from gradeloop.monitor.records import LogRecord, parse_record

_EXAMPLES = 10


@dataclass
class BadLines:
    """Bad lines seen so far and how many may be skipped; raises once the budget is spent."""

    limit: int = 0
    count: int = 0
    lines: int = 0  # non-blank lines read, good or bad
    examples: list[str] = field(default_factory=list)

    def report(self, err: InputError) -> None:
        """Count a bad line, or raise it when skipping it would exceed the budget."""
        if self.count >= self.limit:
            if self.limit:
                err.message += f" (more than {self.limit} bad lines: --skip-bad budget spent)"
            raise err
        self.count += 1
        if len(self.examples) < _EXAMPLES:
            self.examples.append(str(err))

    def as_dict(self) -> dict:
        return {"lines": self.lines, "bad_lines": self.count, "skip_bad": self.limit,
                "bad_examples": list(self.examples)}


def _open(path: Path) -> IO[bytes]:
    try:
        return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read log: {exc.strerror}", file=str(path)) from None


def iter_file(path: str | Path, bad: BadLines) -> Iterator[LogRecord]:
    """Records of one JSONL log (plain or .gz), in file order; blank lines are not records."""
    p = Path(path)
    file = str(path)
    loads = json.loads
    with _open(p) as fh:
        try:
            for number, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                bad.lines += 1
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    bad.report(InputError("not valid UTF-8", file=file, line=number))
                    continue
                try:
                    data = loads(text)
                except json.JSONDecodeError as exc:
                    bad.report(InputError(f"malformed JSON: {exc.msg} (column {exc.colno})", file=file,
                                          line=number))
                    continue
                try:
                    yield parse_record(data, file, number)
                except InputError as exc:
                    bad.report(exc)
        except (OSError, EOFError) as exc:  # a truncated .gz or a read error mid-file
            raise InputError(f"cannot read log: {exc}", file=file) from None


def iter_logs(paths: Sequence[str | Path] | str | Path, bad: BadLines | None = None) -> Iterator[LogRecord]:
    """Records of every log, merged by timestamp (ties keep the order the files were given in)."""
    budget = bad if bad is not None else BadLines()
    files = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not files:
        raise InputError("no log files given", field="logs")
    for f in files:
        if not Path(f).is_file():
            raise InputError("no such log file", file=str(f))
    streams: list[Iterable[LogRecord]] = [iter_file(f, budget) for f in files]
    if len(streams) == 1:
        return iter(streams[0])
    return heapq.merge(*streams, key=lambda r: r.ts)
