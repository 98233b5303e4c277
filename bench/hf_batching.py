"""Batched generation vs one prompt at a time on the embedded tiny model, same prompts.

The prompts are the inputs of the tiny model's example suites (examples/demo), repeated to
`--prompts`; both ways use the `hf:` target, greedy, the same max_tokens. Prints wall time of
each, the speed-up, and whether the outputs are identical (left padding must not change them).
Builds the default tiny model first if it is missing (about a minute on 2 cores). On a busy
machine set OMP_NUM_THREADS=1: an oversubscribed torch thread pool slows single-row decoding most.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/hf_batching.py [--prompts 64 --batch 16 --max-tokens 64]
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from gradeloop.demo.model import ensure_tiny_model  # noqa: E402
from gradeloop.demo.suites import demo_suites  # noqa: E402
from gradeloop.targets.base import Generation, Request, SamplingParams  # noqa: E402
from gradeloop.targets.hf import HFTarget  # noqa: E402


def _timed(target: HFTarget, requests: list[Request], one_by_one: bool) -> tuple[float, list[Generation]]:
    start = time.perf_counter()
    if one_by_one:
        gens = [g for r in requests for g in target.generate_sync([r])]
    else:
        gens = target.generate_sync(requests)
    return time.perf_counter() - start, gens


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=None, help="model folder (default: the tiny model)")
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=64)
    args = ap.parse_args()
    model = args.model or ensure_tiny_model()
    inputs = [case["input"] for doc in demo_suites().values() for case in doc["cases"]]
    inputs = (inputs * (args.prompts // len(inputs) + 1))[: args.prompts]
    params = SamplingParams(temperature=0.0, max_tokens=args.max_tokens)
    requests = [Request(f"p{i}", text, params=params) for i, text in enumerate(inputs)]
    batched, single = HFTarget(f"hf:{model}", batch_size=args.batch), HFTarget(f"hf:{model}", batch_size=1)
    for target in (batched, single):  # load and warm up outside the timings
        target.generate_sync(requests[:2])
    t_single, g_single = _timed(single, requests, one_by_one=True)
    t_batch, g_batch = _timed(batched, requests, one_by_one=False)
    tokens = sum(g.usage["completion_tokens"] for g in g_batch if g.usage)
    same = sum(a.output == b.output for a, b in zip(g_single, g_batch))
    import torch

    print(f"model {model}  prompts {len(requests)}  max_tokens {args.max_tokens}  generated tokens {tokens}  "
          f"torch threads {torch.get_num_threads()}  load {os.getloadavg()[0]:.1f}")
    print(f"one at a time : {t_single:6.2f} s  ({tokens / t_single:7.1f} tok/s)")
    print(f"batch of {args.batch:<4} : {t_batch:6.2f} s  ({tokens / t_batch:7.1f} tok/s)")
    print(f"speed-up      : {t_single / t_batch:.1f}x   identical outputs: {same}/{len(requests)}")


if __name__ == "__main__":
    main()
