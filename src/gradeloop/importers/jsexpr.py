"""One-line promptfoo `javascript` assertions translated to a Python grader, when they use a safe subset.

Supported: `output` and `context.vars.x`; string/array members (`length`, `includes`, `startsWith`,
`endsWith`, `toLowerCase`, `toUpperCase`, `trim`, `indexOf`, `split`, `join`, `match`),
`JSON.parse`, `Math.*`, `Number`, `parseInt`, `parseFloat`, regex literals with `.test`,
`===` `!==` `<` `<=` `>` `>=` `&&` `||` `!` and arithmetic. Loose equality (`==`), `?:`, arrow
functions, statements and template literals raise `Unsupported`: they are reported, never guessed.
"""
from __future__ import annotations

import ast
import re

from gradeloop.importers.jsregex import Unsupported as RegexUnsupported
from gradeloop.importers.jsregex import js_regex_to_python
from gradeloop.importers.promptfoo_code import SCRIPT_RESULT, _HEADER, _RESULT, _literal


class Unsupported(ValueError):
    """JavaScript outside the translatable subset."""


_NAMES = {"output": "output", "context": "context", "JSON": "JSON", "Math": "Math", "Number": "Number",
          "parseInt": "parseInt", "parseFloat": "parseFloat", "String": "String", "Boolean": "Boolean",
          "true": "True", "false": "False", "null": "None", "undefined": "None"}
_OPS = {"===": "==", "!==": "!=", "&&": " and ", "||": " or ", "<=": "<=", ">=": ">=", "<": "<", ">": ">",
        "+": "+", "-": "-", "*": "*", "/": "/", "%": "%", "(": "(", ")": ")", "[": "[", "]": "]", ".": ".",
        ",": ","}
_TOKEN = re.compile(r"""\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<str>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|"""
                    r"""(?P<name>[A-Za-z_$][\w$]*)|(?P<op>===|!==|==|!=|&&|\|\||<=|>=|=>|[<>+\-*/%()\[\].,!?:;=`{}]))""")
_COMPARE = ("==", "!=", "<", ">", "<=", ">=")

RUNTIME = r'''
import json as _json
import math as _math
import re as _re


class _Str(str):
    @property
    def length(self):  # JavaScript counts UTF-16 code units: an emoji is 2
        return len(self.encode("utf-16-le")) // 2

    def includes(self, s, start=0):
        return _js(s) in self[start:]

    def startsWith(self, s):
        return self.startswith(_js(s))

    def endsWith(self, s):
        return self.endswith(_js(s))

    def toLowerCase(self):
        return _Str(self.lower())

    def toUpperCase(self):
        return _Str(self.upper())

    def trim(self):
        return _Str(self.strip())

    def indexOf(self, s):
        return self.find(_js(s))

    def split(self, sep=None):
        if sep is None:
            return _Arr([self])
        if isinstance(sep, _RegExp):
            return _Arr(_Str(x) for x in sep.rx.split(self))
        if sep == "":
            return _Arr(_Str(c) for c in self)
        return _Arr(_Str(x) for x in str.split(self, _js(sep)))

    def match(self, rx):
        m = rx.rx.search(self)
        return None if m is None else _Arr([_Str(m.group(0))] + [_wrap(g) for g in m.groups()])


class _Arr(list):
    @property
    def length(self):
        return len(self)

    def includes(self, x):
        return x in self

    def join(self, sep=","):
        return _Str(sep.join(_js(x) for x in self))


class _Obj(dict):
    def __getattr__(self, name):
        return _wrap(self.get(name))

    @property
    def length(self):
        return self.get("length")


def _wrap(v):
    if isinstance(v, str) and not isinstance(v, _Str):
        return _Str(v)
    if isinstance(v, list) and not isinstance(v, _Arr):
        return _Arr(_wrap(x) for x in v)
    if isinstance(v, dict) and not isinstance(v, _Obj):
        return _Obj({k: _wrap(x) for k, x in v.items()})
    return v


def _js(v):
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


class _RegExp:
    def __init__(self, pattern, flags):
        f = _re.ASCII
        for c in flags:
            if c == "i":
                f |= _re.IGNORECASE
            elif c == "m":
                f |= _re.MULTILINE
            elif c == "s":
                f |= _re.DOTALL
            elif c != "g":
                raise ValueError(f"regex flag {c!r} not supported")
        self.rx = _re.compile(pattern, f)

    def test(self, s):
        return self.rx.search(_js(s)) is not None


class JSON:
    @staticmethod
    def parse(s):
        return _wrap(_json.loads(_js(s)))

    @staticmethod
    def stringify(v):
        return _Str(_json.dumps(v, separators=(",", ":")))


class Math:
    max = staticmethod(max)
    min = staticmethod(min)
    abs = staticmethod(abs)
    floor = staticmethod(_math.floor)
    ceil = staticmethod(_math.ceil)

    @staticmethod
    def round(x):
        return _math.floor(x + 0.5)


def Number(x):
    try:
        return float(_js(x).strip() or 0)
    except ValueError:
        return float("nan")


def parseFloat(x):
    m = _re.match(r"\s*[+-]?(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)", _js(x))
    return float(m.group(0)) if m else float("nan")


def parseInt(x, base=10):
    m = _re.match(r"\s*[+-]?\d+", _js(x))
    return int(m.group(0)) if m else float("nan")


def String(x):
    return _Str(_js(x))


def Boolean(x):
    return bool(x)
'''


