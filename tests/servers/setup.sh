#!/usr/bin/env bash
# Install the test backends' dependencies, idempotently:
#   tests/servers/.venv            Django (seeds 000-002) + furniture (seed 004) requirements
#   tests/servers/socketio/node_modules   npm ci from the committed package-lock.json (seed 003)
# Each part is skipped when a stamp holding the hash of its requirement files matches.
# PYTHON selects the interpreter for the venv (default: python3, which must be 3.11+).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
venv="$here/.venv"

py_hash="$(cat "$here/django/requirements.txt" "$here/furniture/requirements.txt" | sha256sum | cut -c1-64)"
if [[ -f "$venv/.stamp" && "$(cat "$venv/.stamp")" == "$py_hash" && -x "$venv/bin/python" ]]; then
  echo "setup: python venv up to date"
else
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "setup: $python is older than 3.11" >&2; exit 1; }
  [[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$here/django/requirements.txt" -r "$here/furniture/requirements.txt"
  echo "$py_hash" > "$venv/.stamp"
  echo "setup: python venv ready ($venv)"
fi

sio="$here/socketio"
js_hash="$(cat "$sio/package.json" "$sio/package-lock.json" | sha256sum | cut -c1-64)"
if [[ -f "$sio/node_modules/.aviso-stamp" && "$(cat "$sio/node_modules/.aviso-stamp")" == "$js_hash" ]]; then
  echo "setup: node_modules up to date"
else
  (cd "$sio" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$js_hash" > "$sio/node_modules/.aviso-stamp"
  echo "setup: node_modules ready ($sio/node_modules)"
fi
