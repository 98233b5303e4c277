#!/usr/bin/env bash
# A throwaway PostgreSQL for tests and benchmarks: scripts/postgres.sh start [DIR] | stop [DIR]
#
# start: installs the Debian package if no server is installed (apt-get update + install -y postgresql),
#        creates a cluster in DIR (default: a new temp folder) owned by the postgres user, listening on
#        127.0.0.1 only at a random free port with a random password, and prints its URL on stdout
#        (postgresql://gradeloop:PASSWORD@127.0.0.1:PORT/gradeloop). The folder goes to stderr.
# stop:  stops that cluster and removes its folder (DIR, default the last one started).
# Exit codes: 0 ok; 3 PostgreSQL is not installed and apt-get is unavailable or failed; 1 anything else.
set -euo pipefail

LAST="${TMPDIR:-/tmp}/gradeloop-pg.last"

find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

install_server() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: PostgreSQL is not installed and apt-get is not available" >&2; exit 3
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "postgres.sh: PostgreSQL is not installed and installing it needs root (apt-get)" >&2; exit 3
  fi
  # The Debian package would start a cluster of its own on 5432: keep it from starting services.
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2; }; then
    echo "postgres.sh: apt-get install postgresql failed" >&2; exit 3
  fi
}

as_owner() {  # run a command as the cluster's owner: postgres when we are root (initdb refuses root)
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

install_once() {  # two starts at once (parallel test workers) install once: the second waits, then finds it
  local lock="${TMPDIR:-/tmp}/gradeloop-pg-install.lock"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$lock"
    flock 9
  fi
  find_bin >/dev/null || install_server
  if command -v flock >/dev/null 2>&1; then exec 9>&-; fi
}

start() {
  local dir="${1:-}" bin port password
  bin="$(find_bin)" || { install_once; bin="$(find_bin)" || { echo "postgres.sh: no initdb after install" >&2; exit 3; }; }
  if [ -z "$dir" ]; then dir="$(mktemp -d "${TMPDIR:-/tmp}/gradeloop-pg.XXXXXX")"; fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  password="$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
  printf '%s\n' "$password" > "$dir/pwfile"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir/pwfile"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U gradeloop --pwfile="$dir/pwfile" --auth=scram-sha-256 \
    -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$dir/pwfile"
  for attempt in 1 2 3; do
    port="$(free_port)"
    # A throwaway cluster: no fsync (its data dies with it); sockets only in its own folder.
    # -t 300: only a hang guard (a loaded machine can take a while to start a server)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 300 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null 2>&1; then
      break
    fi
    # a server still starting (or one that lost its port) must be gone before the next attempt
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    port=""
  done
  if [ -z "$port" ]; then cat "$dir/server.log" >&2 || true; exit 1; fi
  PGPASSWORD="$password" as_owner env PGPASSWORD="$password" "$bin/createdb" -h 127.0.0.1 -p "$port" -U gradeloop gradeloop
  local url="postgresql://gradeloop:$password@127.0.0.1:$port/gradeloop"
  printf '%s\n' "$url" > "$dir/url"
  printf '%s\n' "$bin" > "$dir/bin"
  printf '%s\n' "$dir" > "$LAST"
  echo "postgres.sh: cluster in $dir" >&2
  printf '%s\n' "$url"
}

stop() {
  local dir="${1:-}"
  if [ -z "$dir" ]; then dir="$(cat "$LAST" 2>/dev/null || true)"; fi
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then echo "postgres.sh: no cluster to stop" >&2; return 0; fi
  local bin
  bin="$(cat "$dir/bin" 2>/dev/null || find_bin || true)"
  if [ -n "$bin" ] && [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  if [ "$(cat "$LAST" 2>/dev/null || true)" = "$dir" ]; then rm -f "$LAST"; fi
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: scripts/postgres.sh start [DIR] | stop [DIR]" >&2; exit 2 ;;
esac
