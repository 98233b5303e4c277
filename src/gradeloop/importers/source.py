"""Reading other tools' files (YAML, JSON, JSONL, CSV) with the line of every field kept.

Issues name `file:line`, so the structured readers keep a map from field paths
(`tests[3].assert[1]`) to lines, built from the YAML node tree (JSON parses as YAML too).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from gradeloop.errors import InputError
from gradeloop.suite.text import decode_utf8
from gradeloop.suite.yaml_tree import collect_lines, compose, line_of, to_python


@dataclass(frozen=True, slots=True)
class Located:
    """A parsed file and the line of each field path in it."""

    value: Any
    file: str
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, path: str) -> int | None:
        """The line of `path`, or of its nearest parent that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.lines.get("", 1)


def read_file_text(path: str | Path) -> str:
    """A UTF-8 text file, or an InputError naming it (missing, a folder, a device, not UTF-8)."""
    from gradeloop.files import read_input_bytes

    return decode_utf8(read_input_bytes(path, what="file to import"), str(path))


def load_structured(path: str | Path) -> Located:
    """A YAML or JSON file as plain values with field lines; malformed input is an InputError with a line."""
    file = str(path)
    text = read_file_text(path)
    try:
        node = compose(text, file)
    except InputError:
        if Path(file).suffix.lower() != ".json":
            raise
        try:  # JSON that YAML refuses (tabs in odd places): values without lines
            return Located(json.loads(text), file, {"": 1})
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg}", file=file, line=exc.lineno) from None
    if node is None:
        return Located(None, file, {"": 1})
    lines: dict[str, int] = {"": line_of(node)}
    collect_lines(node, "", lines, 64)
    return Located(to_python(node, file), file, lines)


def read_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, value) of each non-blank line; a malformed line is an InputError with its line."""
    file = str(path)
    for lineno, line in enumerate(read_file_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg} (column {exc.colno})", file=file, line=lineno) from None


def read_json_records(path: str | Path) -> list[tuple[int, Any]]:
    """Records of a .jsonl file, or of a .json file holding a list (its items with their lines)."""
    if Path(path).suffix.lower() == ".json":
        located = load_structured(path)
        if not isinstance(located.value, list):
            raise InputError("expected a JSON list of records", file=str(path), line=1)
        return [(located.line(f"[{i}]") or 1, item) for i, item in enumerate(located.value)]
    return list(read_jsonl(path))


def read_csv_records(path: str | Path) -> list[tuple[int, dict[str, str]]]:
    """(line, {column: cell}) per CSV row after the header; ragged rows are InputErrors."""
    file = str(path)
    reader = csv.reader(io.StringIO(read_file_text(path), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("empty CSV file (no header row)", file=file, line=1) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=file, line=1) from None
    columns = [c.strip() for c in header]
    rows = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(columns):
                raise InputError(f"row has {len(row)} cells but the header names {len(columns)} columns",
                                 file=file, line=line)
            rows.append((line, {c: v for c, v in zip(columns, row)}))
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=file, line=reader.line_num) from None
    return rows


def slug(text: str, limit: int = 60) -> str:
    """A readable case id fragment: lowercase words joined by '-'."""
    out, dash = [], False
    for ch in text.lower():
        if ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-")[:limit].strip("-")


def unique_ids(wanted: list[str]) -> list[str]:
    """Make ids unique by suffixing -2, -3 ... to repeats, keeping the first as written."""
    seen: dict[str, int] = {}
    taken = set(wanted)
    out = []
    for w in wanted:
        if w not in seen:
            seen[w] = 1
            out.append(w)
            continue
        n = seen[w]
        while True:
            n += 1
            candidate = f"{w}-{n}"
            if candidate not in taken:
                break
        seen[w] = n
        taken.add(candidate)
        out.append(candidate)
    return out
