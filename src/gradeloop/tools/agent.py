"""The agent loop: model → tool calls → sandboxed tool results → model, up to N steps.

One loop, not a framework. Each step asks the wrapped target for the next assistant turn of
every unfinished sample (a batch, so local models still batch); a turn without tool calls is
the final answer; a turn with calls has them run against the user's tool module in the sandbox
(`ToolModule.run`, history replayed so state carries over) and their results appended as `tool`
messages. The Generation carries the final text, every call in order, the trajectory (every
message after the input) and the step count, which the graders read through `Reply`.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from gradeloop.targets.base import Generation, Request, Target
from gradeloop.tools.calls import ToolCall
from gradeloop.tools.execute import ToolModule, ToolRunError, result_text


@dataclass
class _Sample:
    request: Request
    messages: list[dict[str, Any]]
    trajectory: list[dict[str, Any]] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    latency: float = 0.0
    steps: int = 0
    done: Generation | None = None


def _start(req: Request) -> list[dict[str, Any]]:
    return [{"role": "user", "content": req.input}] if isinstance(req.input, str) else [dict(m) for m in req.input]


class AgentTarget:
    """Wraps a target so that each request runs the agent loop with a tool module, for up to `steps` turns."""

    cacheable = False  # tools may depend on the world; the inner target's turns are not cached either

    def __init__(self, inner: Target, module: ToolModule, steps: int) -> None:
        if steps < 1:
            raise ValueError("agent steps must be at least 1")
        self.inner = inner
        self.module = module
        self.steps = steps
        self.spec = inner.spec
        self.batch_size = getattr(inner, "batch_size", 16)

    def fingerprint(self) -> str:
        blob = json.dumps({"inner": self.inner.fingerprint(), "steps": self.steps,
                           "tools": hashlib.sha256(self.module.source.encode()).hexdigest()})
        return "agent-" + hashlib.sha256(blob.encode()).hexdigest()[:16]

    async def generate(self, requests: Sequence[Request]) -> list[Generation]:
        samples = [_Sample(r, _start(r)) for r in requests]
        for step in range(self.steps):
            active = [s for s in samples if s.done is None]
            if not active:
                break
            turns = await self.inner.generate([
                replace(s.request, input=tuple(s.messages), step=step,
                        tool_choice=s.request.tool_choice if step == 0 else None) for s in active])
            await asyncio.gather(*(asyncio.to_thread(self._turn, s, g, step) for s, g in zip(active, turns)))
        for s in samples:
            if s.done is None:  # the step limit came with tool calls still pending
                last: dict[str, Any] = next((m for m in reversed(s.trajectory) if m["role"] == "assistant"), {})
                s.done = self._final(s, str(last.get("content") or ""), limit=True)
        return [s.done for s in samples]  # type: ignore[misc]

    def _turn(self, s: _Sample, g: Generation, step: int) -> None:
        """Record one model turn; run its calls, or finish the sample when it made none."""
        s.steps = step + 1
        s.latency += g.latency_s
        if g.error is not None or g.output is None:
            s.done = Generation(output=None, error=f"agent step {step + 1}: {g.error or 'no output'}",
                                latency_s=s.latency, tool_calls=tuple(s.calls), trajectory=tuple(s.trajectory),
                                steps=s.steps)
            return
        calls = [c if c.id else c._replace(id=f"call_{step}_{i}") for i, c in enumerate(g.tool_calls)]
        turn: dict[str, Any] = {"role": "assistant", "content": g.output}
        if calls:
            turn["tool_calls"] = [{"id": c.id, "type": "function",
                                   "function": {"name": c.name, "arguments": dict(c.arguments or {})}} for c in calls]
        s.messages.append(turn)
        s.trajectory.append(turn)
        if not calls:
            s.done = self._final(s, g.output)
            return
        try:
            run = self.module.run(calls, history=s.calls)
            results = run.results
        except ToolRunError as exc:  # the tools could not run: the sample is an infrastructure error
            s.done = Generation(output=None, error=f"agent step {step + 1}: {exc}", latency_s=s.latency,
                                tool_calls=tuple(s.calls + calls), trajectory=tuple(s.trajectory), steps=s.steps)
            return
        s.calls.extend(calls)
        for call, result in zip(calls, results):
            message = {"role": "tool", "tool_call_id": call.id, "content": result_text(result)}
            s.messages.append(message)
            s.trajectory.append(message)

    def _final(self, s: _Sample, text: str, limit: bool = False) -> Generation:
        signals = {"agent_steps": float(s.steps)}
        if limit:
            signals["agent_step_limit"] = 1.0
        return Generation(output=text, latency_s=s.latency, tool_calls=tuple(s.calls), trajectory=tuple(s.trajectory),
                          steps=s.steps, signals=signals)

    async def aclose(self) -> None:
        await self.inner.aclose()
