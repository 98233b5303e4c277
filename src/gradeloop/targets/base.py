"""The narrow interface every target implements (after lm-evaluation-harness's model API).

A target receives a batch of `Request`s and returns one `Generation` per request, in order.
Batch-first lets a local model batch on the device and an HTTP target fan out concurrently,
while the run engine stays the same for both. Failures are data, not exceptions: a request
that could not be answered yields a Generation with `error` set.

Optional attributes the engine reads: `batch_size` (requests per `generate` call), `cacheable`
(outputs may be served from the cache), `independent_requests` (each request of a batch is answered
on its own, as an HTTP call or a function call is, so a remote worker can send each back as it
finishes), `limit_concurrency(n)` and `on_generated`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

from gradeloop.suite.model import Case, CaseInput
from gradeloop.tools.calls import ToolCall


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """Sampling settings that change what a target produces (part of its cache key)."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    stop: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_p": self.top_p,
                "max_tokens": self.max_tokens, "stop": list(self.stop)}


@dataclass(frozen=True, slots=True)
class Request:
    """One sample to generate: which case, which input, which sample index and seed."""

    case_id: str
    input: CaseInput
    sample_index: int = 0
    seed: int | None = None
    params: SamplingParams = SamplingParams()
    tools: tuple[Mapping[str, Any], ...] = ()  # OpenAI function-tool schemas the model may call
    tool_choice: Any = None  # auto | none | required | {type: function, function: {name}}
    step: int = 0  # agent loop: which model turn of this sample (replay answers each turn from its own line)
    case: Case | None = field(default=None, compare=False, repr=False)  # for py: targets that ask for it


@dataclass(slots=True)
class Generation:
    """What a target produced for one Request, or the error that prevented it."""

    output: str | None
    error: str | None = None
    latency_s: float = 0.0
    logprobs: list[float] | None = None  # log-probability of each generated token
    usage: Mapping[str, int] | None = None  # prompt_tokens, completion_tokens
    signals: dict[str, float] = field(default_factory=dict)  # e.g. {"confidence": 0.8}
    cached: bool = False
    tool_calls: tuple[ToolCall, ...] = ()  # the calls the model made; output is "" when it only called
    trajectory: tuple[Mapping[str, Any], ...] = ()  # agent runs: every message after the input, in order
    steps: int = 0  # agent runs: model turns taken


@runtime_checkable
class Target(Protocol):
    """Anything that answers prompts: `spec` names it, `fingerprint()` identifies what answers."""

    spec: str

    def fingerprint(self) -> str:
        """A stable hash of everything that changes the outputs (model, adapter, settings)."""
        ...

    async def generate(self, requests: Sequence[Request]) -> list[Generation]:
        """Answer a batch of requests; one Generation per request, in order, never raising."""
        ...

    async def aclose(self) -> None:
        """Release connections or memory."""
        ...
