"""The `python` grader: a user `grade` function run in a child process with a timeout.

Cost: one isolated interpreter per grade call (`python -I`), about 30-70 ms of start-up
on this 2-core machine, so a 10,000-sample run spends minutes here; prefer the built-in
graders where they suffice. The code is read and syntax-checked once at build time; the
case and output travel as JSON on stdin and are never executed. The child gets a minimal
environment (no secrets) unless `env` names variables to pass on. Also runs OpenAI
`python` grader JSON (`source` with `def grade(sample, item) -> float`).
"""
from __future__ import annotations

import ast
import json
import math
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from pydantic import Field, model_validator

from gradeloop.graders.base import Grade
from gradeloop.graders.registry import BuildContext, Params, register

if TYPE_CHECKING:
    from gradeloop.suite.model import Case

_RUNNER = str(Path(__file__).with_name("_python_runner.py"))
_BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT")


def case_json(case: "Case") -> dict[str, Any]:
    """The case as the user's `grade(case, output)` sees it."""
    return {"id": case.id, "input": case.input if isinstance(case.input, str) else [dict(m) for m in case.input],
            "reference": case.reference, "tags": dict(case.tags), "expect": case.expect,
            "parent": case.parent, "metadata": dict(case.metadata)}


def item_json(case: "Case") -> dict[str, Any]:
    """The case as an OpenAI grader's `item`: metadata fields flat, the case's own fields on top."""
    core = case_json(case)
    return {**core["metadata"], **{k: v for k, v in core.items() if k != "metadata"}}


def sample_json(output: str) -> dict[str, Any]:
    """The output as an OpenAI grader's `sample`."""
    try:
        parsed = json.loads(output)
    except ValueError:
        parsed = None
    return {"output_text": output, "output_json": parsed}


def grade_from_result(result: Any, name: str, pass_threshold: float) -> Grade:
    """Turn what `grade` returned (bool, float in [0, 1], or {score, passed, reason}) into a Grade."""
    if isinstance(result, bool):
        return Grade(float(result), result, "grade() returned " + str(result), name)
    if isinstance(result, (int, float)):
        score = float(result)
        if not math.isfinite(score) or not 0.0 <= score <= 1.0:
            return Grade(0.0, False, "", name, error=f"grade() returned {result!r}, not a score in [0, 1]")
        return Grade(score, score >= pass_threshold, f"grade() returned {score:g}", name)
    if isinstance(result, Mapping):
        passed, score, reason = result.get("passed"), result.get("score"), result.get("reason", "")
        if passed is not None and not isinstance(passed, bool):
            return Grade(0.0, False, "", name, error=f"`passed` must be true or false, got {passed!r}")
        if score is None and passed is None:
            return Grade(0.0, False, "", name, error="grade() returned a dict without `score` or `passed`")
        if score is not None:
            g = grade_from_result(score, name, pass_threshold)
            if g.error:
                return g
            score = g.score
        else:
            score = float(passed)
        if passed is None:
            passed = score >= pass_threshold
        return Grade(score, passed, str(reason)[:500], name)
    return Grade(0.0, False, "", name, error=f"grade() returned {type(result).__name__}; "
                                              "expected bool, a float in [0, 1] or {score, passed, reason}")


def run_child(request: Mapping[str, Any], timeout: float, cwd: str | None, env: Mapping[str, str]) -> dict[str, Any]:
    """Run the runner once; raises TimeoutError or RuntimeError; kills the child's whole group on timeout."""
    proc = subprocess.Popen([sys.executable, "-I", "-X", "utf8", _RUNNER], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=dict(env),
                            start_new_session=True)
    try:
        out, err = proc.communicate(json.dumps(request, default=str).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
        proc.communicate()
        raise TimeoutError(f"python grader timed out after {timeout:g}s") from None
    try:
        return json.loads(out.decode("utf-8", "replace"))
    except ValueError:
        tail = err.decode("utf-8", "replace").strip()[-300:]
        raise RuntimeError(f"python grader exited with code {proc.returncode} without a result: {tail}") from None


class PythonParams(Params):
    """Where the user's `grade` function is and how long it may take."""

    file: str | None = Field(None, description="Python file defining grade(case, output), relative to the suite file.")
    source: str | None = Field(None, description="Inline Python source defining grade(case, output) "
                               "(or OpenAI's grade(sample, item)).")
    timeout: float = Field(10.0, gt=0, description="Seconds before the child is killed and the grade is an error.")
    pass_threshold: float = Field(1.0, ge=0, le=1, description="A float score passes at or above this.")
    env: list[str] = Field(default_factory=list, description="Environment variables to pass to the child "
                           "(by default only PATH, HOME, locale and temp dirs).")
    image_tag: str | None = Field(None, description="Accepted for OpenAI grader JSON; ignored (runs locally).")

    @model_validator(mode="after")
    def _one_source(self) -> "PythonParams":
        if (self.file is None) == (self.source is None):
            raise ValueError("give exactly one of `file` or `source`")
        return self


@dataclass(frozen=True, slots=True)
class PythonGrader:
    """Calls the user's `grade` in a fresh isolated interpreter per call."""

    name: str
    weight: float
    source: str
    filename: str
    timeout: float
    pass_threshold: float
    cwd: str | None
    env: Mapping[str, str]

    def grade(self, case: "Case", output: str) -> Grade:
        request = {"source": self.source, "filename": self.filename, "case": case_json(case), "output": output,
                   "sample": sample_json(output), "item": item_json(case)}
        try:
            reply = run_child(request, self.timeout, self.cwd, self.env)
        except (TimeoutError, RuntimeError, OSError) as exc:
            return Grade(0.0, False, "", self.name, error=str(exc))
        if not reply.get("ok"):
            return Grade(0.0, False, str(reply.get("traceback", ""))[-500:], self.name,
                         error=f"grade() raised {reply.get('error', 'an error')}")
        return grade_from_result(reply.get("result"), self.name, self.pass_threshold)


def _check_source(source: str, filename: str, param: str, ctx: BuildContext) -> None:
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as exc:
        ctx.error(f"syntax error in {filename} line {exc.lineno}: {exc.msg}", param)
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    defined |= {(a.asname or a.name) for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
    if "grade" not in defined:
        ctx.error(f"{filename} defines no top-level function `grade`", param)


@register("python", PythonParams,
          "Runs your grade(case, output) -> bool | float | {score, passed, reason} in a subprocess with a timeout.",
          openai=True, raw=("source",))
def build_python(p: PythonParams, ctx: BuildContext) -> PythonGrader:
    base = ctx.base_dir or (str(Path(ctx.file).parent) if ctx.file else None)
    if p.file is not None:
        path = Path(p.file) if Path(p.file).is_absolute() or base is None else Path(base) / p.file
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as exc:
            ctx.error(f"cannot read grader file {str(path)!r}: {exc.strerror or exc}", "file")
        filename, cwd = str(path), str(path.parent)
    else:
        source, filename, cwd = p.source or "", "<inline grader>", base
    _check_source(source, filename, "file" if p.file is not None else "source", ctx)
    env = {k: os.environ[k] for k in (*_BASE_ENV, *p.env) if k in os.environ}
    return PythonGrader(p.name or ctx.default_name, p.weight, source, filename, p.timeout, p.pass_threshold,
                        cwd, env)
