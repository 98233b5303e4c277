"""Load a suite from YAML (one suite per file), keeping the line of every case and grader."""
from __future__ import annotations

from gradeloop.errors import InputError
from gradeloop.suite.build import build_suite
from gradeloop.suite.model import Suite
from gradeloop.suite.record import Record
from gradeloop.suite.yaml_events import Lines, RawSpec, TreeLines, load_located

# Fields read as the text written (`id: 001`, `tags: {tier: 1}`, `reference: 0.50` stay as typed
# by the author); grader parameters and metadata keep their YAML types.
_RAW_CASE_FIELDS = ("id", "input", "reference", "tags", "expect", "parent")
_RAW: RawSpec = {"name": True, "description": True, "split": True,
                 "cases": [{key: True for key in _RAW_CASE_FIELDS}]}


def _line(lines: Lines) -> int:
    return lines if isinstance(lines, int) else lines[0]


def parse_yaml(text: str, file: str, *, split: str | None = None) -> Suite:
    """The Suite written in `text` (the content of `file`)."""
    located = load_located(text, file, _RAW)
    if located is None:
        raise InputError("empty file: expected a suite mapping with `name` and `cases`", file=file, line=1)
    root, root_lines = located
    if not isinstance(root, dict):
        raise InputError("expected a suite mapping with `name` and `cases`", file=file, line=_line(root_lines))
    tree = TreeLines(root_lines)
    header = Record({k: v for k, v in root.items() if k != "cases"}, _line(root_lines), tree)
    if "cases" not in root:
        raise InputError("missing `cases`: a suite needs a list of cases", file=file,
                         line=_line(root_lines), field="cases")
    cases = root["cases"]
    if cases is None:
        cases = []
    elif not isinstance(cases, list):
        raise InputError("`cases` must be a list of cases", file=file, line=tree["cases"], field="cases")
    case_lines = root_lines[1]["cases"][1][1] if cases else []  # type: ignore[index]
    records = []
    for i, (case, lines) in enumerate(zip(cases, case_lines)):
        if not isinstance(case, dict):
            raise InputError("each case must be a mapping with at least `id` and `input`", file=file,
                             line=_line(lines), field=f"cases[{i}]")
        records.append(Record(case, _line(lines), TreeLines(lines), f"cases[{i}]"))
    return build_suite(header, records, file, split=split)