def translate(js: str) -> str:
    """The Python expression for a one-line JavaScript expression; Unsupported outside the subset."""
    text = js.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    if "\n" in text:
        raise Unsupported("multi-line function bodies are not translated")
    out: list[str] = []
    pos, expect_operand, has_not = 0, True, False
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        if expect_operand and text[pos:].lstrip().startswith("/"):
            start = text.index("/", pos)
            m = re.compile(r"/((?:[^/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+)/([a-z]*)").match(text, start)
            if m is None:
                raise Unsupported("malformed regex literal")
            try:
                pattern = js_regex_to_python(m.group(1))
            except RegexUnsupported as exc:
                raise Unsupported(f"regex literal: {exc}") from None
            out.append(f"_RegExp({pattern!r}, {m.group(2)!r})")
            pos, expect_operand = m.end(), False
            continue
        m = _TOKEN.match(text, pos)
        if m is None:
            raise Unsupported(f"cannot read {text[pos:pos + 20]!r}")
        pos = m.end()
        if m.group("num"):
            out.append(m.group("num"))
            expect_operand = False
        elif m.group("str"):
            try:
                value = ast.literal_eval(m.group("str"))
            except (ValueError, SyntaxError):
                raise Unsupported(f"string literal {m.group('str')[:30]}") from None
            out.append(f"_Str({value!r})")
            expect_operand = False
        elif m.group("name"):
            name = m.group("name")
            if out and out[-1] == ".":
                if name.startswith("_"):
                    raise Unsupported(f"member {name!r}")
                out.append(name)
            elif name in _NAMES:
                out.append(_NAMES[name])
            else:
                raise Unsupported(f"unknown name {name!r}")
            expect_operand = False
        else:
            op = m.group("op")
            if op in ("==", "!="):
                raise Unsupported(f"loose equality `{op}` (write === or !==)")
            if op == "!":
                out.append(" not ")
                has_not = True
                expect_operand = True
                continue
            if op not in _OPS:
                raise Unsupported(f"operator `{op}`")
            out.append(_OPS[op])
            expect_operand = op not in (")", "]")
    expr = "".join(out)
    if has_not and any(c in ("==", "!=", "<", ">", "<=", ">=") for c in out):
        raise Unsupported("`!` mixed with comparisons (precedence differs between JavaScript and Python)")
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise Unsupported(f"not an expression Python can read ({exc.msg})") from None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Lambda, ast.NamedExpr, ast.comprehension, ast.Starred, ast.Await)):
            raise Unsupported(f"construct {type(node).__name__}")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise Unsupported(f"member {node.attr!r}")
    return expr


def javascript_source(js: str, threshold: float | None, inverse: bool) -> str:
    """A python grader evaluating the translated expression with promptfoo's result rules."""
    expr = translate(js.rstrip())
    call = (f"\n\ndef _call(output, context):\n    output = _wrap(output)\n    context = _wrap(context)\n"
            f"    return {expr}\n")
    return (_HEADER.format(kind="javascript") + f"# JavaScript: {' '.join(js.split())[:200]}\n"
            + _literal({"threshold": threshold, "inverse": inverse, "config": None}) + _RESULT + RUNTIME + call
            + SCRIPT_RESULT)
