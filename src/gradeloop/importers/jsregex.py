"""JavaScript regular expressions (as promptfoo's `new RegExp(value)` reads them) rewritten for Python's `re`.

Differences handled: named groups `(?<n>...)` and `\\k<n>`, `$` (end of input only in JavaScript),
`[^]` and `[]`, `.` (no line terminator), and the ASCII meaning of `\\d`, `\\w`, `\\b` (kept by the `ascii` flag) next to
JavaScript's Unicode `\\s` (spelled out). What cannot be rewritten raises `Unsupported`.
"""
from __future__ import annotations

import re

# JavaScript's \s: Unicode white space and line terminators (Python's ASCII \s plus these).
_JS_SPACE = r"\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


class Unsupported(ValueError):
    """A JavaScript regex construct with no faithful Python spelling."""


def js_regex_to_python(pattern: str) -> str:
    """The Python pattern (to compile with re.ASCII) that matches what `new RegExp(pattern)` matches."""
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise Unsupported("pattern ends with a lone backslash")
            nxt = pattern[i + 1]
            if nxt == "k" and not in_class and i + 2 < n and pattern[i + 2] == "<":
                end = pattern.find(">", i + 3)
                if end < 0:
                    raise Unsupported("unterminated \\k<name>")
                out.append(f"(?P={pattern[i + 3:end]})")
                i = end + 1
                continue
            if nxt == "s":
                out.append(_JS_SPACE if in_class else f"[{_JS_SPACE}]")
            elif nxt == "S":
                if in_class:
                    raise Unsupported("\\S inside a character class")
                out.append(f"[^{_JS_SPACE}]")
            elif nxt == "u" and i + 2 < n and pattern[i + 2] == "{":
                raise Unsupported("\\u{...} escapes need the u flag, which promptfoo does not set")
            elif nxt == "c":
                raise Unsupported("\\c control escapes")
            elif nxt in "/":
                out.append("/")
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            elif ch == "[":
                out.append("\\[")
                i += 1
                continue
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            if pattern.startswith("[^]", i):
                out.append(r"[\s\S]")
                i += 3
                continue
            if pattern.startswith("[]", i):
                out.append("(?!)")
                i += 2
                continue
            in_class = True
            out.append(ch)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # a leading ] is literal in Python, closes the class in JavaScript
                raise Unsupported("a character class starting with ]")
            continue
        if ch == "(" and pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
            continue
        if ch == "$":
            out.append(r"\Z")
            i += 1
            continue
        if ch == ".":  # JavaScript's . also stops at \r, U+2028 and U+2029
            out.append(r"[^\n\r\u2028\u2029]")
            i += 1
            continue
        out.append(ch)
        i += 1
    if in_class:
        raise Unsupported("unterminated character class")
    result = "".join(out)
    try:
        re.compile(result, re.ASCII)
    except re.error as exc:
        raise Unsupported(f"Python cannot compile it: {exc}") from None
    return result
