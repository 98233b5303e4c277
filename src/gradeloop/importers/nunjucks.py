"""The part of Nunjucks that promptfoo prompts and assertion values use most, rendered the way promptfoo does.

`{{ name }}`, dotted and indexed look-ups (`{{ user.name }}`, `{{ items[0] }}`) and the filters
`dump`, `trim`, `upper`, `lower`, `safe`; values are printed as JavaScript prints them (`true`,
`1` for 1.0, lists joined by commas). Anything else (`{% if %}`, loops, other filters) raises
`Unsupported`, which the importer reports instead of guessing.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping

_TAG = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_PATH = re.compile(r"""[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[\s*(?:\d+|"[^"]*"|'[^']*')\s*\])*""")
_PART = re.compile(r"""\.([A-Za-z_$][\w$]*)|\[\s*(\d+|"[^"]*"|'[^']*')\s*\]""")
_FILTERS = ("dump", "trim", "upper", "lower", "safe")


class Unsupported(ValueError):
    """A template construct outside the supported subset."""


def js_number(x: float | int) -> str:
    """A number as JavaScript's String() writes it (1.0 -> '1', 1e21 stays exponent)."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x.is_integer() and abs(x) < 1e21:
        return str(int(x))
    text = repr(x)
    if "e" in text:  # Python 1e-07 -> JavaScript 1e-7
        mant, exp = text.split("e")
        sign = "-" if exp.startswith("-") else "+"
        return f"{mant}e{sign}{exp.lstrip('+-').lstrip('0') or '0'}"
    return text


def js_str(value: Any) -> str:
    """A value as a Nunjucks `{{ }}` prints it: null/undefined empty, arrays comma-joined, objects opaque."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, (list, tuple)):
        return ",".join("" if v is None else js_str(v) for v in value)
    return "[object Object]"


def js_json(value: Any) -> str:
    """JSON.stringify of a value (compact, as promptfoo's `dump` filter writes it)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _lookup(expr: str, variables: Mapping[str, Any]) -> Any:
    if not _PATH.fullmatch(expr):
        raise Unsupported(f"template expression {{{{ {expr} }}}} is not a plain variable look-up")
    head = re.match(r"[A-Za-z_$][\w$]*", expr)
    assert head is not None
    value: Any = variables.get(head.group(0))
    for m in _PART.finditer(expr, head.end()):
        key: Any = m.group(1)
        if key is None:
            raw = m.group(2)
            key = int(raw) if raw.isdigit() else raw[1:-1]
        if isinstance(value, Mapping):
            value = value.get(str(key))
        elif isinstance(value, list) and isinstance(key, int):
            value = value[key] if key < len(value) else None
        else:
            value = None
    return value


def _eval(expr: str, variables: Mapping[str, Any]) -> str:
    parts = [p.strip() for p in expr.split("|")]
    value = _lookup(parts[0], variables)
    text: str | None = None
    for name in parts[1:]:
        if name not in _FILTERS:
            raise Unsupported(f"template filter `{name}` is not supported (supported: {', '.join(_FILTERS)})")
        if name == "dump":
            text = js_json(value)
        else:
            current = js_str(value) if text is None else text
            text = current.strip() if name == "trim" else current.upper() if name == "upper" else (
                current.lower() if name == "lower" else current)
    return js_str(value) if text is None else text


def has_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


def render(text: str, variables: Mapping[str, Any]) -> str:
    """Render `text` with `variables`; raises Unsupported for constructs outside the subset."""
    if "{%" in text or "{#" in text:
        raise Unsupported("Nunjucks tags ({% ... %}) and comments ({# ... #}) are not supported")
    if "{{" not in text:
        return text
    # whitespace control: `{{-` trims the white space before the tag, `-}}` the white space after it
    text = re.sub(r"\s*\{\{-", "{{", re.sub(r"-\}\}\s*", "}}", text))
    out = _TAG.sub(lambda m: _eval(m.group(1), variables), text)
    if "{{" in out and "{{" in _TAG.sub("", text):
        raise Unsupported("unbalanced `{{` in template")
    return out


def render_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """Render strings (and strings inside lists) as promptfoo renders assertion values."""
    if isinstance(value, str):
        return render(value, variables)
    if isinstance(value, list):
        return [render(v, variables) if isinstance(v, str) else v for v in value]
    return value
