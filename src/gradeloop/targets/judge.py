"""Turn a target spec into the plain `prompt -> text` callable the llm_judge grader takes.

Graders never import targets; whoever builds graders passes `judge_factory` from here.
"""
from __future__ import annotations

from functools import lru_cache

from gradeloop.graders.base import JudgeFn
from gradeloop.targets.base import SamplingParams
from gradeloop.targets.spec import load_target
from gradeloop.targets.sync_judge import as_judge


@lru_cache(maxsize=16)
def judge_factory(spec: str) -> JudgeFn:
    """A thread-safe judge for the target `spec`: greedy settings, one event loop shared by all calls."""
    params = SamplingParams(temperature=0.0, max_tokens=512)
    return as_judge(load_target(spec, params=params), params)
