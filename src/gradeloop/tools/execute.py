"""Run tool calls against the user's Python tool implementations, in the sandbox.

A tools module is a Python file whose top-level functions are the tools (`def get_weather(city):`)
and, optionally, `check(calls, results, case)` that judges the outcome (BFCL's multi-turn state
checks: the module's own globals are the state). Every run executes the module afresh in a
sandbox worker (`gradeloop.sandbox`: no network, read-only files, limits) and replays the
history before the new calls, so no state leaks between samples and an agent's later steps
see the state its earlier calls made. A tool that raises is a result with `error` (the model's
call failed: data for the check); a timeout, a crash or a broken module is a `ToolRunError`.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from gradeloop.sandbox import SandboxConfig, SandboxUnavailable, Source, shared_pool
from gradeloop.tools.calls import ToolCall

ENTRY = "_gradeloop_run_tools"
# Runs inside the worker: a fresh namespace per run, so module globals start clean every time.
_DRIVER = '''
def _gradeloop_run_tools(source, filename, history, calls, check, case):
    import json
    ns = {"__name__": "gradeloop_tools", "__file__": filename}
    exec(compile(source, filename, "exec"), ns)

    def plain(value):
        try:
            return json.loads(json.dumps(value))
        except (TypeError, ValueError):
            return repr(value)

    def call(c):
        name = c.get("name") or ""
        fn = ns.get(name)
        if name.startswith("_") or name == check or not callable(fn):
            return {"error": "no tool implementation named " + repr(name)}
        if c.get("arguments") is None:
            return {"error": c.get("error") or "arguments could not be parsed"}
        try:
            return {"result": plain(fn(**c["arguments"]))}
        except Exception as exc:
            return {"error": type(exc).__name__ + ": " + str(exc)[:500]}

    done = [call(c) for c in history]
    results = [call(c) for c in calls]
    out = {"results": results}
    if check:
        judge = ns.get(check)
        if not callable(judge):
            raise NameError("the tools module defines no function " + repr(check))
        out["check"] = plain(judge(list(history) + list(calls), done + results, case))
    return out
'''


class ToolRunError(RuntimeError):
    """The tools could not be run to the end: timeout, crash, a module that fails, no sandbox."""


@dataclass(frozen=True, slots=True)
class ToolRun:
    """The results of the new calls (`{"result": ...}` or `{"error": ...}` each) and the check's verdict."""

    results: tuple[Mapping[str, Any], ...]
    check: Any = None


@dataclass(frozen=True, slots=True)
class ToolModule:
    """A tools module read and syntax-checked once; `run` executes calls in the sandbox."""

    path: str
    source: str
    functions: frozenset[str]
    timeout: float = 10.0
    memory_mb: int = 1024

    @classmethod
    def load(cls, path: str | Path, *, timeout: float = 10.0, memory_mb: int = 1024) -> "ToolModule":
        """Read and parse the module; a missing file or syntax error raises ValueError with the reason."""
        p = Path(path)
        try:
            source = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read tools module {str(p)!r}: {exc.strerror or exc}") from None
        try:
            tree = ast.parse(source, str(p))
        except SyntaxError as exc:
            raise ValueError(f"syntax error in {p} line {exc.lineno}: {exc.msg}") from None
        functions = frozenset(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
        return cls(str(p.resolve()), source, functions, timeout, memory_mb)

    def _sandbox(self) -> SandboxConfig:
        return SandboxConfig(memory_mb=self.memory_mb, paths=(str(Path(self.path).parent),))

    def run(self, calls: Sequence[ToolCall], *, history: Sequence[ToolCall] = (), check: str | None = None,
            case: Mapping[str, Any] | None = None) -> ToolRun:
        """Replay `history`, run `calls`, then `check(all calls, all results, case)` if named."""
        code = Source(_DRIVER, "<gradeloop tools driver>")  # the module itself is executed afresh per run
        args = [self.source, self.path, [c.as_dict() for c in history], [c.as_dict() for c in calls], check,
                dict(case or {})]
        try:
            r = shared_pool(self._sandbox()).call(code, ENTRY, args, timeout=self.timeout)
        except SandboxUnavailable as exc:
            raise ToolRunError(f"tools cannot run: {exc}") from None
        if r.timed_out:
            raise ToolRunError(f"tools timed out after {self.timeout:g}s")
        if not r.ok:
            raise ToolRunError(f"tools module failed: {r.error}")
        out = r.result if isinstance(r.result, dict) else {}
        results = out.get("results")
        if not isinstance(results, list) or len(results) != len(calls):
            raise ToolRunError("tools run returned no results")
        return ToolRun(tuple(results), out.get("check"))


def result_text(result: Mapping[str, Any]) -> str:
    """A tool result as the content of a `tool` message: the value as JSON, or `error: ...`."""
    if "error" in result:
        return f"error: {result['error']}"
    value = result.get("result")
    return value if isinstance(value, str) else json.dumps(value)
