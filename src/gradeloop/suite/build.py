"""Validate Records and build the Suite, Case and GraderSpec objects from them.

All formats share these rules, so a bad split, expect, tag or grader entry is reported the same
way whether it came from YAML, JSONL or CSV: one InputError naming file, line and field.
"""
from __future__ import annotations

import difflib
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Mapping, NoReturn, Sequence

from gradeloop.errors import InputError
from gradeloop.suite.model import EXPECTS, SPLITS, AgentSpec, Case, GraderSpec, Suite, Thresholds
from gradeloop.suite.record import Record
from gradeloop.suite.version import suite_version
from gradeloop.tools.calls import parse_calls
from gradeloop.tools.schema import SchemaProblem, normalize_choice, normalize_tools

SUITE_KEYS: tuple[str, ...] = ("name", "description", "split", "thresholds", "defaults", "cases", "agent")
AGENT_KEYS: tuple[str, ...] = ("tools", "steps", "timeout")
CASE_KEYS: tuple[str, ...] = ("id", "input", "reference", "tags", "expect", "graders", "parent",
                              "metadata", "tools", "tool_choice")
MESSAGE_KEYS: tuple[str, ...] = ("role", "content", "name", "tool_calls", "tool_call_id")
THRESHOLD_KEYS: tuple[str, ...] = ("min_pass_rate", "on", "max_error_rate")
DEFAULTS_KEYS: tuple[str, ...] = ("graders", "tools", "tool_choice")
THRESHOLD_ON: tuple[str, ...] = ("mean", "ci_low")


def _fail(rec: Record, file: str, path: str, message: str) -> NoReturn:
    raise InputError(message, file=file, line=rec.line_of(path), field=rec.field(path))


def suggest(key: str, valid: Iterable[str]) -> str:
    """' (did you mean `x`?)' for the closest valid key, or '' when nothing is close."""
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def check_keys(rec: Record, file: str, valid: Sequence[str], path: str = "",
               data: Mapping[str, Any] | None = None) -> None:
    """Refuse keys outside `valid`: most are typos, and a silently ignored field is lost data."""
    for key in (rec.data if data is None else data):
        if key not in valid:
            where = f"{path}.{key}" if path else key
            _fail(rec, file, where, f"unknown key{suggest(key, valid)}; expected one of "
                                    + ", ".join(valid))


