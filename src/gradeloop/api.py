"""The Python entry point: `evaluate`, `compare`, `load_suites` — what the CLI calls too.

One function builds the run (graders and judges included), so a suite graded from a notebook,
from `gradeloop eval`, from pytest or from the tune loop is graded the same way.
"""
from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from gradeloop.errors import InputError
from gradeloop.results import Comparison, RunResult

if TYPE_CHECKING:
    from gradeloop.gate.policy import GatePolicy
    from gradeloop.graders.base import JudgeFactory, JudgeFn
    from gradeloop.project import Project
    from gradeloop.run.engine import Engine, RunConfig, RunOutcome
    from gradeloop.run.store import Store
    from gradeloop.suite.model import Suite
    from gradeloop.targets.base import SamplingParams, Target

SuiteLike = Union[str, Path, "Suite"]
SuitesArg = Union[SuiteLike, Sequence[SuiteLike]]
RunLike = Union[RunResult, "dict[str, Any]", str, Path]
Progress = Callable[[int, int], None]
DEFAULT_JUDGE = "default"  # an llm_judge grader with `model: default` uses the project's (or caller's) judge


class GradeloopWarning(UserWarning):
    """Something in the input is accepted but almost certainly not what was meant."""


def load_suites(suites: SuitesArg) -> list[Suite]:
    """Suites from paths (files or folders) then Suite objects; validated with file:line errors, names unique."""
    from gradeloop.suite import Suite
    from gradeloop.suite import load_suites as _load

    items: Sequence[SuiteLike] = [suites] if isinstance(suites, (str, Path, Suite)) else list(suites)
    paths: list[str] = []
    objects: list[Suite] = []
    for item in items:
        if isinstance(item, Suite):
            objects.append(item)
        elif isinstance(item, (str, Path)):
            paths.append(str(item))
        else:
            raise InputError(f"expected a suite path or Suite, got {type(item).__name__}", field="suites")
    out = (_load(paths) if paths else []) + objects  # files first; the loader skips a file reached twice
    if not out:
        raise InputError("no suites given", field="suites")
    names = [s.name for s in out]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise InputError(f"two suites are named {dup!r}; suite names must be unique in a run", field="suites")
    return out


def make_judge_factory(judge: str | JudgeFn | None = None, project: Project | None = None) -> JudgeFactory:
    """How every command builds judges: graders' `model` specs (or project target names) become judges.

    `judge` (else the project's `judge:`) answers graders whose model is `default`, and graders whose
    model is a bare model name that no project target has (OpenAI grader JSON's "o4-mini-2025-04-16").
    """
    from gradeloop.project import load_project, resolve_target
    from gradeloop.targets.judge import is_target_spec, judge_factory, judge_spec_for

    default = judge if judge is not None else (project.judge_spec if project is not None else None)

    def factory(model: str) -> JudgeFn:
        if not model or model == DEFAULT_JUDGE:
            if default is None:
                raise InputError("the grader asks for the default judge, but none is set (evaluate(judge=...), "
                                 "--judge, or `judge:` in gradeloop.yaml)", field="model")
            if callable(default):
                return default
            return judge_factory(resolve_target(default, project))
        if not is_target_spec(model):  # a project target's name, or a model name (OpenAI grader JSON)
            proj = project or load_project()
            if callable(default) and (proj is None or model not in proj.config.targets):
                return default
            model = judge_spec_for(model, default if isinstance(default, str) else None, proj)
        return judge_factory(resolve_target(model, project))

    return factory


def open_target(target: str | Target, *, params: SamplingParams, project: Project | None = None) -> Target:
    """A Target from a spec or a project target name; Target objects pass through."""
    from gradeloop.project import resolve_target
    from gradeloop.targets import load_target

    if isinstance(target, str):
        return load_target(resolve_target(target, project), params=params)
    if not hasattr(target, "generate") or not hasattr(target, "fingerprint"):
        raise InputError(f"expected a target spec or Target, got {type(target).__name__}", field="target")
    return target


def default_store_path(project: Project | None = None) -> Path:
    """$GRADELOOP_STORE, else the project's `store:`, else .gradeloop/gradeloop.db."""
    from gradeloop.run.store import DEFAULT_STORE

    env = os.environ.get("GRADELOOP_STORE")
    if env:
        return Path(env)
    if project is not None and project.store is not None:
        return project.store
    return Path(DEFAULT_STORE)


def grading_warnings(suites: Sequence[Suite], graders: dict[tuple[str, str], tuple[Any, ...]]) -> list[str]:
    """Cases that grade nothing: every sample would be neither pass nor fail."""
    out = []
    for s in suites:
        empty = [c for c in s.cases if not graders.get((s.name, c.id))]
        if empty:
            ids = ", ".join(c.id for c in empty[:5]) + (" …" if len(empty) > 5 else "")
            expect = " (`expect` alone checks nothing: add a grader such as refusal)" if any(
                c.expect for c in empty) else ""
            out.append(f"suite {s.name}: {len(empty)} case(s) grade nothing{expect}: {ids}")
    return out


