"""The `hf:` target's sampler: today's vectorised counter-based Gumbel sampler vs the previous
per-row sampler (one CPU torch.Generator per row, a Python loop over rows every step), side by side
on the same model, prompts and settings (temperature 1, top_p 1 and 0.9).

Both samplers are exact draws from softmax(logits/T); their outputs differ (different random
streams), so the comparison is throughput, plus a batch-independence check of the new one.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/hf_sampler.py [--prompts 256 --batch 64 --max-tokens 48]
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from gradeloop.demo.model import ensure_tiny_model
from gradeloop.demo.suites import demo_suites
from gradeloop.targets import hf as hf_mod
from gradeloop.targets.base import Request, SamplingParams
from gradeloop.targets.hf import HFTarget

NEW = hf_mod._logits_processor


def old_logits_processor(seeds: list[int | None], temperatures: list[float], top_ps: list[float]) -> Any:
    """The sampler as it was before the vectorisation (decoder gumbel-v1), kept here to compare."""
    import torch
    from transformers import LogitsProcessor, TopPLogitsWarper

    class GumbelSampler(LogitsProcessor):
        def __init__(self) -> None:
            self.generators = [torch.Generator().manual_seed(s) if s is not None else None for s in seeds]
            self.logprobs: list[torch.Tensor] = []

        def __call__(self, input_ids: Any, scores: Any) -> Any:
            out = scores.float().clone()
            for row, gen in enumerate(self.generators):
                if gen is None or temperatures[row] <= 0:
                    continue
                logits = out[row : row + 1] / temperatures[row]
                if top_ps[row] < 1.0:
                    logits = TopPLogitsWarper(top_ps[row])(input_ids[row : row + 1], logits)
                uniform = torch.rand(logits.shape[-1], generator=gen).to(out.device)
                out[row] = logits[0] - torch.log(-torch.log(uniform))
            chosen = out.argmax(-1, keepdim=True)
            self.logprobs.append(scores.float().log_softmax(-1).gather(-1, chosen).squeeze(-1))
            return out

    return GumbelSampler()


def run(model: Path, requests: list[Request], batch: int, sampler: Any) -> tuple[float, int, list]:
    hf_mod._logits_processor = sampler
    target = HFTarget(f"hf:{model}", batch_size=batch)
    target.generate_sync(requests[:batch])  # load and warm up
    start = time.perf_counter()
    gens = target.generate_sync(requests)
    wall = time.perf_counter() - start
    return wall, sum(g.usage["completion_tokens"] for g in gens if g.usage), [g.output for g in gens]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=None, help="model folder (default: the tiny model)")
    ap.add_argument("--prompts", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--max-tokens", type=int, default=48)
    args = ap.parse_args()
    model = args.model or ensure_tiny_model()
    import torch

    inputs = [case["input"] for doc in demo_suites().values() for case in doc["cases"]]
    inputs = (inputs * (args.prompts // len(inputs) + 1))[: args.prompts]
    print(f"model {model}  prompts {len(inputs)}  batch {args.batch}  max_tokens {args.max_tokens}  "
          f"torch threads {torch.get_num_threads()}  load {os.getloadavg()[0]:.1f}")
    for top_p in (1.0, 0.9):
        params = SamplingParams(temperature=1.0, top_p=top_p, max_tokens=args.max_tokens)
        requests = [Request(f"p{i}", text, seed=1, params=params) for i, text in enumerate(inputs)]
        t_old, n_old, _ = run(model, requests, args.batch, old_logits_processor)
        t_new, n_new, out_new = run(model, requests, args.batch, NEW)
        _, _, out_one = run(model, requests[:16], 1, NEW)
        print(f"top_p {top_p}: per-row loop {n_old / t_old:8.1f} tok/s ({t_old:5.2f} s)   vectorised "
              f"{n_new / t_new:8.1f} tok/s ({t_new:5.2f} s)   ratio {(n_new / t_new) / (n_old / t_old):.2f}x   "
              f"batch-1 = batch-{args.batch} on 16 prompts: {out_one == out_new[:16]}")
    hf_mod._logits_processor = NEW


if __name__ == "__main__":
    main()