def as_text(value: Any) -> str:
    """A scalar as text: YAML keeps what was written; JSON numbers and booleans use JSON spelling."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _optional_text(rec: Record, file: str, key: str) -> str | None:
    value = rec.data.get(key)
    if value is None:
        return None
    if not _is_scalar(value):
        _fail(rec, file, key, f"must be a string, got a {_kind(value)}")
    return as_text(value)


# Records hold plain values from a parser, so `dict` (not the slower Mapping ABC) is the check.
def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def check_split(value: Any, rec: Record | None, file: str | None, path: str = "split") -> str:
    """A split name from SPLITS, else an InputError listing them."""
    if value in SPLITS:
        return value
    message = f"bad split {value!r}{suggest(str(value), SPLITS)}; expected one of {', '.join(SPLITS)}"
    if rec is None or file is None:
        raise InputError(message, file=file, field=path)
    _fail(rec, file, path, message)


def build_graders(value: Any, rec: Record, file: str, path: str) -> tuple[GraderSpec, ...]:
    """Grader entries: each a mapping with a non-empty string `type`; parameters are kept as written."""
    if value is None:
        return ()
    if not isinstance(value, list):
        _fail(rec, file, path, f"must be a list of grader mappings, got a {_kind(value)}")
    specs = []
    for i, entry in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(entry, dict):
            _fail(rec, file, where, f"grader entry must be a mapping with a `type`, got a {_kind(entry)}")
        kind = entry.get("type")
        if not isinstance(kind, str) or not kind.strip():
            problem = "missing `type`" if kind is None else f"`type` must be a non-empty string, got {kind!r}"
            _fail(rec, file, f"{where}.type", f"grader entry {problem}")
        params = {k: v for k, v in entry.items() if k != "type"}
        specs.append(GraderSpec(type=kind.strip(), params=params, file=file, line=rec.line_of(where)))
    return tuple(specs)


def _build_input(rec: Record, file: str) -> str | tuple[dict[str, Any], ...]:
    value = rec.data.get("input")
    if value is None:
        _fail(rec, file, "input", "missing input")
    if _is_scalar(value):
        text = as_text(value)
        if not text.strip():
            _fail(rec, file, "input", "input is empty")
        return text
    if not isinstance(value, list):
        _fail(rec, file, "input", f"must be a string or a list of {{role, content}} messages, "
                                  f"got a {_kind(value)}")
    if not value:
        _fail(rec, file, "input", "input is an empty list of messages")
    messages = []
    for i, message in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(message, dict):
            _fail(rec, file, where, f"message must be a mapping with role and content, got a {_kind(message)}")
        role, content = message.get("role"), message.get("content")
        if not isinstance(role, str) or not role.strip():
            _fail(rec, file, f"{where}.role", "message needs a non-empty string `role`")
        unknown = [k for k in message if k not in MESSAGE_KEYS]
        if unknown:  # `{role: user, content: Hi, are you there?}` silently splits the content into a key
            key = unknown[0]
            hint = (" (in {...}, a ', ' or ': ' inside unquoted text starts a new key: put the content in quotes)"
                    if message[key] is None else "")
            _fail(rec, file, f"{where}.{key}", f"unknown key in a message{hint}; expected "
                  + ", ".join(MESSAGE_KEYS))
        calls = message.get("tool_calls")
        if calls is not None:  # an assistant turn of a multi-turn tool transcript
            if role != "assistant":
                _fail(rec, file, f"{where}.tool_calls", "only assistant messages carry tool_calls")
            if not isinstance(calls, list):
                _fail(rec, file, f"{where}.tool_calls", f"must be a list of calls, got a {_kind(calls)}")
            try:
                parsed = parse_calls(calls)
            except ValueError as exc:
                _fail(rec, file, f"{where}.{str(exc).split(':')[0]}", str(exc).split(": ", 1)[-1])
            bad = next((c for c in parsed if c.error), None)
            if bad is not None:
                _fail(rec, file, f"{where}.tool_calls", f"call {bad.name!r}: {bad.error}")
            message = {**message, "tool_calls": [{"id": c.id or f"call_{k}", "type": "function",
                                                  "function": {"name": c.name, "arguments": dict(c.arguments or {})}}
                                                 for k, c in enumerate(parsed)]}
            content = "" if content is None else content
        if content is None or not _is_scalar(content):
            _fail(rec, file, f"{where}.content", "message needs a string `content`")
        messages.append({**message, "content": as_text(content)})
    if not any(m["content"].strip() for m in messages):
        _fail(rec, file, "input", "input is empty: every message content is blank")
    return tuple(messages)


def _build_tags(rec: Record, file: str) -> dict[str, str]:
    value = rec.data.get("tags")
    if value is None:
        return {}
    if not isinstance(value, dict):
        _fail(rec, file, "tags", f"tags must be a mapping of slice key to value, got a {_kind(value)}")
    tags = {}
    for key, tag in value.items():
        if tag is None or not _is_scalar(tag):
            got = "nothing" if tag is None else f"a {_kind(tag)}"
            _fail(rec, file, f"tags.{key}", f"tag value must be a string, got {got}")
        tags[str(key)] = as_text(tag)
    return tags


_CASE_KEY_SET = frozenset(CASE_KEYS) - {"tools", "tool_choice"}  # the fast path builds cases without tools


def _plain_case(rec: Record, file: str) -> Case | None:
    """The common case (text input, string fields and tags, typed graders) built with cheap type checks.

    Returns None whenever anything is unusual, so the checking path below reports it with its
    file, line and field; both paths build equal Cases.
    """
    data = rec.data
    case_id, text = data.get("id"), data.get("input")
    if not (type(case_id) is str and type(text) is str and data.keys() <= _CASE_KEY_SET
            and case_id.strip() and text.strip()):
        return None
    reference, parent, expect = data.get("reference"), data.get("parent"), data.get("expect")
    tags, metadata, graders = data.get("tags"), data.get("metadata"), data.get("graders")
    if not ((reference is None or type(reference) is str) and (parent is None or type(parent) is str)
            and (expect is None or expect in EXPECTS) and (metadata is None or type(metadata) is dict)):
        return None
    if tags is not None and not (type(tags) is dict and all(
            type(k) is str and type(v) is str for k, v in tags.items())):
        return None
    specs: tuple[GraderSpec, ...] = ()
    if graders is not None:
        if type(graders) is not list:
            return None
        built = []
        for i, entry in enumerate(graders):
            kind = entry.get("type") if type(entry) is dict else None
            if type(kind) is not str or not kind.strip():
                return None
            built.append(GraderSpec(kind.strip(), {k: v for k, v in entry.items() if k != "type"}, file,
                                    rec.line_of(f"graders[{i}]")))
        specs = tuple(built)
    return Case(case_id.strip(), text, reference, dict(tags) if tags else {}, expect, specs, parent,
                dict(metadata) if metadata else {}, file, rec.line)


def build_case(rec: Record, file: str) -> Case:
    """One Case from its Record, every field checked."""
    return _plain_case(rec, file) or checked_case(rec, file)


def checked_case(rec: Record, file: str) -> Case:
    """One Case from its Record, field by field, raising an InputError at the first bad one."""
    check_keys(rec, file, CASE_KEYS)
    case_id = _optional_text(rec, file, "id")
    if case_id is None or not case_id.strip():
        _fail(rec, file, "id", "missing case id" if case_id is None else "case id is empty")
    expect = rec.data.get("expect")
    if expect is not None and expect not in EXPECTS:
        _fail(rec, file, "expect", f"bad expect {expect!r}{suggest(str(expect), EXPECTS)}; "
                                   f"expected one of {', '.join(EXPECTS)}")
    metadata = rec.data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        _fail(rec, file, "metadata", f"metadata must be a mapping, got a {_kind(metadata)}")
    tools = _build_tools(rec, file, rec.data.get("tools"), "tools")
    return Case(
        id=case_id.strip(),
        input=_build_input(rec, file),
        reference=_optional_text(rec, file, "reference"),
        tags=_build_tags(rec, file),
        expect=expect,
        graders=build_graders(rec.data.get("graders"), rec, file, "graders"),
        parent=_optional_text(rec, file, "parent"),
        metadata=dict(metadata or {}),
        file=file,
        line=rec.line,
        tools=tools,
        tool_choice=rec.data.get("tool_choice"),  # checked in build_suite, against the defaults' tools too
    )


def _build_tools(rec: Record, file: str, value: Any, path: str) -> tuple[dict[str, Any], ...]:
    """OpenAI function-tool schemas, normalised; a bad one names its field (`tools[1].function.name`)."""
    if value is None:
        return ()
    try:
        return normalize_tools(value, path)
    except SchemaProblem as exc:
        _fail(rec, file, exc.path, exc.message)


def _checked_choice(rec: Record, file: str, field: str, choice: Any, tools: tuple[dict[str, Any], ...],
                    where: str) -> Any:
    """A tool_choice normalised against its tools; one with no tools to choose from is bad input."""
    if choice is None:
        return None
    if not tools:
        _fail(rec, file, field, f"tool_choice without tools: declare {where}")
    try:
        return normalize_choice(choice, tools)
    except SchemaProblem as exc:
        _fail(rec, file, field, exc.message)


def _with_tools(case: Case, rec: Record, file: str, tools: tuple[dict[str, Any], ...], choice: Any) -> Case:
    """The case with the defaults' tools and tool_choice where it declares none, its tool_choice checked."""
    own_choice = case.tool_choice is not None
    tools = case.tools or tools
    choice = case.tool_choice if own_choice else choice
    choice = _checked_choice(rec, file, "tool_choice", choice, tools, "`tools` on the case or in defaults")
    if tools is case.tools and choice == case.tool_choice:
        return case
    return replace(case, tools=tools, tool_choice=choice)


