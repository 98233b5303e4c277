"""Per-sample CPU cost of a whole eval: gradeloop vs promptfoo vs Inspect AI vs a plain loop.

The same N prompts ("What is a+b? Answer with the number."), an instant echo target and a
`contains` check of the sum, every sample stored by gradeloop. Each tool runs as its own
process at N and at 10 prompts; the per-sample cost is (CPU(N) − CPU(10)) / (N − 10), so
start-up is subtracted. CPU is user+sys of the child process tree (os.wait4).

Peers are installed under bench/.work by `bench/setup_peers.sh` (npm promptfoo + js-tiktoken,
a separate venv with inspect-ai). Offline, Inspect's tiktoken `o200k_base` file is rebuilt
from js-tiktoken's ranks.

    .venv/bin/python bench/eval_throughput.py [--n 10000] [--only gradeloop,promptfoo,inspect] [--repeat 3]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
ROOT = HERE.parent
O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"


def prompts(n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a, b = rng.randint(1, 999), rng.randint(1, 999)
        out.append((f"What is {a}+{b}? Answer with the number.", str(a + b)))
    return out


@dataclass(frozen=True)
class Job:
    """One tool run: the command, its working folder and the exit codes that mean it ran to the end."""

    cmd: list[str]
    cwd: Path | None = None
    ok: tuple[int, ...] = (0,)


def cpu_of(job: Job, env: dict | None = None) -> tuple[float, float, int]:
    """(cpu seconds of the child tree, wall seconds, exit code); a crash stops the bench."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a chatty tool cannot block on it
        proc = subprocess.Popen(job.cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=job.cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in job.ok:
            err.seek(0)
            raise SystemExit(f"{job.cmd[0]} failed ({code}):\n{err.read().decode(errors='replace')[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall, code


# gradeloop --------------------------------------------------------------------------------
def gradeloop_cmd(n: int) -> Job:
    d = WORK / f"gl-{n}"
    d.mkdir(parents=True, exist_ok=True)
    with (d / "suite.jsonl").open("w") as fh:
        for i, (q, s) in enumerate(prompts(n)):
            fh.write(json.dumps({"id": f"q{i}", "input": q, "graders": [{"type": "contains", "value": s}]}) + "\n")
    (d / "echo_target.py").write_text("def echo(prompt):\n    return prompt\n")
    store = d / "store.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(store) + suffix).unlink(missing_ok=True)
    return Job([sys.executable, "-c",
                f"import sys; sys.path.insert(0, {str(d)!r}); from gradeloop.cli import main; "
                f"sys.exit(main(['eval', {str(d / 'suite.jsonl')!r}, '--target', 'py:echo_target:echo', "
                f"'--store', {str(store)!r}, '--quiet', '--concurrency', '2']))"])


# promptfoo --------------------------------------------------------------------------------
def promptfoo_cmd(n: int) -> Job:
    d = WORK / f"pf-{n}"
    d.mkdir(parents=True, exist_ok=True)
    tests = [{"vars": {"q": q}, "assert": [{"type": "contains", "value": s}]} for q, s in prompts(n)]
    config = {"prompts": ["{{q}}"], "providers": ["echo"], "tests": tests}
    (d / "promptfooconfig.json").write_text(json.dumps(config))
    # exit 100: some assertions failed (an echo rarely contains the sum)
    return Job([str(WORK / "node_modules/.bin/promptfoo"), "eval", "-c", str(d / "promptfooconfig.json"),
                "--no-write", "--no-cache", "--no-table", "--no-progress-bar"], ok=(0, 100))


# Inspect AI -------------------------------------------------------------------------------
def rebuild_o200k() -> Path:
    """tiktoken's o200k_base file, rebuilt from js-tiktoken's ranks (no download)."""
    cache = WORK / "tiktoken-cache"
    target = cache / hashlib.sha1(O200K_URL.encode()).hexdigest()
    if target.exists():
        return cache
    js = (WORK / "node_modules/js-tiktoken/dist/ranks/o200k_base.js").read_text()
    ranks = json.loads(js[js.index("{"):js.rindex("}") + 1])["bpe_ranks"]
    lines = []
    for row in ranks.split("\n"):
        parts = row.split(" ")
        offset = int(parts[1])
        for i, tok in enumerate(parts[2:]):
            lines.append(f"{tok} {offset + i}")
    cache.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n")
    return cache


def inspect_cmd(n: int) -> Job:
    d = WORK / f"ia-{n}"
    d.mkdir(parents=True, exist_ok=True)
    (d / "data.json").write_text(json.dumps([{"input": q, "target": s} for q, s in prompts(n)]))
    (d / "task.py").write_text(
        "from inspect_ai import Task, task\nfrom inspect_ai.dataset import json_dataset\n"
        "from inspect_ai.scorer import match\nfrom inspect_ai.solver import generate\n\n"
        "@task\ndef arith():\n"
        f"    return Task(dataset=json_dataset({str(d / 'data.json')!r}), solver=generate(), scorer=match())\n")
    # Inspect resolves the task file relative to its working folder (an absolute path is refused).
    return Job([str(WORK / "inspect-venv/bin/inspect"), "eval", "task.py", "--model", "mockllm/model",
                "--log-dir", str(d / "logs"), "--display", "none", "--max-connections", "2"], cwd=d)


def plain_loop(n: int) -> float:
    items = prompts(n)
    start = time.process_time()
    results = []
    for q, s in items:
        out = q  # the echo target
        results.append(s in out)
    return (time.process_time() - start) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--only", default="gradeloop,promptfoo,inspect")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per size; the least CPU of each is kept (other load only ever adds CPU time)")
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    env = dict(os.environ, TIKTOKEN_CACHE_DIR=str(rebuild_o200k()) if "inspect" in args.only else "",
               PROMPTFOO_DISABLE_TELEMETRY="1", PROMPTFOO_DISABLE_UPDATE="1", INSPECT_LOG_LEVEL="error",
               NO_COLOR="1", HF_HUB_OFFLINE="1")
    tools = {"gradeloop": gradeloop_cmd, "promptfoo": promptfoo_cmd, "inspect": inspect_cmd}
    per_sample: dict[str, float] = {}
    for name in args.only.split(","):
        cpu_of(tools[name](10), env=env)  # warm-up: first runs compile bytecode and fill caches
        small = min((cpu_of(tools[name](10), env=env) for _ in range(args.repeat)), key=lambda r: r[0])
        big = min((cpu_of(tools[name](args.n), env=env) for _ in range(args.repeat)), key=lambda r: r[0])
        per_sample[name] = (big[0] - small[0]) / (args.n - 10)
        print(f"{name:10} cpu {big[0]:7.2f}s wall {big[1]:7.2f}s (10 prompts: cpu {small[0]:.2f}s) "
              f"→ {per_sample[name] * 1e6:9.1f} µs/sample", flush=True)
    floor = min(plain_loop(args.n) for _ in range(max(3, args.repeat)))
    print(f"{'plain loop':10} {floor * 1e6:9.3f} µs/sample")
    if "gradeloop" in per_sample:
        g = per_sample["gradeloop"]
        for name, v in per_sample.items():
            if name != "gradeloop":
                print(f"{name} / gradeloop = {v / g:.1f}×")
        print(f"gradeloop / plain loop = {g / floor:.0f}×")


if __name__ == "__main__":
    main()
