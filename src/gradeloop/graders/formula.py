"""Arithmetic formulas over sub-grade scores, parsed with `ast` and never passed to eval.

Allowed: numbers, the names of sub-grades, + - * / ^ ** (and unary -/+), min, max, abs, floor,
ceil, exp, sqrt, log (natural), and comparisons (which give 1.0 or 0.0): OpenAI's
`calculate_output` operations plus comparisons and `**`. `^` is power, as in OpenAI's formulas
(not Python's XOR), with power's precedence. Everything else (attributes, subscripts, strings,
other calls such as __import__) is rejected when the formula is compiled. All arithmetic is
on floats, so a huge power overflows at once instead of building a giant integer.
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Callable, Collection, Mapping

Scores = Mapping[str, float]
Formula = Callable[[Scores], float]

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
        ast.Eq: operator.eq, ast.NotEq: operator.ne}
_FUNCS: dict[str, Callable[..., float]] = {"min": min, "max": max, "abs": abs}
_UNARY_FUNCS: dict[str, Callable[[float], float]] = {"abs": abs, "floor": math.floor, "ceil": math.ceil,
                                                     "exp": math.exp, "sqrt": math.sqrt, "log": math.log}


class FormulaError(ValueError):
    """The formula uses something outside the allowed arithmetic, or names an unknown grade."""


def compile_formula(text: str, names: Collection[str]) -> Formula:
    """Compile `text` into a function of the sub-grade scores; FormulaError if not allowed."""
    try:
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"cannot parse formula {text!r}: {exc.msg}") from None
    return _node(tree.body, frozenset(names))


def _node(node: ast.AST, names: frozenset[str]) -> Formula:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError(f"only numbers are allowed as constants, not {node.value!r}")
        value = float(node.value)
        return lambda s: value
    if isinstance(node, ast.Name):
        if node.id not in names:
            known = ", ".join(sorted(names)) or "none"
            raise FormulaError(f"unknown name {node.id!r} (sub-grades: {known})")
        key = node.id
        return lambda s: float(s[key])
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        op, left, right = _BIN[type(node.op)], _node(node.left, names), _node(node.right, names)
        return lambda s: float(op(left(s), right(s)))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        uop, operand = _UNARY[type(node.op)], _node(node.operand, names)
        return lambda s: uop(operand(s))
    if isinstance(node, ast.Compare) and all(type(o) in _CMP for o in node.ops):
        first = _node(node.left, names)
        rest = [(_CMP[type(o)], _node(c, names)) for o, c in zip(node.ops, node.comparators)]

        def compare(s: Scores) -> float:
            left = first(s)
            for cmp, fn in rest:
                right = fn(s)
                if not cmp(left, right):
                    return 0.0
                left = right
            return 1.0

        return compare
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in (_FUNCS.keys() | _UNARY_FUNCS.keys()):
            shown = ast.unparse(node.func)
            raise FormulaError(f"function {shown!r} is not allowed "
                               "(only min, max, abs, floor, ceil, exp, sqrt, log)")
        if node.keywords or not node.args or any(isinstance(a, ast.Starred) for a in node.args):
            raise FormulaError(f"{node.func.id}() takes plain positional arguments")
        args = [_node(a, names) for a in node.args]
        if node.func.id in _UNARY_FUNCS:
            if len(args) != 1:
                raise FormulaError(f"{node.func.id}() takes one argument")
            ufn, arg = _UNARY_FUNCS[node.func.id], args[0]
            return lambda s: float(ufn(arg(s)))
        fn = _FUNCS[node.func.id]
        if len(args) == 1:
            only = args[0]
            return lambda s: float(only(s))
        return lambda s: float(fn(*(a(s) for a in args)))
    raise FormulaError(f"{type(node).__name__} is not allowed in a formula "
                       "(use numbers, sub-grade names, + - * / ^, min, max, abs, floor, ceil, exp, sqrt, log, comparisons)")
