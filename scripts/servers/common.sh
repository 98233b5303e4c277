# Shared by the server scripts (sourced): wait for an OpenAI-compatible server started in the background.
# serve_wait NAME PORT PIDFILE LOG SECONDS: prints the base URL and exits 0 once /v1/models answers;
# exits 1 with the log's tail when the process dies, or after SECONDS.
serve_wait() {
  local name=$1 port=$2 pidfile=$3 log=$4 seconds=$5
  for _ in $(seq 1 "$seconds"); do
    curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null 2>&1 && { echo "http://127.0.0.1:$port/v1"; exit 0; }
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -20 "$log" >&2; exit 1; }
    sleep 1
  done
  echo "$name did not answer within $seconds s; log: $log" >&2
  exit 1
}

# serve_stop PIDFILE: stop the server a start recorded, if any.
serve_stop() {
  [ -f "$1" ] && kill "$(cat "$1")" 2>/dev/null || true
  rm -f "$1"
}
