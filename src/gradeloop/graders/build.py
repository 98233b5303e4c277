"""Building graders from suite specs: validation with file:line:field errors, templates, caching.

A spec without case templates builds once and is cached by its content, so a 10,000-case
suite builds its default graders (and any check its cases repeat) once and each later case
costs a dict look-up per grader; a templated spec (`{{ reference }}`) is built per case.
"""
from __future__ import annotations

import os
import re
import threading
import types
import typing
from collections.abc import Mapping  # isinstance on typing.Mapping costs ~2 µs; on the ABC ~0.2 µs
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import PydanticUndefined

# Importing the grader modules registers their types.
from gradeloop.graders import (judge, keywords, match, multi, numeric, openai_compat,  # noqa: F401
                               python_grader, refusal, similarity, structure)
from gradeloop.graders import tools as _tool_graders  # noqa: F401  (tool_call, tool_call_valid, ...)
from gradeloop.graders.base import Grader, JudgeFactory
from gradeloop.graders.registry import REGISTRY, BuildContext
from gradeloop.graders.templating import needs_case, render

if TYPE_CHECKING:
    from gradeloop.suite.model import Case, GraderSpec, Suite


# pydantic puts the union member it tried into an error's location ("dict[str,any]", "bool"): not a field.
_TYPE_TAG = re.compile(r"(?:str|int|float|bool|none|dict|list|tuple|set|literal|any|function-\w+|"
                       r"[\w-]+\[.*\])(?:\[.*\])?", re.IGNORECASE)


