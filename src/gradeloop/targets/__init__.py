"""Everything that produces outputs: replay files, Python callables, OpenAI-compatible endpoints, local models."""
from gradeloop.targets.base import Generation, Request, SamplingParams, Target
from gradeloop.targets.spec import load_target

__all__ = ["Generation", "Request", "SamplingParams", "Target", "load_target"]
