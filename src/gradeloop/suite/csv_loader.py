"""Load a suite from CSV: one case per row.

Columns: id, input, reference, expect, parent, `graders` (a JSON list of grader mappings),
`tags.<key>` and `metadata.<key>`. Empty cells mean "not set". The suite is named after the
file stem; its split is the requested one (default dev).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from gradeloop.errors import InputError
from gradeloop.suite.build import build_suite, suggest
from gradeloop.suite.jsonl_loader import parse_json_line
from gradeloop.suite.model import Suite
from gradeloop.suite.record import Record

COLUMNS: tuple[str, ...] = ("id", "input", "reference", "expect", "parent", "graders")
PREFIXES: tuple[str, ...] = ("tags.", "metadata.")
REQUIRED: tuple[str, ...] = ("id", "input")


def _check_header(header: list[str], file: str, line: int) -> list[str]:
    columns = [cell.strip() for cell in header]
    seen: set[str] = set()
    valid = list(COLUMNS) + [f"{p}<key>" for p in PREFIXES]
    for column in columns:
        prefixed = any(column.startswith(p) and len(column) > len(p) for p in PREFIXES)
        if column not in COLUMNS and not prefixed:
            raise InputError(f"unknown column{suggest(column, valid)}; expected " + ", ".join(valid),
                             file=file, line=line, field=column or "(empty header cell)")
        if column in seen:
            raise InputError("duplicate column", file=file, line=line, field=column)
        seen.add(column)
    for column in REQUIRED:
        if column not in seen:
            raise InputError(f"missing column `{column}`", file=file, line=line, field=column)
    return columns


def _row_record(columns: list[str], row: list[str], file: str, line: int) -> Record:
    data: dict[str, Any] = {}
    tags: dict[str, str] = {}
    metadata: dict[str, str] = {}
    for column, cell in zip(columns, row):
        if column.startswith("tags."):
            if cell != "":
                tags[column[5:]] = cell
        elif column.startswith("metadata."):
            if cell != "":
                metadata[column[9:]] = cell
        elif column == "graders":
            if cell.strip():
                try:
                    data["graders"] = parse_json_line(cell, file, line)
                except InputError as exc:
                    raise InputError(f"`graders` must hold a JSON list: {exc.message}", file=file,
                                     line=line, field="graders") from None
        elif cell != "" or column in REQUIRED:
            data[column] = cell
    if tags:
        data["tags"] = tags
    if metadata:
        data["metadata"] = metadata
    return Record(data, line)


def parse_csv(text: str, file: str, *, split: str | None = None) -> Suite:
    """The Suite written in `text` (the content of `file`)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[Record] = []
    columns: list[str] | None = None
    last = 0
    while True:
        start = last + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"malformed CSV in the row starting here: {exc}", file=file, line=start) from None
        last = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line holds nothing to lose
        if columns is None:
            columns = _check_header(row, file, start)
            continue
        if len(row) != len(columns):
            raise InputError(f"row has {len(row)} cells but the header has {len(columns)} columns",
                             file=file, line=start)
        records.append(_row_record(columns, row, file, start))
    if columns is None:
        raise InputError("empty file: expected a header row (id, input, ...) and one case per row",
                         file=file, line=1)
    return build_suite(Record({}, 1), records, file, default_name=Path(file).stem, split=split)
