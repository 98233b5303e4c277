"""Scale curve: Llama-architecture models of ~2M, ~30M and ~120M parameters on this hardware.

For each size (each in its own process, so peak memory is its own):
- hf-target generation tokens/s vs a plain `model.generate` loop (same prompts, greedy, same batch
  and max_tokens, the plain loop batching with the tokenizer's left padding);
- peak memory (CUDA: max allocated; CPU: the process's peak RSS);
- one GRPO iteration of the demo tune config through gradeloop's tune loop (`--steps` steps):
  seconds per training step, and the evaluation share of an iteration, measured and projected to
  the demo's 30 steps per iteration.

The 2M model is the embedded tiny model (trained); the larger ones are random-initialised with
the same tokenizer and chat template (built offline in bench/.work/models, as the demo does):
generation speed and training cost do not depend on what the weights know.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/scale_curve.py [--sizes 2m,30m,120m] [--device auto]
        [--prompts 64] [--max-tokens 32] [--steps 3] [--eval-samples 1]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work" / "models"
# hidden, intermediate, layers, heads: ~30M and ~120M parameters with the tiny model's 1,024-token vocabulary
SHAPES = {"30m": (512, 1376, 9, 8), "120m": (768, 2048, 16, 12)}


def build(size: str) -> Path:
    from gradeloop.demo.model import ensure_tiny_model

    tiny = ensure_tiny_model()
    if size == "2m":
        return tiny
    out = WORK / size
    if (out / "config.json").is_file():
        return out
    import torch
    from transformers import AutoConfig, LlamaConfig, LlamaForCausalLM

    hidden, inter, layers, heads = SHAPES[size]
    base = AutoConfig.from_pretrained(tiny)
    cfg = LlamaConfig(vocab_size=base.vocab_size, hidden_size=hidden, intermediate_size=inter,
                      num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
                      max_position_embeddings=base.max_position_embeddings, bos_token_id=base.bos_token_id,
                      eos_token_id=base.eos_token_id, pad_token_id=base.pad_token_id, tie_word_embeddings=False)
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg)
    tmp = Path(tempfile.mkdtemp(dir=WORK.parent if WORK.parent.exists() else None))
    model.save_pretrained(tmp)
    for f in tiny.iterdir():
        if f.name.startswith("tokenizer") or f.name in {"chat_template.jinja", "special_tokens_map.json",
                                                         "generation_config.json"}:
            shutil.copy(f, tmp / f.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(out)
    return out


def peak_memory_mb(device: str) -> float:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(size: str, device: str, prompts: int, max_tokens: int, steps: int, eval_samples: int,
            trainer: dict | None = None) -> dict:
    import torch

    from gradeloop.demo.suites import demo_suites
    from gradeloop.devices import resolve
    from gradeloop.run import Store
    from gradeloop.targets.base import Request, SamplingParams
    from gradeloop.targets.hf import HFTarget
    from gradeloop.tune import AdapterRegistry, load_tune_config
    from gradeloop.tune.loop import TuneLoop

    model_dir = build(size)
    place = resolve(device)
    spec = f"hf:{model_dir}+device={device}"
    inputs = [c["input"] for doc in demo_suites().values() for c in doc["cases"]]
    inputs = (inputs * (prompts // len(inputs) + 1))[:prompts]
    params = SamplingParams(temperature=0.0, max_tokens=max_tokens)
    target = HFTarget(spec, params)
    model, tok = target.load()
    n_params = sum(p.numel() for p in model.parameters())
    batch = target.batch_size
    requests = [Request(f"p{i}", text, params=params) for i, text in enumerate(inputs)]
    target.generate_sync(requests[:2])

    def ours() -> tuple[float, int]:
        start = time.perf_counter()
        gens = target.generate_sync(requests)
        return time.perf_counter() - start, sum(g.usage["completion_tokens"] for g in gens if g.usage)

    def plain() -> tuple[float, int]:
        """The loop a user would write: chat template, left-padded batches, greedy generate, decode."""
        tokens, start = 0, time.perf_counter()
        with torch.inference_mode():
            for i in range(0, len(inputs), batch):
                texts = [tok.apply_chat_template([{"role": "user", "content": t}], tokenize=False,
                                                 add_generation_prompt=True) for t in inputs[i : i + batch]]
                enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
                out = model.generate(**enc, max_new_tokens=max_tokens, do_sample=False,
                                     pad_token_id=tok.pad_token_id)
                new = out[:, enc["input_ids"].shape[1]:]
                tokens += int((new != tok.pad_token_id).sum())
                tok.batch_decode(new, skip_special_tokens=True)
        return time.perf_counter() - start, tokens

    # alternate three times and keep each side's best: other jobs on the machine hit both alike
    runs = [(ours(), plain()) for _ in range(3)]
    (t_ours, ours_tokens), (t_plain, plain_tokens) = min(r[0] for r in runs), min(r[1] for r in runs)

    cfg, base_dir = load_tune_config(ROOT / "examples" / "tune" / "lockout-policy.yaml")
    cfg = cfg.model_copy(update={
        "base": spec, "name": f"scale-{size}",
        "budget": cfg.budget.model_copy(update={"iterations": 1, "steps_per_iteration": steps}),
        "eval": cfg.eval.model_copy(update={"samples": eval_samples, "max_tokens": max_tokens}),
        "trainer": trainer or {}})
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.db")
        loop = TuneLoop(cfg, base_dir, store, AdapterRegistry(Path(tmp) / "adapters"), state_root=Path(tmp),
                        log=lambda m: None)
        doc = loop.run()
        store.close()
    it = doc["iterations"][0]["wall_time_s"]
    step_s = it["train"] / steps
    return {"size": size, "params_m": n_params / 1e6, "device": place.device, "dtype": place.dtype, "batch": batch,
            "ours_tok_s": ours_tokens / t_ours, "plain_tok_s": plain_tokens / t_plain,
            "peak_mb": peak_memory_mb(place.device), "grpo_step_s": step_s, "eval_s": it["eval"],
            "eval_share": it["eval"] / it["total"], "eval_share_30": it["eval"] / (it["eval"] + 30 * step_s)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2m,30m,120m")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--eval-samples", type=int, default=1)
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child mode: measure one size
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.device, args.prompts, args.max_tokens, args.steps,
                                 args.eval_samples)))
        return
    rows = []
    for size in args.sizes.split(","):
        cmd = [sys.executable, __file__, "--one", size, "--device", args.device, "--prompts", str(args.prompts),
               "--max-tokens", str(args.max_tokens), "--steps", str(args.steps), "--eval-samples",
               str(args.eval_samples)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode or not lines:
            print(f"{size}: failed (exit {proc.returncode})\n{proc.stderr[-2000:]}")
            continue
        rows.append(json.loads(lines[-1]))
        r = rows[-1]
        print(f"{r['size']:>5} {r['params_m']:6.1f}M {r['device']}/{r['dtype']} batch {r['batch']:3d}: "
              f"hf target {r['ours_tok_s']:8.1f} tok/s, plain generate {r['plain_tok_s']:8.1f} tok/s "
              f"({r['ours_tok_s'] / r['plain_tok_s']:.2f}x); peak {r['peak_mb']:7.0f} MB; GRPO step "
              f"{r['grpo_step_s']:6.2f} s; eval {r['eval_s']:6.1f} s = {r['eval_share']:.0%} of this iteration, "
              f"{r['eval_share_30']:.0%} of a 30-step one", flush=True)
    print(f"load {os.getloadavg()[0]:.1f}, torch threads per process: {os.environ.get('OMP_NUM_THREADS', 'default')}")


if __name__ == "__main__":
    main()
