"""Berkeley Function Calling Leaderboard AST rules: does one call match one expected call?

Follows `bfcl_eval/eval_checker/ast_eval/ast_checker.py` (Python language rules): the function
name must match exactly; every parameter the tool schema marks required must be present; a
parameter the expected call does not list (or the schema does not declare) is "unexpected";
each expected parameter lists acceptable values and `""` among them marks it optional; an int
is accepted for a float (never a string for a number, never a bool for an int); strings are
compared after BFCL's normalisation (case, spaces and `,./-_*^` ignored, ' read as "); lists
in order; dicts without extra keys, each key's value again a list of acceptable values.

Unlike BFCL, each call gets partial credit (name, then the share of parameters that check out),
so a grader can rank near misses; a call is `valid` only on a full match, as in BFCL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from gradeloop.graders.memo import identity_memo
from gradeloop.tools.calls import ToolCall

_STANDARDIZE = re.compile(r"[ ,./\-_*^]")
# JSON-schema types and BFCL's own spellings → the Python type a parsed JSON value has.
_TYPES: dict[str, type] = {"string": str, "integer": int, "number": float, "float": float, "boolean": bool,
                           "array": list, "tuple": list, "object": dict, "dict": dict}


@dataclass(frozen=True, slots=True)
class Rules:
    """How strictly to compare; the defaults are BFCL's."""

    normalize_strings: bool = True  # BFCL's case/space/punctuation-insensitive string match
    int_as_float: bool = True  # an int where the schema says number/float is accepted
    check_types: bool = True  # refuse a value of the wrong JSON type (a string for a number, ...)


@dataclass(frozen=True, slots=True)
class CallCheck:
    """One actual call against one expected call: partial score, full-match flag and the first problems."""

    score: float
    valid: bool
    problems: tuple[str, ...]


_STANDARD: dict[str, str] = {}  # expected values repeat on every completion a reward scores


def standardize(text: str) -> str:
    """BFCL's string normalisation: drop spaces and `,./-_*^`, lower-case, single quotes as double."""
    hit = _STANDARD.get(text)
    if hit is None:
        hit = _STANDARDIZE.sub("", text).lower().replace("'", '"')
        if len(text) <= 256:
            if len(_STANDARD) > 65536:
                _STANDARD.clear()
            _STANDARD[text] = hit
    return hit


def _norm(value: Any, rules: Rules) -> Any:
    return standardize(value) if rules.normalize_strings and isinstance(value, str) else value


