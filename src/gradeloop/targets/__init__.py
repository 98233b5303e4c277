"""Everything that produces outputs: replay files, Python callables, OpenAI-compatible endpoints, local models.

Heavy targets (`openai`, `hf`) load their dependencies only when a spec names them.
"""
from gradeloop.targets.base import Generation, Request, SamplingParams, Target
from gradeloop.targets.spec import load_target
from gradeloop.targets.sync_judge import JudgeError, as_judge

__all__ = ["Generation", "JudgeError", "Request", "SamplingParams", "Target", "as_judge", "load_target"]
