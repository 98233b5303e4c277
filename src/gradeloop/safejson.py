"""JSON from users' files, where every way it can be wrong is an InputError naming file and line.

`json.loads` lets through, or fails on, things that later crash far from the file: integers past
Python's 4,300-digit conversion limit (ValueError, not JSONDecodeError), nesting deep enough to
hit the recursion limit (RecursionError, here or in the first `json.dumps` after), and lone
surrogate escapes like "\\ud800" (a str that cannot be encoded to UTF-8 or stored). These checks
cost nothing on ordinary text: the depth walk runs only when the text has many brackets, the
surrogate walk only when it has a `\\uD8..`-`\\uDF..` escape.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from gradeloop.errors import InputError

MAX_DEPTH = 100  # far deeper than any run, replay or suite document
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _too_deep(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _lone_surrogate(value: Any) -> str | None:
    """The path of the first string (key or value) holding a lone surrogate, if any."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return path or "(value)"
        elif isinstance(item, dict):
            for k, v in item.items():
                sub = f"{path}.{k}" if path else str(k)
                try:
                    k.encode("utf-8")
                except UnicodeEncodeError:
                    return sub.encode("utf-8", "backslashreplace").decode()
                stack.append((v, sub))
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
    return None


def check_value(value: Any, text: str, file: str, line: int | None = None, max_depth: int = MAX_DEPTH) -> Any:
    """Refuse a decoded value that is nested too deep or holds a lone surrogate; returns it."""
    if text.count("[") + text.count("{") > max_depth and _too_deep(value, max_depth):
        raise InputError(f"nested deeper than {max_depth} levels", file=file, line=line)
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        where = _lone_surrogate(value)
        if where is not None:
            raise InputError("a lone surrogate escape (such as \\ud800) is not valid Unicode text",
                             file=file, line=line, field=where)
    return value


def loads(text: str, file: str, line: int | None = None, *, decode: Callable[[str], Any] = json.loads,
          max_depth: int = MAX_DEPTH) -> Any:
    """Decode `text` (all of `file`, or its line `line`); every failure is an InputError."""
    try:
        value = decode(text)
    except json.JSONDecodeError as exc:
        col = f" at column {exc.colno}" if line is not None else ""
        raise InputError(f"malformed JSON: {exc.msg}{col}", file=file,
                         line=line if line is not None else exc.lineno) from None
    except RecursionError:
        raise InputError(f"malformed JSON: nested deeper than {max_depth} levels", file=file, line=line) from None
    except ValueError as exc:  # e.g. "Exceeds the limit (4300 digits) for integer string conversion"
        if type(exc) is not ValueError:  # a caller's own signal (a duplicate key hook): theirs to report
            raise
        msg = "an integer with more than 4,300 digits" if "digits" in str(exc) else str(exc)[:200]
        raise InputError(f"malformed JSON: {msg}", file=file, line=line) from None
    return check_value(value, text, file, line, max_depth)
