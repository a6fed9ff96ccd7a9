#!/usr/bin/env bash
# Smoke test of the three test backends: starts its own Redis and each server on free loopback ports
# (the Socket.IO and furniture servers twice: default, and in their other reading: --reading twins
# --twin-order specific-first, --greeting), drives each with a real client (smoke/checks.py,
# socketio/smoke.mjs), stops everything on exit.
# Last line: "N passed, N failed"; exit status 1 when anything failed.
# Runs setup.sh first (a no-op when up to date); SMOKE_SKIP_SETUP=1 skips it. SMOKE_KEEP_LOGS=1 keeps
# the server logs (their directory is printed).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="$here/.venv/bin/python"
work="$(mktemp -d "${TMPDIR:-/tmp}/aviso-smoke.XXXXXX")"
results="$work/results"
: > "$results"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  if [[ "${SMOKE_KEEP_LOGS:-0}" == 1 ]]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail() { echo "FAIL $*" | tee -a "$results"; }

# start NAME COMMAND... : run in the background, output to $work/NAME.log
start() {
  local name="$1"; shift
  "$@" > "$work/$name.log" 2>&1 &
  pids+=("$!")
  eval "${name}_pid=$!"
}

# ready NAME : wait (20 s max) for the "READY <port>" line; prints the port
ready() {
  local name="$1" pid_var="${1}_pid" port=""
  for _ in $(seq 200); do
    port="$(awk '/^READY /{print $2; exit}' "$work/$name.log")"
    [[ -n "$port" ]] && { echo "$port"; return 0; }
    kill -0 "${!pid_var}" 2>/dev/null || break
    sleep 0.1
  done
  echo "--- $name log ---" >&2; tail -n 30 "$work/$name.log" >&2
  return 1
}

# client NAME COMMAND... : run a check client, collect its PASS/FAIL lines; a crash counts as a failure
client() {
  local name="$1"; shift
  "$@" 2>"$work/$name.err" | tee "$work/$name.out"
  local status="${PIPESTATUS[0]}"
  cat "$work/$name.out" >> "$results"
  if [[ "$status" != 0 ]] && ! grep -q '^FAIL' "$work/$name.out"; then
    fail "$name client exited with $status: $(tail -n 5 "$work/$name.err")"
  fi
}

if [[ "${SMOKE_SKIP_SETUP:-0}" != 1 ]]; then
  "$here/setup.sh" > "$work/setup.log" 2>&1 || { cat "$work/setup.log"; fail "setup.sh"; }
fi
[[ -x "$py" && -d "$here/socketio/node_modules" ]] || { fail "run tests/servers/setup.sh first"; exit 1; }

# Redis takes no port 0 and says no port: it listens on a socket file of this run only.
redis_sock="$work/redis.sock"
start redis redis-server --port 0 --unixsocket "$redis_sock" --save '' --appendonly no
for _ in $(seq 50); do
  [[ "$(redis-cli -s "$redis_sock" ping 2>/dev/null)" == PONG ]] && break
  sleep 0.1
done

start django "$py" "$here/django/serve.py" 0 --redis-url "unix://$redis_sock"
start socketio node "$here/socketio/server.js" 0
start socketio_twins node "$here/socketio/server.js" 0 --reading twins --twin-order specific-first
start furniture "$py" "$here/furniture/websocket_server.py" --port 0
start furniture_greeting "$py" "$here/furniture/websocket_server.py" --port 0 --greeting

if port="$(ready django)"; then
  client django "$py" "$here/smoke/checks.py" django "http://127.0.0.1:$port"
else
  fail "django server did not start"
fi
if port="$(ready socketio)"; then
  client socketio node "$here/socketio/smoke.mjs" "http://127.0.0.1:$port"
else
  fail "socketio server did not start"
fi
if port="$(ready socketio_twins)"; then
  client socketio_twins node "$here/socketio/smoke.mjs" "http://127.0.0.1:$port" twins
else
  fail "socketio server (--reading twins) did not start"
fi
if port="$(ready furniture)"; then
  client furniture "$py" "$here/smoke/checks.py" furniture "ws://127.0.0.1:$port"
else
  fail "furniture server did not start"
fi
if port="$(ready furniture_greeting)"; then
  client furniture_greeting "$py" "$here/smoke/checks.py" furniture-greeting "ws://127.0.0.1:$port"
else
  fail "furniture server (--greeting) did not start"
fi

passed="$(grep -c '^PASS' "$results")"
failed="$(grep -c '^FAIL' "$results")"
echo "$passed passed, $failed failed"
[[ "$failed" == 0 && "$passed" -gt 0 ]]
