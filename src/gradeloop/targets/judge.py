"""Turn a target spec into the plain `prompt -> text` callable the llm_judge grader takes.

Graders never import targets; whoever builds graders passes `judge_factory` from here.

A grader's `model` may also be a bare model name, as OpenAI grader JSON pasted unchanged has
(`"model": "o4-mini-2025-04-16"`), or `default`: it maps through the project's judge
configuration, to the gradeloop.yaml target of that name if there is one, else to the project's
`judge:`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gradeloop.errors import InputError
from gradeloop.graders.base import JudgeFn
from gradeloop.targets.base import SamplingParams
from gradeloop.targets.spec import SCHEMES, load_target
from gradeloop.targets.sync_judge import as_judge


def is_target_spec(value: str) -> bool:
    """True for `scheme:rest` with a known scheme (replay, py, openai, hf)."""
    scheme, sep, rest = value.partition(":")
    return bool(sep and rest and scheme in SCHEMES)


_UNSET = object()


def judge_spec_for(model: str, default: str | None = None, project: object | None = _UNSET) -> str:
    """The target spec that judges for a grader's `model`.

    A spec is itself; a project target's name is its spec; any other name (an OpenAI model name,
    or `default`) is the judge `default`, else the project's `judge:`. InputError when none is set.
    `project`: a loaded Project, None for none, or (unset) the one found from the current folder.
    """
    if is_target_spec(model):
        return model
    proj: Any = current_project() if project is _UNSET else project
    if proj is not None:
        if model in proj.config.targets:
            return _importable(proj, proj.target_spec(model))
    judge = default if default is not None else (proj.judge_spec if proj is not None else None)
    if judge is None and model == "default":
        raise InputError("the grader asks for the default judge, but none is set (`judge:` in gradeloop.yaml, "
                         "--judge, or evaluate(judge=...))", field="model")
    if judge is None:
        raise InputError(f"{model!r} is a model name, not a target spec: set the project's judge (`judge:` in "
                         "gradeloop.yaml, --judge, or evaluate(judge=...)) or name a gradeloop.yaml target "
                         f"{model!r}, or write a spec such as openai:{model}@http://host/v1", field="model")
    return judge if is_target_spec(judge) or proj is None else _importable(proj, proj.target_spec(judge))


def _importable(project: Any, spec: str) -> str:
    """A project's py: target imports from the project folder, wherever gradeloop runs (as resolve_target)."""
    import sys

    if spec.startswith("py:") and str(project.root) not in sys.path:
        sys.path.insert(0, str(project.root))
    return spec


_PROJECTS: dict[tuple[str, int, int], Any] = {}


def current_project() -> Any:
    """The project found from the current folder (or $GRADELOOP_PROJECT), re-read only when its file changes."""
    from gradeloop.project import find_project, load_project

    path = find_project()
    if path is None:
        return None
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    hit = _PROJECTS.get(key)
    if hit is None:
        if len(_PROJECTS) > 16:
            _PROJECTS.clear()
        hit = _PROJECTS[key] = load_project(path)
        if hit is not None:
            hit.load_env()  # keys named by the project's targets (key_env) come from its env_file
    return hit


@lru_cache(maxsize=16)
def _judge_for_spec(spec: str) -> JudgeFn:
    params = SamplingParams(temperature=0.0, max_tokens=512)
    return as_judge(load_target(spec, params=params), params)


@dataclass(frozen=True)
class _ProjectJudge:
    """A judge named by model name: the project's judge for it, looked up when called.

    Grader builders cache judges by (factory, model); resolving at call time keeps a cached
    "default" or "o4-mini" judge following the project it runs in, not the first one seen.
    """

    model: str

    def __call__(self, prompt: str) -> str:
        return _judge_for_spec(judge_spec_for(self.model))(prompt)


def judge_factory(spec: str) -> JudgeFn:
    """A thread-safe judge for the target `spec` (or a model name, see above): greedy settings, one event loop."""
    if is_target_spec(spec):
        return _judge_for_spec(spec)
    judge_spec_for(spec)  # fail now, with one clear line, when no judge is configured for it
    return _ProjectJudge(spec)
