"""Tool-call graders: tool_call (BFCL AST rules), tool_call_valid, no_tool_call, tool_call_f1,
forbidden_tools and tool_exec (user tool implementations run in a child process, checked by `check`).

They read the calls of a generation from `output.tool_calls` (targets hand graders a `Reply`, a
str that carries its calls). Handed plain text instead (a trainer's completion, an old run), they
parse the calls the text writes (`<tool_call>` blocks or plain JSON), so the same grader is the
GRPO reward and the evaluation check. A case's declared `tools` give the parameter schemas.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gradeloop.graders.base import Grade
from gradeloop.graders.bfcl import CallCheck, Rules, check_call
from gradeloop.graders.memo import identity_memo
from gradeloop.graders.registry import BuildContext, Params, register
from gradeloop.tools.calls import ToolCall
from gradeloop.tools.schema import tool_index
from gradeloop.tools.text import text_calls

if TYPE_CHECKING:
    from gradeloop.suite.model import Case


def calls_of(output: str) -> tuple[ToolCall, ...]:
    """The calls of a generation: a Reply's own, else those its text writes."""
    if type(output) is str:
        return text_calls(output)
    calls = getattr(output, "tool_calls", None)
    return calls if calls is not None else text_calls(str(output))


def _names(calls: Sequence[ToolCall]) -> str:
    return ", ".join(c.name or "(unnamed)" for c in calls) or "none"


# tool_call ---------------------------------------------------------------------------------------
class ExpectedCall(BaseModel):
    """One expected call: the function name and, per parameter, the list of acceptable values."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(description="Exact function name.")
    arguments: dict[str, Any] = Field(default_factory=dict, description=(
        "param -> list of acceptable values; \"\" in the list makes the parameter optional; a single "
        "value is read as a list of one."))


class ToolCallParams(Params):
    expected: list[ExpectedCall] = Field(min_length=1, description=(
        "The calls the model should make: [{name, arguments: {param: [acceptable values...]}}]; several "
        "are parallel calls, matched one to one in any order."))
    ordered: bool = Field(False, description="Stricter: parallel calls must come in the expected order.")
    allow_extra_calls: bool = Field(False, description="Looser: calls beyond the expected ones do not fail.")
    normalize_strings: bool = Field(True, description="BFCL string match (case, spaces, ,./-_*^ ignored); "
                                                      "false compares strings exactly.")
    int_as_float: bool = Field(True, description="Accept an int where the schema says number.")
    check_types: bool = Field(True, description="Refuse values of the wrong JSON type.")
    partial_credit: bool = Field(True, description="Score near misses (name, then share of parameters); "
                                                   "false scores 0 or 1.")


def _match(calls: Sequence[ToolCall], expected: Sequence[ExpectedCall], index: Mapping[str, Mapping[str, Any]],
           rules: Rules, ordered: bool) -> list[tuple[int, int, CallCheck]]:
    """(expected index, call index, check) pairs: by position when ordered, else the best one-to-one matching."""
    if len(expected) == 1 and len(calls) == 1:  # the common case: no matching to do
        return [(0, 0, check_call(calls[0], expected[0].name, expected[0].arguments, index.get(expected[0].name),
                                  rules))]
    checks = [[check_call(c, e.name, e.arguments, index.get(e.name), rules) for c in calls] for e in expected]
    if ordered:
        return [(i, i, checks[i][i]) for i in range(min(len(expected), len(calls)))]
    n, m = len(expected), len(calls)
    if n == 0 or m == 0:
        return []
    if n <= 6 and m <= 6:  # exact: every assignment of the smaller side into the larger
        best: tuple[float, int, list[tuple[int, int]]] = (-1.0, -1, [])
        if n <= m:
            options = ([(i, j) for i, j in enumerate(p)] for p in itertools.permutations(range(m), n))
        else:
            options = ([(i, j) for j, i in enumerate(p)] for p in itertools.permutations(range(n), m))
        for pairs in options:
            valid = sum(checks[i][j].valid for i, j in pairs)
            total = sum(checks[i][j].score for i, j in pairs)
            if (valid, total) > (best[1], best[0]):
                best = (total, valid, pairs)
        return [(i, j, checks[i][j]) for i, j in sorted(best[2])]
    from scipy.optimize import linear_sum_assignment  # many parallel calls: Hungarian on valid-first scores

    import numpy as np

    cost = -np.array([[2.0 * c.valid + c.score for c in row] for row in checks])
    rows, cols = linear_sum_assignment(cost)
    return [(int(i), int(j), checks[i][j]) for i, j in zip(rows, cols)]


@dataclass(frozen=True, slots=True)
class ToolCallGrader:
    """The calls match the expected ones under BFCL's AST rules (see graders/bfcl.py)."""

    name: str
    weight: float
    expected: tuple[ExpectedCall, ...]
    rules: Rules
    ordered: bool
    allow_extra: bool
    partial: bool

    def grade(self, case: "Case", output: str) -> Grade:
        calls = calls_of(output)
        index = _index(case)
        pairs = _match(calls, self.expected, index, self.rules, self.ordered)
        n, m = len(self.expected), len(calls)
        problems = [p for _, _, c in pairs for p in c.problems[:2]]
        count_ok = m == n or (self.allow_extra and m > n)
        passed = count_ok and len(pairs) == n and all(c.valid for _, _, c in pairs)
        if not count_ok:
            problems.insert(0, f"{m} call(s) ({_names(calls)}), expected {n} ({_names([ToolCall(e.name, {}) for e in self.expected])})")
        denominator = n if self.allow_extra else max(n, m)
        score = sum(c.score for _, _, c in pairs) / denominator if denominator else 1.0
        if passed:
            return Grade(1.0, True, f"calls match: {_names(calls)}", self.name)
        return Grade(score if self.partial else 0.0, False, "; ".join(problems[:4]) or "calls do not match",
                     self.name)

    def score_only(self, case: "Case", output: str) -> float:
        """The score without the reasons (rewards score every completion of every training step)."""
        calls = calls_of(output)
        n, m = len(self.expected), len(calls)
        if n == 1 and m == 1:  # the common case, without the matching
            e = self.expected[0]
            return check_call(calls[0], e.name, e.arguments, _index(case).get(e.name), self.rules).score \
                if self.partial else float(check_call(calls[0], e.name, e.arguments, _index(case).get(e.name),
                                                      self.rules).valid)
        count_ok = m == n or (self.allow_extra and m > n)
        if not self.partial and not count_ok:
            return 0.0
        pairs = _match(calls, self.expected, _index(case), self.rules, self.ordered)
        if count_ok and len(pairs) == n and all(c.valid for _, _, c in pairs):
            return 1.0
        if not self.partial:
            return 0.0
        denominator = n if self.allow_extra else max(n, m)
        return sum(c.score for _, _, c in pairs) / denominator if denominator else 1.0


