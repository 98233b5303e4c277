"""Training documents from plain text, JSONL or CSV files, streamed one row at a time.

A document keeps the file and the line it came from (lines count from 1; a JSONL or CSV row's
line is the line it starts on) so every contamination hit points at the row to remove.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from gradeloop.data.text import message_text
from gradeloop.errors import InputError

JSONL_EXT = (".jsonl", ".ndjson")
CSV_EXT = (".csv", ".tsv")


@dataclass(frozen=True, slots=True)
class TrainDoc:
    """One training document: where it is, its whole text, and its fields' texts when several."""

    file: str
    line: int
    text: str
    parts: tuple[str, ...] = ()


def row_parts(row: Mapping[str, Any], fields: Sequence[str] | None, file: str, line: int) -> list[str]:
    """The texts of a row: the named fields, or every top-level string plus chat message contents."""
    if not fields:
        parts = [v for k, v in row.items() if isinstance(v, str) and k != "messages"]
        if isinstance(row.get("messages"), list):
            parts.append(message_text(row["messages"]))
        return [p for p in parts if p.strip()]
    parts = []
    for name in fields:
        if name not in row:
            raise InputError(f"row has no field '{name}' (it has: {', '.join(map(str, row)) or 'none'})",
                             file=file, line=line, field=name)
        value = row[name]
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list) and all(isinstance(m, Mapping) for m in value):
            parts.append(message_text(value))
        elif value is not None:
            raise InputError(f"field '{name}' holds {type(value).__name__}, expected text or chat messages",
                             file=file, line=line, field=name)
    return [p for p in parts if p.strip()]


def _doc(file: str, line: int, parts: list[str]) -> TrainDoc | None:
    if not parts:
        return None
    return TrainDoc(file, line, "\n".join(parts), tuple(parts) if len(parts) > 1 else ())


def _binary_lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputError("no such file", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    with handle:
        for number, raw in enumerate(handle, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})",
                                 file=str(path), line=number) from None
            if number == 1:
                text = text.removeprefix("\ufeff")
            yield number, text.rstrip("\r\n")


def _read_text(path: Path) -> Iterator[TrainDoc]:
    file = str(path)
    for number, text in _binary_lines(path):
        if text.strip():
            yield TrainDoc(file, number, text)


def _read_jsonl(path: Path, fields: Sequence[str] | None) -> Iterator[TrainDoc]:
    file = str(path)
    for number, text in _binary_lines(path):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg} at column {exc.colno}", file=file, line=number) from None
        if not isinstance(row, dict):
            raise InputError(f"each line must be a JSON object, got {type(row).__name__}", file=file, line=number)
        doc = _doc(file, number, row_parts(row, fields, file, number))
        if doc is not None:
            yield doc


def _read_csv(path: Path, fields: Sequence[str] | None) -> Iterator[TrainDoc]:
    file = str(path)
    try:
        handle = path.open("r", encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputError("no such file", file=file) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=file) from None
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        start = 1
        try:
            header = next(reader, None)
            if header is None:
                return
            missing = [f for f in fields or () if f not in header]
            if missing:
                raise InputError(f"no column '{missing[0]}' (columns: {', '.join(header)})",
                                 file=file, line=1, field=missing[0])
            start = reader.line_num + 1
            for cells in reader:
                if len(cells) != len(header) and any(c.strip() for c in cells):
                    raise InputError(f"row has {len(cells)} cells, the header has {len(header)}",
                                     file=file, line=start)
                row = dict(zip(header, cells))
                doc = _doc(file, start, row_parts(row, fields, file, start))
                if doc is not None:
                    yield doc
                start = reader.line_num + 1
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", file=file, line=start) from None
        except UnicodeDecodeError:
            raise InputError("not valid UTF-8", file=file, line=start) from None


def read_docs(path: str | Path, *, fields: Sequence[str] | None = None) -> Iterator[TrainDoc]:
    """Stream the documents of one training file, by extension: JSONL, CSV/TSV, else plain text."""
    p = Path(path)
    if p.is_dir():
        raise InputError("is a folder, expected a training file", file=str(p))
    ext = p.suffix.lower()
    if ext in JSONL_EXT:
        return _read_jsonl(p, fields)
    if ext in CSV_EXT:
        return _read_csv(p, fields)
    return _read_text(p)


def iter_docs(source: str | Path | Iterable[Any], *, label: str = "<memory>",
              fields: Sequence[str] | None = None) -> Iterator[TrainDoc]:
    """Documents from a file path, or from an iterable of strings, rows (dicts) or TrainDocs."""
    if isinstance(source, (str, Path)):
        yield from read_docs(source, fields=fields)
        return
    for number, item in enumerate(source, 1):
        if isinstance(item, TrainDoc):
            yield item
        elif isinstance(item, str):
            if item.strip():
                yield TrainDoc(label, number, item)
        elif isinstance(item, Mapping):
            doc = _doc(label, number, row_parts(item, fields, label, number))
            if doc is not None:
                yield doc
        else:
            raise InputError(f"training item is {type(item).__name__}, expected text or a row", file=label,
                             line=number)
