"""Turn a target spec string into a Target: `replay:`, `py:`, `openai:`, `hf:`, `vllm:`."""
from __future__ import annotations

from gradeloop.errors import InputError
from gradeloop.targets.base import SamplingParams, Target

SCHEMES = ("replay", "py", "openai", "hf", "vllm")


def load_target(spec: str, params: SamplingParams | None = None) -> Target:
    """Build the target a spec names; heavy stacks (torch, httpx clients) load only when used."""
    scheme, sep, rest = spec.partition(":")
    if not sep or not rest or scheme not in SCHEMES:
        from gradeloop.targets.redact import redact_spec

        raise InputError(f"unknown target spec {redact_spec(spec)!r}; expected one of "
                         + ", ".join(f"{s}:..." for s in SCHEMES), field="target")
    if scheme == "replay":
        from gradeloop.targets.replay import ReplayTarget

        return ReplayTarget(rest, spec=spec)
    if scheme == "py":
        from gradeloop.targets.python import PythonTarget

        return PythonTarget(rest, spec=spec)
    if scheme == "openai":
        from gradeloop.targets.openai import OpenAITarget

        return OpenAITarget.from_spec(spec, params=params)
    if scheme == "vllm":
        from gradeloop.targets.vllm import VLLMTarget

        return VLLMTarget.from_spec(spec, params=params)
    from gradeloop.targets.hf import HFTarget

    return HFTarget.from_spec(spec, params=params)
