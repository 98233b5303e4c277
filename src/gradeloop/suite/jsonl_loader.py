"""Load a suite from JSONL: one case per line, an optional first-line `{"suite": {...}}` header.

Without a header the suite is named after the file stem and its split is the requested one
(default dev).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gradeloop import safejson
from gradeloop.errors import InputError
from gradeloop.suite.build import build_suite
from gradeloop.suite.model import Suite
from gradeloop.suite.record import Record


class _DuplicateKey(ValueError):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys; a dropped value is lost data, so refuse it.
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


# One decoder for every line: json.loads with a hook builds a new decoder per call (~1.5 µs).
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_pairs)


def _decode(line: str) -> Any:
    # raw_decode skips decode's two whitespace scans; a line with surrounding spaces, trailing
    # text or an error goes through decode, which accepts the spaces and reports the error.
    try:
        value, end = _DECODER.raw_decode(line)
    except json.JSONDecodeError:
        return _DECODER.decode(line)
    return value if end == len(line) else _DECODER.decode(line)


def parse_json_line(line: str, file: str, number: int) -> Any:
    """One JSON value, or an InputError naming the line and column of the problem."""
    try:
        return safejson.loads(line, file, number, decode=_decode)
    except _DuplicateKey as exc:
        raise InputError(f"duplicate key '{exc.args[0]}' in one JSON object", file=file,
                         line=number, field=str(exc.args[0])) from None


def parse_jsonl(text: str, file: str, *, split: str | None = None) -> Suite:
    """The Suite written in `text` (the content of `file`)."""
    header = Record({}, 1)
    records: list[Record] = []
    seen_content = False
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        value = parse_json_line(line, file, number)
        if not isinstance(value, dict):
            raise InputError("each line must be a JSON object (one case, or a first-line "
                             '{"suite": {...}} header)', file=file, line=number)
        if not seen_content and "suite" in value:
            header = _header(value, file, number)
        else:
            records.append(Record(value, number))
        seen_content = True
    return build_suite(header, records, file, default_name=Path(file).stem, split=split)


def _header(value: dict, file: str, number: int) -> Record:
    extra = sorted(set(value) - {"suite"})
    if extra:
        raise InputError("the header line holds only `suite`; cases go on the following lines",
                         file=file, line=number, field=extra[0])
    fields = value["suite"]
    if not isinstance(fields, dict):
        raise InputError("`suite` must be an object of suite fields", file=file, line=number, field="suite")
    if "cases" in fields:
        raise InputError("cases go one per line after the header, not inside it", file=file,
                         line=number, field="suite.cases")
    return Record(fields, number, prefix="suite")
