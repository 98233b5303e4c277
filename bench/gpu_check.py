"""The GPU check (run by bench/gpu_check.sh): eval with device=auto and one GRPO iteration on a GPU.

Prints the device, then for the tiny model (~2M) and a ~30M model: hf-target tokens/s vs a plain
generate loop, peak GPU memory, seconds per GRPO step and the evaluation share of the iteration.
GRPO generates through vLLM (colocate mode) when vLLM is importable, else through transformers.
Without CUDA it says so and exits 0 (GPU_CHECK_FORCE=1 runs it anyway, on whatever `auto` finds,
to check the script itself).
"""
from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    import torch

    if not torch.cuda.is_available() and os.environ.get("GPU_CHECK_FORCE") != "1":
        print("gpu_check: torch sees no CUDA device: nothing to check here (exit 0)")
        return 0
    from gradeloop.devices import resolve
    from scale_curve import measure

    place = resolve("auto")
    name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU (forced run)"
    vllm = importlib.util.find_spec("vllm") is not None
    print(f"torch {torch.__version__}, device {place.device} ({name}), dtype {place.dtype}, "
          f"vLLM {'yes: GRPO generation in colocate mode' if vllm else 'not installed: GRPO generates with transformers'}")
    trainer = {"use_vllm": True, "vllm_mode": "colocate", "vllm_gpu_memory_utilization": 0.3} if vllm else {}
    started = time.perf_counter()
    for size in ("2m", "30m"):
        r = measure(size, "auto", prompts=256, max_tokens=48, steps=5, eval_samples=4, trainer=trainer)
        print(f"{size:>4} ({r['params_m']:.1f}M params, batch {r['batch']}): hf target {r['ours_tok_s']:.0f} tok/s vs "
              f"plain generate {r['plain_tok_s']:.0f} tok/s; peak memory {r['peak_mb']:.0f} MB; GRPO step "
              f"{r['grpo_step_s']:.2f} s; evaluation {r['eval_share']:.0%} of the iteration", flush=True)
    print(f"gpu_check: done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
