"""YAML node trees to plain Python values, keeping the line of every node.

`yaml.compose` with the C loader keeps each node's `start_mark`, so errors can name the line
of any field; this module builds the Python values itself from that tree. Small files (config)
use it; suite files take the faster event path in `yaml_events`. Both share the fast resolver.
"""
from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gradeloop.errors import InputError

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _MERGE = _TAG + "str", _TAG + "null", _TAG + "merge"
_SEQ, _MAP, _TIMESTAMP = _TAG + "seq", _TAG + "map", _TAG + "timestamp"
_CONSTRUCTOR = SafeConstructor()
# Only the JSON-compatible scalar types: anything else (sets, binary, custom tags) is refused.
_SCALARS = {
    _TAG + "bool": _CONSTRUCTOR.construct_yaml_bool,
    _TAG + "int": _CONSTRUCTOR.construct_yaml_int,
    _TAG + "float": _CONSTRUCTOR.construct_yaml_float,
}
_MAX_DEPTH = 64  # deeper than any real suite; stops self-referencing anchors
# Aliases may add up to ALIAS_BUDGET nodes plus ALIAS_RATIO per node written (a suite that reuses a
# grader block in every case stays far below); nine levels of ten aliases (10^9 nodes from 1 KB)
# are refused after a few thousand steps instead of hanging every later walk over the values.
ALIAS_BUDGET = 100_000
ALIAS_RATIO = 10
_FIRST_CHARS = yaml.CSafeLoader.yaml_implicit_resolvers  # first character -> implicit resolvers
_MEMO: dict[str, str] = {}
_MEMO_LIMIT = 1 << 16


class _Loader(yaml.CSafeLoader):
    """CSafeLoader with a fast tag resolver: PyYAML's Python `resolve` is a third of compose time.

    Same answers as the original: quoted scalars and plain ones whose first character starts no
    implicit type are strings; other plain scalars are resolved once per distinct text.
    """

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:  # type: ignore[override]
        if kind is ScalarNode:
            if not implicit[0] or (value and value[0] not in _FIRST_CHARS):
                return _STR
            tag = _MEMO.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_MEMO) < _MEMO_LIMIT:
                    _MEMO[value] = tag
            return tag
        return _SEQ if kind is SequenceNode else _MAP


# The fast path above is only valid without wildcard or path resolvers (SafeLoader has none).
if None in _FIRST_CHARS or _Loader.yaml_path_resolvers:
    _Loader = yaml.CSafeLoader  # type: ignore[misc]  # noqa: F811


def line_of(node: Node) -> int:
    """The 1-based line where a node starts."""
    return node.start_mark.line + 1


