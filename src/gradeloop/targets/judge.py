"""Turn a target spec into the plain `prompt -> text` callable the llm_judge grader takes.

Graders never import targets; whoever builds graders passes `judge_factory` from here.

A grader's `model` may also be a bare model name, as OpenAI grader JSON pasted unchanged has
(`"model": "o4-mini-2025-04-16"`), or `default`: it maps through the project's judge
configuration, to the gradeloop.yaml target of that name if there is one, else to the project's
`judge:`.
"""
from __future__ import annotations

from functools import lru_cache

from gradeloop.errors import InputError
from gradeloop.graders.base import JudgeFn
from gradeloop.targets.base import SamplingParams
from gradeloop.targets.spec import SCHEMES, load_target
from gradeloop.targets.sync_judge import as_judge


def is_target_spec(value: str) -> bool:
    """True for `scheme:rest` with a known scheme (replay, py, openai, hf)."""
    scheme, sep, rest = value.partition(":")
    return bool(sep and rest and scheme in SCHEMES)


def judge_spec_for(model: str, default: str | None = None, project: object | None = None) -> str:
    """The target spec that judges for a grader's `model`.

    A spec is itself; a project target's name is its spec; any other name (an OpenAI model name)
    is the judge `default`, else the project's `judge:`. InputError when none is configured.
    """
    if is_target_spec(model):
        return model
    from gradeloop.project import load_project

    proj = project if project is not None else load_project()
    if proj is not None:
        proj.load_env()  # type: ignore[attr-defined]
        if model in proj.config.targets:  # type: ignore[attr-defined]
            return proj.target_spec(model)  # type: ignore[attr-defined]
    judge = default if default is not None else (proj.judge_spec if proj is not None else None)  # type: ignore[attr-defined]
    if judge is None and model == "default":
        raise InputError("the grader asks for the default judge, but none is set (`judge:` in gradeloop.yaml, "
                         "--judge, or evaluate(judge=...))", field="model")
    if judge is None:
        raise InputError(f"{model!r} is a model name, not a target spec: set the project's judge (`judge:` in "
                         "gradeloop.yaml, --judge, or evaluate(judge=...)) or name a gradeloop.yaml target "
                         f"{model!r}, or write a spec such as openai:{model}@http://host/v1", field="model")
    return judge if is_target_spec(judge) or proj is None else proj.target_spec(judge)  # type: ignore[attr-defined]


@lru_cache(maxsize=16)
def _judge_for_spec(spec: str) -> JudgeFn:
    params = SamplingParams(temperature=0.0, max_tokens=512)
    return as_judge(load_target(spec, params=params), params)


def judge_factory(spec: str) -> JudgeFn:
    """A thread-safe judge for the target `spec` (or model name, see above): greedy settings, one event loop."""
    return _judge_for_spec(judge_spec_for(spec))