def execute(suites: Sequence[Suite], target: Target, store: Store, config: RunConfig, *,
            judge_factory: JudgeFactory | None = None, on_progress: Progress | None = None,
            on_warning: Callable[[str], None] | None = None, close_target: bool = True,
            executor: Any = None) -> RunOutcome:
    """Run suites on a target into a store; the one place a run engine is built (`aexecute` inside
    an event loop). `eval`, `evaluate`, the tune loop and the sequential gate all run through here.

    The target is told the run's concurrency (`limit_concurrency`) and, where it can, reports each
    finished sample (`on_generated`), so progress moves from the first sample, not per batch.
    """
    engine, finish = _prepare(suites, target, store, config, judge_factory, on_progress, on_warning, close_target,
                              executor)
    try:
        return engine.run()
    finally:
        finish()


async def aexecute(suites: Sequence[Suite], target: Target, store: Store, config: RunConfig, *,
                   judge_factory: JudgeFactory | None = None, on_progress: Progress | None = None,
                   on_warning: Callable[[str], None] | None = None, close_target: bool = True,
                   executor: Any = None) -> RunOutcome:
    """`execute` for callers already inside an event loop (the sequential gate's rounds)."""
    engine, finish = _prepare(suites, target, store, config, judge_factory, on_progress, on_warning, close_target,
                              executor)
    try:
        return await engine.arun()
    finally:
        finish()


def _warn(message: str, on_warning: Callable[[str], None] | None) -> None:
    if on_warning is not None:
        on_warning(message)
    else:
        warnings.warn(message, GradeloopWarning, stacklevel=6)  # the caller of evaluate()


def _prepare(suites: Sequence[Suite], target: Target, store: Store, config: RunConfig,
             judge_factory: JudgeFactory | None, on_progress: Progress | None,
             on_warning: Callable[[str], None] | None, close_target: bool,
             executor: Any) -> tuple[Engine, Callable[[], None]]:
    """The engine for a run (graders built with the project's judges), and what to do after it."""
    from gradeloop.run.engine import Engine
    from gradeloop.targets.judge import judge_factory as spec_judges

    limit = getattr(target, "limit_concurrency", None)
    if callable(limit):
        limit(config.concurrency)
    progress = _SampleProgress(on_progress) if on_progress is not None else None
    if isinstance(executor, str):  # "local" | "ray"
        from gradeloop.run.executor import make_executor

        executor = make_executor(executor)
    engine = Engine(suites, target, store, config, judge_factory=judge_factory or spec_judges,
                    on_progress=progress.chunk if progress else None, close_target=close_target, executor=executor)
    for message in grading_warnings(engine.suites, engine.graders):
        _warn(message, on_warning)
    hook = progress is not None and hasattr(target, "on_generated")
    if hook:
        setattr(target, "on_generated", progress.sample if progress else None)  # noqa: B010 (optional hook)

    def finish() -> None:
        if hook:
            setattr(target, "on_generated", None)  # noqa: B010
        target_warnings = getattr(target, "warnings", None)  # what the target noticed (logprobs not returned...)
        for message in target_warnings() if callable(target_warnings) else []:
            _warn(message, on_warning)

    return engine, finish


class _SampleProgress:
    """Merges the engine's per-chunk counts with a target's per-sample ticks (from worker threads)."""

    def __init__(self, report: Progress) -> None:
        self.report = report
        self.lock = threading.Lock()
        self.done = 0
        self.total = 0
        self.generated = 0

    def chunk(self, done: int, total: int) -> None:
        with self.lock:
            if self.total == 0:
                self.generated = done  # samples already stored when a run resumes
            self.total = total
            self.done = max(self.done, done)
            shown = max(self.done, min(self.generated, total))
        self.report(shown, total)

    def sample(self) -> None:
        with self.lock:
            self.generated += 1
            if self.total == 0:
                return
            shown = max(self.done, min(self.generated, self.total))
            total = self.total
        self.report(shown, total)


