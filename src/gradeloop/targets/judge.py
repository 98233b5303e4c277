"""Turn a target spec into the plain `prompt -> text` callable the llm_judge grader takes.

Graders never import targets; whoever builds graders passes `judge_factory` from here.
"""
from __future__ import annotations

import asyncio
import threading
from functools import lru_cache

from gradeloop.graders.base import JudgeFn
from gradeloop.targets.base import Request, SamplingParams
from gradeloop.targets.spec import load_target


@lru_cache(maxsize=16)
def judge_factory(spec: str) -> JudgeFn:
    """A thread-safe judge callable for the target `spec` (greedy, deterministic settings)."""
    target = load_target(spec, params=SamplingParams(temperature=0.0, max_tokens=512))
    lock = threading.Lock()

    def judge(prompt: str) -> str:
        # Each call runs in the grading worker thread; local models are not re-entrant.
        with lock:
            gen = asyncio.run(target.generate([Request("judge", prompt, 0, 0, SamplingParams(0.0, 1.0, 512))]))[0]
        if gen.error is not None or gen.output is None:
            raise RuntimeError(f"judge {spec} failed: {gen.error}")
        return gen.output

    return judge
