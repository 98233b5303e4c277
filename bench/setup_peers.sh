#!/usr/bin/env bash
# Installs the peer tools for bench/eval_throughput.py under bench/.work (not part of `make install`).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p .work && cd .work
# `npm init -y` refuses the folder name ".work"; a minimal private package.json does the same job.
[ -f package.json ] || echo '{"name": "gradeloop-bench-peers", "private": true}' > package.json
[ -x node_modules/.bin/promptfoo ] || npm install --silent promptfoo@0.121 js-tiktoken
[ -x inspect-venv/bin/inspect ] || { python3 -m venv inspect-venv && inspect-venv/bin/pip install -q inspect-ai==0.3.285; }