def parser_error(exc: yaml.YAMLError, text: str, file: str) -> InputError:
    """A PyYAML parser error as an InputError with the line the parser points at."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        return InputError(f"malformed YAML: {problem}{context}", file=file, line=line)
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        return InputError(f"malformed YAML: {exc.reason} (character {exc.character!r})", file=file, line=line)
    return InputError(f"malformed YAML: {exc}", file=file)


def alias_bomb(expanded: int) -> str:
    return (f"YAML aliases expand to over {expanded:,} nodes (an alias bomb?); "
            f"at most {ALIAS_BUDGET:,} plus {ALIAS_RATIO} per node written are allowed")


def check_alias_expansion(root: Node, file: str) -> None:
    """Refuse a node graph whose aliases would expand past the budget (walked once per distinct node)."""
    sizes: dict[int, int] = {}
    distinct = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:  # iterative post-order: no recursion limit on deep documents
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        children = [] if node.__class__ is ScalarNode else (
            [c for pair in node.value for c in pair] if node.__class__ is MappingNode else node.value)
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        if key in sizes:
            continue
        distinct += 1
        sizes[key] = 1 + sum(sizes.get(id(c), 1) for c in children)
        if sizes[key] > ALIAS_BUDGET + ALIAS_RATIO * max(distinct, len(sizes)):
            raise InputError(alias_bomb(sizes[key]), file=file, line=line_of(node))


def compose(text: str, file: str) -> Node | None:
    """Parse one YAML document into a node tree; parser errors become InputErrors with a line."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise parser_error(exc, text, file) from None
    except RecursionError:
        raise InputError("malformed YAML: nesting too deep", file=file) from None
    if node is not None:
        check_alias_expansion(node, file)
    return node


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def mapping_pairs(node: MappingNode, file: str, field: str) -> list[tuple[str, ScalarNode, Node]]:
    """(key, key node, value node) of a mapping, merges (`<<`) resolved, duplicate keys refused."""
    pairs = [(k.value, k, v) for k, v in node.value if k.__class__ is ScalarNode and k.tag != _MERGE]
    if len(pairs) == len(node.value) and len({p[0] for p in pairs}) == len(pairs):
        return pairs  # the common case: plain keys, no merge, no duplicate
    merged: list[tuple[str, ScalarNode, Node]] = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise InputError("`<<` merges only mappings", file=file,
                                     line=line_of(source), field=field)
                merged.extend(mapping_pairs(source, file, field))
        elif not isinstance(key_node, ScalarNode):
            raise InputError("mapping keys must be plain strings", file=file,
                             line=line_of(key_node), field=field)
    seen: dict[str, int] = {}
    for key, key_node, _ in pairs:
        if key in seen:
            raise InputError(f"duplicate key '{key}' (first at line {seen[key]})", file=file,
                             line=line_of(key_node), field=_join(field, key))
        seen[key] = line_of(key_node)
    result = {key: (key, k, v) for key, k, v in merged}
    result.update({key: (key, k, v) for key, k, v in pairs})
    return list(result.values())


def _scalar(node: ScalarNode, file: str, field: str, raw: bool) -> Any:
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag == _NULL:
        return None
    build = _SCALARS.get(tag)
    if build is None and tag != _TIMESTAMP:
        raise InputError(f"unsupported YAML type {tag}", file=file, line=line_of(node), field=field)
    if raw or build is None:  # dates stay the text written: JSON-safe and round-trippable
        return node.value
    try:
        return build(node)
    except ValueError as exc:  # `!!int abc`, or an integer past Python's 4,300-digit conversion limit
        raise InputError(f"bad {tag.rsplit(':', 1)[-1]} value: {str(exc)[:120]}", file=file,
                         line=line_of(node), field=field) from None


def to_python(node: Node, file: str, field: str = "", *, raw: bool = False, depth: int = 0) -> Any:
    """Build plain Python values from a node; `raw` keeps every scalar as the text written."""
    cls = node.__class__
    if cls is ScalarNode:
        return _scalar(node, file, field, raw)  # type: ignore[arg-type]
    if depth > _MAX_DEPTH:
        raise InputError("nesting too deep (a self-referencing anchor?)", file=file,
                         line=line_of(node), field=field)
    if node.tag != (_SEQ if cls is SequenceNode else _MAP):
        raise InputError(f"unsupported YAML type {node.tag}", file=file, line=line_of(node), field=field)
    if cls is SequenceNode:
        return [item.value if item.__class__ is ScalarNode and item.tag == _STR
                else to_python(item, file, f"{field}[{i}]", raw=raw, depth=depth + 1)
                for i, item in enumerate(node.value)]
    return {key: value.value if value.__class__ is ScalarNode and value.tag == _STR
            else to_python(value, file, _join(field, key), raw=raw, depth=depth + 1)
            for key, _, value in mapping_pairs(node, file, field)}  # type: ignore[arg-type]


def collect_lines(node: Node, path: str, out: dict[str, int], depth: int) -> None:
    """Record the line of `node`'s children (down to `depth` levels) under dotted/indexed paths."""
    if depth <= 0:
        return
    if isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            out[child] = line_of(item)
            collect_lines(item, child, out, depth - 1)
    elif isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE:
                child = f"{path}.{key_node.value}" if path else key_node.value
                out[child] = line_of(key_node)
                collect_lines(value_node, child, out, depth - 1)

