"""The data model of unit benchmarks: a Case and a Suite of cases.

Plain frozen dataclasses: the hot path of a 10,000-case run builds and reads them, and
validation happens once in the loaders, which know the file and line of every field.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

Message = Mapping[str, Any]  # {"role": ..., "content": ...}
CaseInput = str | tuple[Message, ...]
Split = Literal["dev", "holdout", "canary", "train"]
Expect = Literal["answer", "refuse", "ask"]
SPLITS: tuple[str, ...] = ("dev", "holdout", "canary", "train")
EXPECTS: tuple[str, ...] = ("answer", "refuse", "ask")


@dataclass(frozen=True, slots=True)
class GraderSpec:
    """A grader as written in a suite file: its `type`, its parameters and where it was written."""

    type: str
    params: Mapping[str, Any]
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """One unit-benchmark case: an input, what good looks like, and slice tags."""

    id: str
    input: CaseInput
    reference: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    expect: Expect | None = None
    graders: tuple[GraderSpec, ...] = ()
    parent: str | None = None  # set on mutated variants: the id of the case they derive from
    metadata: Mapping[str, Any] = field(default_factory=dict)
    file: str | None = None
    line: int | None = None
    # OpenAI function-tool schemas the model may call, and how it must choose (auto|none|required|{function})
    tools: tuple[Mapping[str, Any], ...] = ()
    tool_choice: Any = None

    @property
    def prompt_text(self) -> str:
        """The input as one string (the last user message for chats), for text-only checks."""
        if isinstance(self.input, str):
            return self.input
        users = [m.get("content", "") for m in self.input if m.get("role") == "user"]
        return str(users[-1]) if users else str(self.input[-1].get("content", ""))

    def field_value(self, path: str) -> Any:
        """Look up a dotted field (`reference`, `tags.locale`, `metadata.x`) for templates."""
        head, _, rest = path.partition(".")
        value: Any = getattr(self, head) if head in _CASE_FIELDS else None
        for part in rest.split(".") if rest else ():
            value = value.get(part) if isinstance(value, Mapping) else None
        return value


_CASE_FIELDS = {"id", "input", "reference", "tags", "expect", "parent", "metadata", "tools", "tool_choice"}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Suite-level pass criteria; `on` chooses the mean or the interval's lower bound."""

    min_pass_rate: float | None = None
    on: Literal["mean", "ci_low"] = "mean"
    max_error_rate: float = 0.0  # share of planned samples that may error or be missing before a pass is refused

    def as_dict(self) -> dict[str, object]:
        """As stored in runs and hashed into the version (max_error_rate only when set, so older
        suites keep their versions)."""
        out: dict[str, object] = {"min_pass_rate": self.min_pass_rate, "on": self.on}
        if self.max_error_rate:
            out["max_error_rate"] = self.max_error_rate
        return out


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """`agent:` in a suite: run its cases as an agent loop with these tool implementations."""

    tools: str  # the Python tools module as written (part of the suite's version)
    steps: int = 5  # most model turns per sample
    timeout: float = 10.0  # seconds for one step's tool calls
    path: str = ""  # `tools` resolved against the suite file's folder


@dataclass(frozen=True, slots=True)
class Suite:
    """A named, versioned set of cases; `version` is the hash of its normalised content."""

    name: str
    cases: tuple[Case, ...]
    split: Split = "dev"
    description: str = ""
    default_graders: tuple[GraderSpec, ...] = ()
    thresholds: Thresholds = Thresholds()
    version: str = ""
    source: str | None = None
    agent: AgentSpec | None = None
    tools: tuple[Mapping[str, Any], ...] = ()  # `defaults.tools` (cases already carry them; the monitor reads these)

    def graders_for(self, case: Case) -> tuple[GraderSpec, ...]:
        """Defaults first, then the case's own graders (as DESIGN.md says)."""
        return self.default_graders + case.graders