_TOOL_INDEX: Callable[[Any], dict[str, Mapping[str, Any]]] = identity_memo(tool_index)


def _index(case: "Case") -> dict[str, Mapping[str, Any]]:
    """Declared tools by name, built once per tools tuple (a suite's cases share their defaults' tuple)."""
    return _TOOL_INDEX(case.tools) if case.tools else {}


@register("tool_call", ToolCallParams, "Tool calls match the expected calls under the Berkeley Function "
                                       "Calling Leaderboard's AST rules (partial credit as the score).")
def _build_tool_call(p: ToolCallParams, ctx: BuildContext) -> ToolCallGrader:
    return ToolCallGrader(p.name or ctx.default_name, p.weight, tuple(p.expected),
                          Rules(p.normalize_strings, p.int_as_float, p.check_types), p.ordered,
                          p.allow_extra_calls, p.partial_credit)


# tool_call_valid ---------------------------------------------------------------------------------
class ToolCallValidParams(Params):
    require_call: bool = Field(True, description="Fail when the model made no call at all.")


@dataclass(frozen=True, slots=True)
class ToolCallValidGrader:
    """Every call names a declared tool and its arguments validate against that tool's JSON schema."""

    name: str
    weight: float
    require_call: bool

    def grade(self, case: "Case", output: str) -> Grade:
        if not case.tools:
            return Grade(0.0, False, "", self.name, error="the case declares no tools to validate calls against")
        calls = calls_of(output)
        if not calls:
            ok = not self.require_call
            return Grade(float(ok), ok, "no tool call" + ("" if ok else " (require_call)"), self.name)
        index = _index(case)
        problems = []
        for call in calls:
            problem = _invalid(call, index)
            if problem:
                problems.append(problem)
        if problems:
            return Grade((len(calls) - len(problems)) / len(calls), False, "; ".join(problems[:3]), self.name)
        return Grade(1.0, True, f"{len(calls)} valid call(s): {_names(calls)}", self.name)