def build_thresholds(rec: Record, file: str) -> Thresholds:
    """`thresholds: {min_pass_rate: 0..1, on: mean|ci_low, max_error_rate: 0..1}`; absent means no threshold."""
    value = rec.data.get("thresholds")
    if value is None:
        return Thresholds()
    if not isinstance(value, dict):
        _fail(rec, file, "thresholds", f"thresholds must be a mapping like {{min_pass_rate: 0.9}}, "
                                       f"got a {_kind(value)}")
    check_keys(rec, file, THRESHOLD_KEYS, "thresholds", value)
    rate = value.get("min_pass_rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float))
                             or not math.isfinite(rate) or not 0.0 <= rate <= 1.0):
        _fail(rec, file, "thresholds.min_pass_rate", f"must be a number between 0 and 1, got {rate!r}")
    on = value.get("on", "mean")
    if on not in THRESHOLD_ON:
        _fail(rec, file, "thresholds.on", f"must be one of {', '.join(THRESHOLD_ON)}, got {on!r}")
    errors = value.get("max_error_rate", 0.0)
    if isinstance(errors, bool) or not isinstance(errors, (int, float)) or not math.isfinite(errors) \
            or not 0.0 <= errors <= 1.0:
        _fail(rec, file, "thresholds.max_error_rate", f"must be a number between 0 and 1, got {errors!r}")
    return Thresholds(min_pass_rate=None if rate is None else float(rate), on=on, max_error_rate=float(errors))


