#!/usr/bin/env bash
# Install (once, in its own venv; llama-cpp-python compiles llama.cpp, ~10 min on 2 cores), convert a model
# folder to GGUF and serve it OpenAI-compatible on 127.0.0.1. Prints the base URL; `stop` ends it.
#   scripts/servers/llama-cpp.sh start MODEL_DIR [PORT]    scripts/servers/llama-cpp.sh stop
set -euo pipefail
. "$(dirname "$0")/common.sh"
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$HERE/bench/.work"
VENV="$WORK/llama-venv"
PIDFILE="$WORK/llama.pid"
case "${1:-}" in
  start)
    model="${2:?model folder}"; port="${3:-8012}"
    mkdir -p "$WORK"
    if [ ! -x "$VENV/bin/python" ]; then
      python3 -m venv "$VENV"
      "$VENV/bin/pip" install -q "llama-cpp-python[server]==0.3.36" sentencepiece numpy safetensors \
        "transformers>=5,<6" torch==2.13.0
    fi
    gguf="$WORK/$(basename "$model").gguf"
    if [ ! -f "$gguf" ]; then
      # the converter ships in llama-cpp-python's source package; the demo tokenizer is byte-level BPE: force
      # the gpt-2 pre-tokenizer the converter does not recognise by hash
      [ -d "$WORK/llama-src" ] || { "$VENV/bin/pip" download -q --no-deps --no-binary :all: \
        "llama-cpp-python==0.3.36" -d "$WORK/llama-sdist" && mkdir -p "$WORK/llama-src" && \
        tar -xzf "$WORK"/llama-sdist/llama_cpp_python-*.tar.gz -C "$WORK/llama-src" --strip-components 1; }
      llama="$WORK/llama-src/vendor/llama.cpp"
      "$VENV/bin/pip" install -q -e "$llama/gguf-py"
      # the demo tokenizer is byte-level BPE whose hash the converter does not know: read it as gpt-2
      "$VENV/bin/python" - "$llama" "$model" "$gguf" <<'PY'
import runpy, sys
llama, model, out = sys.argv[1:4]
sys.path.insert(0, llama)
import conversion.base as base
known = base.TextModel.get_vocab_base_pre
def pre(self, tokenizer):
    try:
        return known(self, tokenizer)
    except NotImplementedError:
        return "gpt-2"
base.TextModel.get_vocab_base_pre = pre
sys.argv = ["convert_hf_to_gguf.py", model, "--outfile", out, "--outtype", "f32"]
runpy.run_path(f"{llama}/convert_hf_to_gguf.py", run_name="__main__")
PY
    fi
    nohup "$VENV/bin/python" -m llama_cpp.server --model "$gguf" --host 127.0.0.1 --port "$port" \
      --n_ctx 256 > "$WORK/llama.log" 2>&1 &
    echo $! > "$PIDFILE"
    serve_wait "llama.cpp server" "$port" "$PIDFILE" "$WORK/llama.log" 120 ;;
  stop)
    serve_stop "$PIDFILE" ;;
  *) echo "usage: $0 start MODEL_DIR [PORT] | stop" >&2; exit 2 ;;
esac
