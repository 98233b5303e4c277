"""gradeloop's `openai:` target against real OpenAI-compatible servers serving the demo's tiny model:
requests/s at concurrency 1, 16 and 256, with a check that every sample was answered, logprobs came back
when asked, and temperature-0 outputs agree across concurrency levels.

Start the servers with their scripts (each prints its base URL), then pass them here:

    scripts/servers/vllm-cpu.sh start .gradeloop/models/tiny-support     # http://127.0.0.1:8011/v1
    scripts/servers/llama-cpp.sh start .gradeloop/models/tiny-support    # http://127.0.0.1:8012/v1
    .venv/bin/python bench/real_servers.py --server vllm=http://127.0.0.1:8011/v1 \
        --server llama.cpp=http://127.0.0.1:8012/v1 [--requests 250]
    scripts/servers/vllm-cpu.sh stop; scripts/servers/llama-cpp.sh stop
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time
import urllib.request

from gradeloop.demo.suites import demo_suites
from gradeloop.targets.base import Request, SamplingParams
from gradeloop.targets.openai import OpenAITarget


def served_model(url: str) -> str:
    with urllib.request.urlopen(f"{url}/models", timeout=10) as resp:
        return json.load(resp)["data"][0]["id"]


def run(url: str, model: str, requests: list[Request], concurrency: int) -> tuple[float, list]:
    target = OpenAITarget.from_spec(f"openai:{model}@{url};concurrency={concurrency};logprobs=true;timeout=600")

    async def go() -> list:
        try:
            return await target.generate(requests)
        finally:
            await target.aclose()

    start = time.perf_counter()
    gens = asyncio.run(go())
    return time.perf_counter() - start, gens


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", action="append", required=True, help="NAME=BASE_URL (with /v1)")
    ap.add_argument("--requests", type=int, default=250)
    ap.add_argument("--max-tokens", type=int, default=48)
    args = ap.parse_args()
    inputs = [c["input"] for doc in demo_suites().values() for c in doc["cases"]]
    inputs = (inputs * (args.requests // len(inputs) + 1))[: args.requests]
    params = SamplingParams(temperature=0.0, max_tokens=args.max_tokens)
    requests = [Request(f"r{i}", text, params=params, seed=0) for i, text in enumerate(inputs)]
    for spec in args.server:
        name, _, url = spec.partition("=")
        model = served_model(url)
        outputs: dict[int, list] = {}
        for concurrency in (1, 16, 256):
            wall, gens = run(url, model, requests, concurrency)
            outputs[concurrency] = [g.output for g in gens]
            errors = sum(g.error is not None for g in gens)
            with_lp = sum(bool(g.logprobs) for g in gens if g.output is not None)
            print(f"{name:10s} c={concurrency:<4d} {len(requests) / wall:7.1f} req/s ({wall:6.1f} s)  errors {errors}  "
                  f"logprobs {with_lp}/{len(gens) - errors}", flush=True)
        same = sum(a == b == c for a, b, c in zip(outputs[1], outputs[16], outputs[256]))
        print(f"{name:10s} temperature-0 outputs identical across c=1/16/256: {same}/{len(requests)}")


if __name__ == "__main__":
    main()