def _validation_message(exc: ValidationError, type_name: str) -> tuple[str, str | None]:
    """One line from pydantic's errors and the parameter it concerns."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = ".".join(str(x) for x in first["loc"] if not _TYPE_TAG.fullmatch(str(x))) or None
    msg = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        known = ", ".join(sorted(_param_names(type_name)))
        msg = f"unknown parameter for '{type_name}' (known: {known})"
    elif first["type"] == "missing":
        msg = f"required parameter of '{type_name}' is missing"
    elif "input" in first and first["type"] not in ("value_error", "assertion_error"):
        msg += f" (got {first['input']!r:.60})"
    if len(errors) > 1:
        msg += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return msg, loc


def _param_names(type_name: str) -> list[str]:
    model = REGISTRY[type_name].params
    return [f.alias or n for n, f in model.model_fields.items()]


def _templated(type_name: Any, params: Any) -> bool:
    """Whether the spec has case templates (outside parameters that are never templated)."""
    if not isinstance(params, Mapping):
        return False
    entry = REGISTRY.get(type_name) if isinstance(type_name, str) else None
    if entry is None:
        return needs_case(params)
    if any(needs_case(v) for k, v in params.items() if k not in entry.raw):
        return True
    subs = params.get(entry.nested) if entry.nested else None
    return isinstance(subs, Mapping) and any(
        isinstance(sub, Mapping) and _templated(sub.get("type"), {k: v for k, v in sub.items() if k != "type"})
        for sub in subs.values())


def _build(type_name: Any, params: Any, ctx: BuildContext, templated: bool | None = None) -> Grader:
    if not isinstance(type_name, str) or type_name not in REGISTRY:
        ctx.error(f"unknown grader type {type_name!r} (known: {', '.join(sorted(REGISTRY))})", "type")
    if not isinstance(params, Mapping):
        ctx.error(f"grader parameters must be a mapping, got {type(params).__name__}")
    entry = REGISTRY[type_name]
    if _templated(type_name, params) if templated is None else templated:
        case = ctx.case
        if case is None:
            ctx.error("uses a {{ field }} template, which needs a case to fill it")
        filled = {}
        for key, value in params.items():
            if key in entry.raw:
                filled[key] = value
                continue
            def missing(path: str, text: str, key: str = key) -> typing.NoReturn:
                if not path:
                    ctx.error(f"malformed template in {text!r} (write {{{{ field }}}}, e.g. {{{{ reference }}}})", key)
                ctx.error(f"template {{{{ {path} }}}}: case {case.id!r} has no value for {path!r}", key)
            filled[key] = render(value, case, missing)
        params = filled
    try:
        parsed = entry.params.model_validate(params)
    except ValidationError as exc:
        msg, loc = _validation_message(exc, type_name)
        ctx.error(msg, loc)
    return entry.build(parsed, ctx)


def build_from_mapping(spec: Any, parent: BuildContext, where: str) -> Grader:
    """Build a nested grader written as a mapping {type: ..., **params} (multi's sub-graders)."""
    if not isinstance(spec, Mapping) or "type" not in spec:
        parent.error("a sub-grader must be a mapping with a `type`", where.removeprefix(parent.where + "."))
    params = {k: v for k, v in spec.items() if k != "type"}
    ctx = BuildContext(spec["type"] if isinstance(spec["type"], str) else "?", where, parent.file, parent.line,
                       parent.case, parent.judge_factory, parent.base_dir)
    return _build(spec["type"], params, ctx)


def build_grader(spec: "GraderSpec", case: "Case | None" = None, *, judge_factory: JudgeFactory | None = None,
                 base_dir: str | None = None, where: str = "grader") -> Grader:
    """Build one grader from its spec, filling `{{ field }}` templates from `case`.

    Raises InputError naming spec.file, spec.line and `<where>.<param>` for an unknown type, a bad or
    missing parameter, an invalid regex or schema, or a template field the case lacks.
    """
    ctx = BuildContext(spec.type, where, spec.file, spec.line, case, judge_factory, base_dir)
    return _build(spec.type, spec.params, ctx)


# Built graders by content: equal specs (same type, parameters, file and folder) share one grader,
# so a suite whose cases repeat a check validates it once. Key: (type, repr(params), file, base_dir,
# id(judge_factory), stamps of the files it reads); repr tells 1, 1.0, True and "1" apart, which
# pydantic treats differently. A grader that reads a file at build time (python `file:`, tool_exec
# `module:`) is keyed by that file's absolute path, size and modification time: the same relative
# name in another folder, or the file edited in a long-lived process, is built anew.
# Value: (judge_factory, grader), the grader None when the spec has case templates (built per case).
# Keeping the factory in the value stops its id from being reused while the entry lives.
_CACHE: dict[tuple[Any, ...], tuple[Any, Grader | None]] = {}
_CACHE_MAX = 65536
_LOCK = threading.Lock()


def _cached(spec: "GraderSpec", case: "Case", judge_factory: JudgeFactory | None, base_dir: str | None,
            i: int, own: bool) -> Grader:
    key = (spec.type, repr(spec.params), spec.file, base_dir, id(judge_factory),
           _file_stamps(spec.type, spec.params, base_dir, spec.file))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is judge_factory and hit[1] is not None:
        return hit[1]  # the hot path: no validation, no formatting
    where = f"cases[{case.id}].graders[{i}]" if own else f"defaults.graders[{i}]"
    ctx = BuildContext(spec.type, where, spec.file, spec.line, case, judge_factory, base_dir)
    known = hit is not None and hit[0] is judge_factory  # seen before, so templated: built per case
    templated = known or _templated(spec.type, spec.params)
    grader = _build(spec.type, spec.params, ctx, templated)
    if not known:
        with _LOCK:
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            _CACHE[key] = (judge_factory, None if templated else grader)
    return grader


def _file_stamps(type_name: Any, params: Any, base_dir: str | None, spec_file: str | None) -> tuple[Any, ...]:
    """(absolute path, size, mtime) of each file the spec's builder reads, sub-graders' included;
    relative names resolve as the builders resolve them (the base folder, else the suite file's)."""
    entry = REGISTRY.get(type_name) if isinstance(type_name, str) else None
    if entry is None or not isinstance(params, Mapping) or not (entry.files or entry.nested):
        return ()  # the hot path: a grader that reads no file
    base = base_dir or (os.path.dirname(spec_file) if spec_file else None)
    stamps: list[Any] = []
    for name in entry.files:
        value = params.get(name)
        if isinstance(value, str):
            path = os.path.abspath(value if os.path.isabs(value) or base is None else os.path.join(base, value))
            try:
                st = os.stat(path)
                stamps.append((path, st.st_size, st.st_mtime_ns))
            except (OSError, ValueError):
                stamps.append((path, None, None))  # the builder reports the missing file
    subs = params.get(entry.nested) if entry.nested else None
    if isinstance(subs, Mapping):
        for sub in subs.values():
            if isinstance(sub, Mapping):
                stamps.extend(_file_stamps(sub.get("type"), {k: v for k, v in sub.items() if k != "type"},
                                           base, None))
    return tuple(stamps)


def build_graders(suite: "Suite", case: "Case", *, judge_factory: JudgeFactory | None = None) -> tuple[Grader, ...]:
    """The graders of one case: the suite's defaults, then the case's own; untemplated ones are cached."""
    base_dir = os.path.dirname(suite.source) if suite.source else None
    out = [_cached(s, case, judge_factory, base_dir, i, False) for i, s in enumerate(suite.default_graders)]
    out += [_cached(s, case, judge_factory, base_dir, i, True) for i, s in enumerate(case.graders)]
    return tuple(out)


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "|".join(str(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is not None and typing.get_args(annotation):
        return f"{getattr(origin, '__name__', origin)}[{', '.join(_type_name(a) for a in typing.get_args(annotation))}]"
    if isinstance(annotation, type):
        return "null" if annotation is type(None) else annotation.__name__
    return str(annotation).replace("typing.", "")


def grader_docs() -> list[dict[str, Any]]:
    """Every grader type with its one-line description and parameters, for `gradeloop graders`."""
    docs = []
    for name in sorted(REGISTRY):
        entry = REGISTRY[name]
        params = []
        for field_name, f in entry.params.model_fields.items():
            required = f.is_required()
            default = None if required else (f.default_factory() if f.default_factory is not None  # type: ignore[call-arg]
                                             else f.default)
            params.append({"name": f.alias or field_name, "type": _type_name(f.annotation),
                           "required": required, "default": None if default is PydanticUndefined else default,
                           "description": f.description or ""})
        docs.append({"name": name, "description": entry.description, "openai": entry.openai,
                     "parameters": params})
    return docs
