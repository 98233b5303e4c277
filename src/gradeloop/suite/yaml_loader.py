"""Load a suite from YAML (one suite per file), keeping the line of every case and grader."""
from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gradeloop.errors import InputError
from gradeloop.suite.build import build_suite
from gradeloop.suite.model import Suite
from gradeloop.suite.record import Record
from gradeloop.suite.yaml_tree import (NodeLines, collect_lines, compose, line_of, mapping_pairs,
                                        to_python)

# Fields read as the text written (`id: 001`, `tags: {tier: 1}`, `reference: 0.50` stay as typed
# by the author); grader parameters and metadata keep their YAML types.
_RAW_SUITE_FIELDS = frozenset({"name", "description", "split"})
_RAW_CASE_FIELDS = frozenset({"id", "input", "reference", "tags", "expect", "parent"})


def _case_record(node: Node, index: int, file: str) -> Record:
    prefix = f"cases[{index}]"
    if not isinstance(node, MappingNode):
        raise InputError("each case must be a mapping with at least `id` and `input`", file=file,
                         line=line_of(node), field=prefix)
    data: dict = {}
    known: dict[str, int] = {}  # grader lines are kept on every GraderSpec; other lines on demand
    for key, key_node, value_node in mapping_pairs(node, file, prefix):
        data[key] = to_python(value_node, file, f"{prefix}.{key}", raw=key in _RAW_CASE_FIELDS)
        if key == "graders" and isinstance(value_node, SequenceNode):
            for i, item in enumerate(value_node.value):
                known[f"graders[{i}]"] = line_of(item)
    return Record(data, line_of(node), NodeLines(node, 3, known), prefix)


def parse_yaml(text: str, file: str, *, split: str | None = None) -> Suite:
    """The Suite written in `text` (the content of `file`)."""
    root = compose(text, file)
    if root is None:
        raise InputError("empty file: expected a suite mapping with `name` and `cases`", file=file, line=1)
    if not isinstance(root, MappingNode):
        raise InputError("expected a suite mapping with `name` and `cases`", file=file, line=line_of(root))
    header: dict = {}
    lines: dict[str, int] = {}
    cases_node: Node | None = None
    for key, key_node, value_node in mapping_pairs(root, file, ""):
        lines[key] = line_of(key_node)
        if key == "cases":
            cases_node = value_node
            continue
        header[key] = to_python(value_node, file, key, raw=key in _RAW_SUITE_FIELDS)
        collect_lines(value_node, key, lines, 3)
    header_record = Record(header, line_of(root), lines)
    if cases_node is None:
        raise InputError("missing `cases`: a suite needs a list of cases", file=file,
                         line=line_of(root), field="cases")
    if isinstance(cases_node, ScalarNode) and cases_node.tag.endswith(":null"):
        case_nodes: list[Node] = []
    elif isinstance(cases_node, SequenceNode):
        case_nodes = cases_node.value
    else:
        raise InputError("`cases` must be a list of cases", file=file, line=lines["cases"], field="cases")
    records = [_case_record(node, i, file) for i, node in enumerate(case_nodes)]
    return build_suite(header_record, records, file, split=split)