def _invalid(call: ToolCall, index: Mapping[str, Mapping[str, Any]]) -> str | None:
    fn = index.get(call.name)
    if fn is None:
        return f"{call.name or '(unnamed)'!r} is not a declared tool (declared: {', '.join(index)})"
    if call.arguments is None:
        return f"{call.name}: {call.error}"
    validator = _validator(fn)
    error = next(iter(sorted(validator.iter_errors(dict(call.arguments)), key=lambda e: list(e.path))), None)
    if error is not None:
        where = ".".join(str(p) for p in error.path)
        return f"{call.name}{'.' + where if where else ''}: {error.message[:160]}"
    return None


def _compile(fn: Mapping[str, Any]) -> Any:
    from jsonschema.validators import validator_for

    schema = fn.get("parameters") or {"type": "object"}
    return validator_for(schema)(schema)


# One compiled validator per declared tool (the same dicts are shared by every case of a suite).
_validator: Callable[[Mapping[str, Any]], Any] = identity_memo(_compile)


@register("tool_call_valid", ToolCallValidParams, "Every tool call names a declared tool and its arguments "
                                                  "validate against that tool's JSON schema.")
def _build_valid(p: ToolCallValidParams, ctx: BuildContext) -> ToolCallValidGrader:
    return ToolCallValidGrader(p.name or ctx.default_name, p.weight, p.require_call)


# no_tool_call ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NoToolCallGrader:
    """Irrelevance: the model must answer without calling any tool."""

    name: str
    weight: float

    def grade(self, case: "Case", output: str) -> Grade:
        calls = calls_of(output)
        if calls:
            return Grade(0.0, False, f"called {_names(calls)}", self.name)
        return Grade(1.0, True, "no tool call", self.name)

    def score_only(self, case: "Case", output: str) -> float:
        if type(output) is str and "<tool_call>" in output:  # every block is a call, even a broken one
            return 0.0
        return 0.0 if calls_of(output) else 1.0


@register("no_tool_call", Params, "Irrelevance: passes when the model makes no tool call.")
def _build_none(p: Params, ctx: BuildContext) -> NoToolCallGrader:
    return NoToolCallGrader(p.name or ctx.default_name, p.weight)


# tool_call_f1 ------------------------------------------------------------------------------------
class ToolCallF1Params(Params):
    expected: list[str] = Field(description="Names of the tools that should be called (a set; arguments ignored).")
    threshold: float = Field(1.0, ge=0, le=1, description="Pass when F1 is at least this.")

    @field_validator("expected")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        if any(not isinstance(n, str) or not n for n in v):
            raise ValueError("expected must list non-empty tool names")
        return v


@dataclass(frozen=True, slots=True)
class ToolCallF1Grader:
    """F1 of the set of called tool names against the expected set (promptfoo's tool-call-f1)."""

    name: str
    weight: float
    expected: frozenset[str]
    threshold: float

    def score_only(self, case: "Case", output: str) -> float:
        called = {c.name for c in calls_of(output)}
        if not called and not self.expected:
            return 1.0
        hits = len(called & self.expected)
        if hits == 0:
            return 0.0
        precision, recall = hits / len(called), hits / len(self.expected)
        return 2 * precision * recall / (precision + recall)

    def grade(self, case: "Case", output: str) -> Grade:
        f1 = self.score_only(case, output)
        called = sorted({c.name for c in calls_of(output)})
        return Grade(f1, f1 >= self.threshold, f"F1 {f1:.2f}: called {', '.join(called) or 'none'}; expected "
                                               f"{', '.join(sorted(self.expected)) or 'none'}", self.name)


@register("tool_call_f1", ToolCallF1Params, "F1 of the called tool names against the expected names "
                                           "(arguments ignored).")
def _build_f1(p: ToolCallF1Params, ctx: BuildContext) -> ToolCallF1Grader:
    return ToolCallF1Grader(p.name or ctx.default_name, p.weight, frozenset(p.expected), p.threshold)


# forbidden_tools ---------------------------------------------------------------------------------
class ForbiddenParams(Params):
    names: list[str] = Field(min_length=1, description="Tools that must never be called (e.g. after an injection).")


@dataclass(frozen=True, slots=True)
class ForbiddenToolsGrader:
    """Misuse: fails when any call names a forbidden tool."""

    name: str
    weight: float
    names: frozenset[str]

    def score_only(self, case: "Case", output: str) -> float:
        # Text that never spells a forbidden name (and has no JSON escapes that could) calls none.
        if type(output) is str and "\\u" not in output and not any(n in output for n in self.names):
            return 1.0
        return 0.0 if any(c.name in self.names for c in calls_of(output)) else 1.0

    def grade(self, case: "Case", output: str) -> Grade:
        bad = sorted({c.name for c in calls_of(output) if c.name in self.names})
        if bad:
            return Grade(0.0, False, f"called forbidden tool(s): {', '.join(bad)}", self.name)
        return Grade(1.0, True, "no forbidden tool called", self.name)


