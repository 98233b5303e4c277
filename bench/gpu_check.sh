#!/usr/bin/env bash
# The GPU check, one command from a fresh clone: installs (make install), then on a machine where torch
# sees CUDA evaluates the tiny model and a ~30M model with device=auto, runs one GRPO iteration (vLLM
# colocate generation when vLLM is installed, else transformers) and prints throughput and memory.
# Under 8 minutes on one GPU. Without a GPU it says so and exits 0.
#   bash bench/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
make install >/dev/null
# the demo model is built locally; nothing needs the hub (set for this command only)
HF_HUB_OFFLINE=1 timeout 470 .venv/bin/python bench/gpu_check.py