def _same(a: Any, b: Any) -> bool:
    """Equality where True is not 1 (Python's == says it is; JSON and BFCL's type check say no)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _in(value: Any, options: Sequence[Any]) -> bool:
    return any(_same(value, o) for o in options)


def _schema_type(prop: Mapping[str, Any] | None) -> tuple[type | None, type | None]:
    """(outer, item) Python types from a property schema, read once per schema object."""
    return _SCHEMA_TYPES(prop) if prop else (None, None)


def _read_schema_type(prop: Mapping[str, Any]) -> tuple[type | None, type | None]:
    kind = prop.get("type")
    if isinstance(kind, list):  # ["string", "null"]: take the non-null one if there is exactly one
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    outer = _TYPES.get(kind) if isinstance(kind, str) else None
    items = prop.get("items")
    item_kind = items.get("type") if outer is list and isinstance(items, Mapping) else None
    inner = _TYPES.get(item_kind) if isinstance(item_kind, str) else None
    return outer, inner


_SCHEMA_TYPES: Callable[[Mapping[str, Any]], tuple[type | None, type | None]] = \
    identity_memo(_read_schema_type)


def _type_ok(value: Any, outer: type | None, options: Sequence[Any], rules: Rules) -> tuple[Any, str | None]:
    """(value to compare, problem): int widened to float where allowed, any other mismatch a problem."""
    if outer is None:  # no schema type: the acceptable values' type decides (BFCL's "variable" case)
        typed = [o for o in options if not (isinstance(o, str) and o == "")]
        if not typed or not rules.check_types:
            return value, None
        outer = float if all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in typed) \
            and any(isinstance(o, float) for o in typed) else type(typed[0])
        if outer is float and type(value) is int and rules.int_as_float:
            return float(value), None
        if outer is int and type(value) is float:
            return value, f"expected an integer, got {value!r}"
        if type(value) is not outer and not (outer in (int, float) and type(value) in (int, float)):
            return value, f"expected {outer.__name__}, got {type(value).__name__} {value!r}"
        return value, None
    if outer is float and type(value) is int and rules.int_as_float:
        return float(value), None
    if rules.check_types and type(value) is not outer:
        return value, f"expected {outer.__name__}, got {type(value).__name__} {value!r}"
    return value, None


def _dict_ok(value: Mapping[str, Any], options: Sequence[Any], rules: Rules) -> bool:
    """Some acceptable dict has every key of `value` with an acceptable value, and lacks none it requires."""
    for option in options:
        if not isinstance(option, Mapping):
            continue
        if any(k not in option for k in value):
            continue  # an extra key
        ok = True
        for k, v in value.items():
            acceptable = option[k] if isinstance(option[k], list) else [option[k]]
            if not _in(_norm(v, rules), [_norm(a, rules) for a in acceptable]):
                ok = False
                break
        if ok and all(k in value or (isinstance(a, list) and "" in a) for k, a in option.items()):
            return True
    return False


def _list_ok(value: list, options: Sequence[Any], inner: type | None, rules: Rules) -> bool:
    for option in options:
        if not isinstance(option, list) or len(option) != len(value):
            continue
        if inner is dict or (value and all(isinstance(v, Mapping) for v in value)):
            if all(isinstance(v, Mapping) and _dict_ok(v, [o], rules) for v, o in zip(value, option)):
                return True
            continue
        if all(_same(_norm(v, rules), _norm(o, rules)) for v, o in zip(value, option)):
            return True
    return False


def _value_ok(value: Any, options: Sequence[Any], inner: type | None, rules: Rules) -> bool:
    if type(value) is str:
        if rules.normalize_strings:
            target = standardize(value)
            return any(type(o) is str and standardize(o) == target for o in options)
        return any(type(o) is str and o == value for o in options)
    if isinstance(value, str):
        return _in(_norm(value, rules), [_norm(o, rules) for o in options if isinstance(o, str)])
    if isinstance(value, list):
        return _list_ok(value, options, inner, rules)
    if isinstance(value, Mapping):
        return _dict_ok(value, options, rules)
    return _in(value, options)


def acceptable(spec: Any) -> list[Any]:
    """An expected parameter's acceptable values: a list as written, a single value as a list of one."""
    return list(spec) if isinstance(spec, list) else [spec]


_NO_PARAMS: Mapping[str, Any] = {}


def check_call(call: ToolCall, expected_name: str, expected_args: Mapping[str, Any],
               function: Mapping[str, Any] | None, rules: Rules = Rules()) -> CallCheck:
    """One call against one expected call under `rules`; `function` is the declared tool (None: unknown)."""
    if call.name != expected_name:
        return CallCheck(0.0, False, (f"called {call.name or '(unnamed)'!r}, expected {expected_name!r}",))
    args = call.arguments
    if args is None:
        return CallCheck(0.5, False, (f"{call.name}: {call.error or 'arguments could not be parsed'}",))
    params = (function.get("parameters") if function else None) or _NO_PARAMS
    props: Mapping[str, Any] = params.get("properties") or _NO_PARAMS
    required = params.get("required") or ()
    problems: list[str] = []
    bad: set[str] = set()
    for name in required:
        if name not in args:
            problems.append(f"{call.name}: missing required parameter {name!r}")
            bad.add(name)
    for name, value in args.items():
        spec = expected_args.get(name, _MISSING)
        if spec is _MISSING or (function is not None and name not in props):
            problems.append(f"{call.name}: unexpected parameter {name!r}")
            bad.add(name)
            continue
        options = spec if type(spec) is list else acceptable(spec)
        outer, inner = _schema_type(props.get(name))
        if outer is str and type(value) is str and rules.normalize_strings:  # the common case, inline
            target = standardize(value)
            if any(type(o) is str and standardize(o) == target for o in options):
                continue
        value, problem = _type_ok(value, outer, options, rules)
        if problem is None and not _value_ok(value, options, inner, rules):
            shown = [o for o in options if o != ""]
            problem = f"value {value!r} is not one of {shown!r}"
        if problem is not None:
            problems.append(f"{call.name}.{name}: {problem}")
            bad.add(name)
    for name, spec in expected_args.items():
        if name not in args and name not in bad and "" not in acceptable(spec):
            problems.append(f"{call.name}: missing parameter {name!r} (add \"\" to its values to make it optional)")
            bad.add(name)
    if not bad:
        return _FULL_MATCH
    total = len({*required, *expected_args, *args})
    return CallCheck(0.5 + 0.5 * (total - len(bad)) / total, False, tuple(problems))


_MISSING = object()
_FULL_MATCH = CallCheck(1.0, True, ())