@register("forbidden_tools", ForbiddenParams, "Misuse: fails when the model calls any of the named tools.")
def _build_forbidden(p: ForbiddenParams, ctx: BuildContext) -> ForbiddenToolsGrader:
    return ForbiddenToolsGrader(p.name or ctx.default_name, p.weight, frozenset(p.names))


# tool_exec ---------------------------------------------------------------------------------------
class ToolExecParams(Params):
    module: str = Field(description="Python file with the tool implementations (top-level functions named "
                                    "like the tools) and the `check`; relative to the suite's folder.")
    check: str | None = Field("check", description="Function check(calls, results, case) -> bool | float | "
                                                   "{score, passed, reason}; null: pass when every call ran "
                                                   "without error.")
    timeout: float = Field(10.0, gt=0, le=600, description="Seconds for running all the calls and the check.")
    memory_mb: int = Field(1024, ge=64, description="Address-space limit of the sandbox worker.")
    pass_threshold: float = Field(1.0, ge=0, le=1, description="A float check result passes at or above this.")


@dataclass(frozen=True, slots=True)
class ToolExecGrader:
    """Executes the calls in order against the user's implementations in the sandbox, then runs `check`."""

    name: str
    weight: float
    module: Any  # ToolModule
    check: str | None
    pass_threshold: float
    blocking = True  # runs a sandboxed process: the engine grades such chunks off its event loop

    def grade(self, case: "Case", output: str) -> Grade:
        from gradeloop.graders.python_grader import case_json, grade_from_result
        from gradeloop.tools.execute import ToolRunError

        calls = calls_of(output)
        try:
            run = self.module.run(calls, check=self.check, case=case_json(case))
        except ToolRunError as exc:
            return Grade(0.0, False, "", self.name, error=str(exc))
        failed = [f"{c.name}: {r['error']}" for c, r in zip(calls, run.results) if "error" in r]
        if self.check is None:
            ok = not failed
            return Grade(float(ok), ok, "; ".join(failed[:3]) or f"{len(calls)} call(s) ran", self.name)
        g = grade_from_result(run.check, self.name, self.pass_threshold)
        if failed and g.error is None:
            g = Grade(g.score, g.passed, f"{g.reason}; failed calls: {'; '.join(failed[:2])}", g.grader)
        return g


@register("tool_exec", ToolExecParams, "Runs the tool calls against your Python tool implementations in the "
                                       "sandbox and grades the resulting state with your check().",
          files=("module",))
def _build_exec(p: ToolExecParams, ctx: BuildContext) -> ToolExecGrader:
    from pathlib import Path

    from gradeloop.tools.execute import ToolModule

    base = ctx.base_dir or (str(Path(ctx.file).parent) if ctx.file else None)
    path = Path(p.module) if Path(p.module).is_absolute() or base is None else Path(base) / p.module
    try:
        module = ToolModule.load(path, timeout=p.timeout, memory_mb=p.memory_mb)
    except ValueError as exc:
        ctx.error(str(exc), "module")
    if p.check is not None and p.check not in module.functions:
        ctx.error(f"{path} defines no top-level function {p.check!r} (set check: null to only run the calls)",
                  "check")
    return ToolExecGrader(p.name or ctx.default_name, p.weight, module, p.check, p.pass_threshold)


# agent_steps -------------------------------------------------------------------------------------
class AgentStepsParams(Params):
    max: int = Field(ge=1, description="Most model turns the agent may take.")
    min: int = Field(1, ge=0, description="Fewest model turns expected.")


@dataclass(frozen=True, slots=True)
class AgentStepsGrader:
    """The agent loop finished within [min, max] model turns (a text target counts as one turn)."""

    name: str
    weight: float
    min: int
    max: int

    def grade(self, case: "Case", output: str) -> Grade:
        steps = getattr(output, "steps", 0) or 1
        ok = self.min <= steps <= self.max
        return Grade(float(ok), ok, f"{steps} step(s); allowed {self.min}..{self.max}", self.name)


@register("agent_steps", AgentStepsParams, "The agent loop took between `min` and `max` model turns.")
def _build_steps(p: AgentStepsParams, ctx: BuildContext) -> AgentStepsGrader:
    if p.min > p.max:
        ctx.error(f"min ({p.min}) is above max ({p.max})", "min")
    return AgentStepsGrader(p.name or ctx.default_name, p.weight, p.min, p.max)
