"""The `python` grader: a user `grade` function run in the sandbox (`gradeloop.sandbox`).

The code runs in a pool of warm, confined worker processes: each imports the grader once and
serves many grades over a pipe (well under a millisecond per grade instead of an interpreter
start of 30-70 ms), with resource limits, no network, an empty environment (PATH, locale and
one-thread settings for numeric libraries, plus the variables `env` names), a private temporary folder, a read-only file system with the
results store hidden, and a timeout that kills the worker and everything it started. The code
is read and syntax-checked once at build time; the case and output travel as JSON and are
never executed. Also runs OpenAI `python` grader JSON (`source` with
`def grade(sample, item) -> float`). The grader's own folder is readable and importable (find
data files with `Path(__file__).parent`); its working folder is a private, emptied /tmp.
Module-level state of a grader persists between grades served by the same worker; see
`gradeloop.sandbox` for what is reset.
"""
from __future__ import annotations

import ast
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from pydantic import Field, model_validator

from gradeloop.graders._python_runner import ENTRY, with_adapter
from gradeloop.graders.base import Grade
from gradeloop.graders.registry import BuildContext, Params, register
from gradeloop.sandbox import SandboxConfig, SandboxUnavailable, Source, shared_pool

if TYPE_CHECKING:
    from gradeloop.suite.model import Case

_BASE_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE")
# One grade at a time per worker: numeric libraries' thread pools would only hit the process limit.
_ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


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


class PythonParams(Params):
    """Where the user's `grade` function is and how long it may take."""

    file: str | None = Field(None, description="Python file defining grade(case, output), relative to the suite file.")
    source: str | None = Field(None, description="Inline Python source defining grade(case, output) "
                               "(or OpenAI's grade(sample, item)).")
    timeout: float = Field(10.0, gt=0, description="Seconds before the worker is killed and the grade is an error.")
    pass_threshold: float = Field(1.0, ge=0, le=1, description="A float score passes at or above this.")
    env: list[str] = Field(default_factory=list, description="Environment variables to pass to the code "
                           "(by default only PATH and the locale).")
    network: bool = Field(False, description="Let the code use the network (by default it has none).")
    memory_mb: int = Field(1024, ge=64, description="Address-space limit of the grader's process, in MB.")
    image_tag: str | None = Field(None, description="Accepted for OpenAI grader JSON; ignored (runs locally).")

    @model_validator(mode="after")
    def _one_source(self) -> "PythonParams":
        if (self.file is None) == (self.source is None):
            raise ValueError("give exactly one of `file` or `source`")
        return self


@dataclass(frozen=True, slots=True)
class PythonGrader:
    """Calls the user's `grade` in a warm sandbox worker (one shared pool per sandbox config)."""

    name: str
    weight: float
    code: Source
    timeout: float
    pass_threshold: float
    sandbox: SandboxConfig

    def grade(self, case: "Case", output: str) -> Grade:
        args = [case_json(case), output, sample_json(output), item_json(case)]
        try:
            r = shared_pool(self.sandbox).call(self.code, ENTRY, args, timeout=self.timeout)
        except SandboxUnavailable as exc:
            return Grade(0.0, False, "", self.name, error=f"python grader cannot run: {exc}")
        if r.timed_out:
            return Grade(0.0, False, "", self.name, error=f"python grader timed out after {self.timeout:g}s")
        if not r.ok:
            if r.traceback:
                return Grade(0.0, False, r.traceback[-500:], self.name, error=f"grade() raised {r.error}")
            return Grade(0.0, False, "", self.name, error=f"python grader failed: {r.error}")
        return grade_from_result(r.result, self.name, self.pass_threshold)


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
          "Runs your grade(case, output) -> bool | float | {score, passed, reason} in a sandbox with a timeout.",
          openai=True, raw=("source",), files=("file",))
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
    env = {**_ONE_THREAD, **{k: os.environ[k] for k in (*_BASE_ENV, *p.env) if k in os.environ}}
    sandbox = SandboxConfig(memory_mb=p.memory_mb, network=p.network, env=env,
                            paths=(cwd,) if cwd and Path(cwd).is_dir() else ())
    return PythonGrader(p.name or ctx.default_name, p.weight, Source(with_adapter(source), filename), p.timeout,
                        p.pass_threshold, sandbox)