def _build_defaults(rec: Record, file: str) -> tuple[GraderSpec, ...]:
    value = rec.data.get("defaults")
    if value is None:
        return ()
    if not isinstance(value, dict):
        _fail(rec, file, "defaults", f"defaults must be a mapping with `graders`, got a {_kind(value)}")
    check_keys(rec, file, DEFAULTS_KEYS, "defaults", value)
    return build_graders(value.get("graders"), rec, file, "defaults.graders")


def build_agent(rec: Record, file: str) -> AgentSpec | None:
    """`agent: {tools: FILE.py, steps: N, timeout: S}`; the tools file must exist (relative to the suite)."""
    value = rec.data.get("agent")
    if value is None:
        return None
    if not isinstance(value, dict):
        _fail(rec, file, "agent", f"agent must be a mapping like {{tools: tools.py, steps: 3}}, got a {_kind(value)}")
    check_keys(rec, file, AGENT_KEYS, "agent", value)
    tools = value.get("tools")
    if not isinstance(tools, str) or not tools.strip():
        _fail(rec, file, "agent.tools", "agent needs `tools`: the Python file with the tool implementations")
    path = Path(tools) if Path(tools).is_absolute() else Path(file).parent / tools
    if not path.is_file():
        _fail(rec, file, "agent.tools", f"tools module {str(path)!r} does not exist")
    steps = value.get("steps", 5)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 100:
        _fail(rec, file, "agent.steps", f"must be an integer from 1 to 100, got {steps!r}")
    timeout = value.get("timeout", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
        _fail(rec, file, "agent.timeout", f"must be a number of seconds in (0, 600], got {timeout!r}")
    return AgentSpec(tools, steps, float(timeout), str(path))


def resolve_split(header: Record, file: str, requested: str | None) -> str:
    """The file's split, else the requested one, else dev; a file's split is never relabelled."""
    if requested is not None:
        check_split(requested, None, file)
    written = header.data.get("split")
    if written is None:
        return requested or "dev"
    split = check_split(written, header, file)
    if requested is not None and requested != split:
        _fail(header, file, "split", f"the file declares split {split!r} but {requested!r} was requested")
    return split


def build_suite(header: Record, cases: Sequence[Record], file: str, *,
                default_name: str | None = None, split: str | None = None) -> Suite:
    """The Suite from its header fields and case Records, with its content version set."""
    check_keys(header, file, SUITE_KEYS)
    name = _optional_text(header, file, "name") or default_name
    if name is None or not name.strip():
        _fail(header, file, "name", "missing suite name" if name is None else "suite name is empty")
    description = _optional_text(header, file, "description") or ""
    resolved_split = resolve_split(header, file, split)
    thresholds = build_thresholds(header, file)
    agent = build_agent(header, file)
    defaults = _build_defaults(header, file)
    raw_defaults = header.data.get("defaults")
    raw_defaults = raw_defaults if isinstance(raw_defaults, dict) else {}
    default_tools = _build_tools(header, file, raw_defaults.get("tools"), "defaults.tools")
    default_choice = _checked_choice(header, file, "defaults.tool_choice", raw_defaults.get("tool_choice"),
                                     default_tools, "`defaults.tools`")
    if not cases:
        _fail(header, file, "cases", "empty suite: it has no cases")
    built: list[Case] = []
    first_line: dict[str, int] = {}
    for rec in cases:
        case = build_case(rec, file)
        if default_tools or case.tools or case.tool_choice is not None:
            case = _with_tools(case, rec, file, default_tools, default_choice)
        if case.id in first_line:
            _fail(rec, file, "id", f"duplicate case id '{case.id}' (lines {first_line[case.id]} "
                                   f"and {rec.line})")
        first_line[case.id] = rec.line
        built.append(case)
    suite = Suite(name=name.strip(), cases=tuple(built), split=resolved_split,  # type: ignore[arg-type]
                  description=description, default_graders=defaults, thresholds=thresholds,
                  source=file, agent=agent, tools=default_tools)
    return replace(suite, version=suite_version(suite))