def run_document(suites: SuitesArg, target: str | Target, *, samples: int | None = 1, seed: int = 0,
                 store: Store | str | Path | None = None, judge: str | JudgeFn | None = None,
                 concurrency: int = 8, cache: bool = True, temperature: float = 0.0, max_tokens: int = 256,
                 on_progress: Progress | None = None, on_warning: Callable[[str], None] | None = None,
                 full: bool = True, project: Project | None = None,
                 notes: list[str] | None = None, agent_steps: int | None = None,
                 executor: Any = None) -> dict[str, Any]:
    """`evaluate` returning the run JSON itself (the CLI prints and writes it without a copy).

    With `full=False` it is the run summary: no `cases`, no `graders` (what tables and thresholds read).
    `samples=None`: as many as the target recorded (a replay file's samples per case), else 1.
    """
    from gradeloop.project import load_project
    from gradeloop.run.engine import RunConfig
    from gradeloop.run.results import build_run_json, build_run_summary
    from gradeloop.run.store import Store
    from gradeloop.targets.base import SamplingParams

    if samples is not None and samples < 1:
        raise InputError(f"samples must be at least 1, got {samples}", field="samples")
    if concurrency < 1:
        raise InputError(f"concurrency must be at least 1, got {concurrency}", field="concurrency")
    project = project if project is not None else load_project()
    suite_objs = load_suites(suites)
    params = SamplingParams(temperature=temperature, max_tokens=max_tokens)
    tgt = open_target(target, params=params, project=project)
    if samples is None:  # a replay target evaluates every recorded sample by default
        samples = int(getattr(tgt, "recorded_samples", 0) or 1)
    if agent_steps is not None and agent_steps < 1:
        raise InputError(f"agent steps must be at least 1, got {agent_steps}", field="agent-steps")
    config = RunConfig(samples=samples, seed=seed, concurrency=concurrency, params=params, use_cache=cache,
                       agent_steps=agent_steps)
    own_store = not isinstance(store, Store)
    st = store if isinstance(store, Store) else Store(store or default_store_path(project))
    try:
        outcome = execute(suite_objs, tgt, st, config, judge_factory=make_judge_factory(judge, project),
                          on_progress=on_progress, on_warning=on_warning, close_target=isinstance(target, str),
                          executor=executor)
        if notes is not None:
            if outcome.resumed:
                notes.append(f"resumed: {outcome.already_done} samples were already done")
            if outcome.from_cache:
                notes.append(f"{outcome.from_cache} served from cache")
        return build_run_json(st, outcome.run_id) if full else build_run_summary(st, outcome.run_id)
    finally:
        if own_store:
            st.close()


def evaluate(suites: SuitesArg, target: str | Target, *, samples: int | None = 1, seed: int = 0,
             store: Store | str | Path | None = None, judge: str | JudgeFn | None = None, concurrency: int = 8,
             cache: bool = True, temperature: float = 0.0, max_tokens: int = 256,
             on_progress: Progress | None = None, agent_steps: int | None = None, executor: Any = None) -> RunResult:
    """Run `suites` (paths, folders or Suite objects) on `target` and return the typed run.

    `target` is a spec (`py:app:answer`, `openai:MODEL@URL`, `hf:PATH`, `replay:FILE`), a target
    named in gradeloop.yaml, or a Target object (left open for the caller). `samples=None` takes
    every sample a replay file recorded. `judge` (a spec or a
    `prompt -> text` callable) answers llm_judge graders whose model is `default`. Runs are stored
    (`store`: a Store, a path, default the project's or .gradeloop/gradeloop.db), so an unchanged
    rerun resumes or is served from the cache. `agent_steps` overrides the step limit of suites
    that run as agents (`agent: {tools: FILE.py}`). `executor`: "local" (default), "ray", or an
    executor object (`gradeloop.run.ray_executor.RayExecutor(address=..., workers=...)`); results are the same.
    `store` may be a postgresql:// URL.
    """
    doc = run_document(suites, target, samples=samples, seed=seed, store=store, judge=judge,
                       concurrency=concurrency, cache=cache, temperature=temperature, max_tokens=max_tokens,
                       on_progress=on_progress, agent_steps=agent_steps, executor=executor)
    return RunResult.from_json(doc)


def _run_doc(run: RunLike, store: str | Path | None) -> dict[str, Any]:
    from gradeloop.run.results import load_run

    if isinstance(run, RunResult):
        if not run.cases:
            raise InputError(f"run {run.run_id} is a summary without cases; compare needs full runs", field="run")
        return dict(run.raw)
    if isinstance(run, dict):
        return run
    return load_run(str(run), store)


def compare(baseline: RunLike, candidate: RunLike, policy: GatePolicy | str | Path | None = None, *,
            store: str | Path | None = None) -> Comparison:
    """Paired comparison of two runs (RunResults, run JSON dicts or files, run ids or `latest`) and the gate verdict.

    `policy` is a GatePolicy, a policy YAML file, or the name of a policy in gradeloop.yaml.
    """
    from gradeloop.gate import GatePolicy, compare_runs, load_policy
    from gradeloop.project import load_project

    project = None
    if not isinstance(policy, GatePolicy):
        if isinstance(policy, str) and not Path(policy).suffix:
            project = load_project()
            named = project.policy(policy) if project is not None else None
            if named is None:
                raise InputError(f"no policy named {policy!r} in gradeloop.yaml", field="policy")
            policy = named
        policy = load_policy(policy)
    if store is None:
        project = project or load_project()
        store = default_store_path(project)
    return Comparison.from_json(compare_runs(_run_doc(baseline, store), _run_doc(candidate, store), policy))
