#!/usr/bin/env bash
# Start the Django test backend: run.sh PORT REDIS_PORT [serve.py options...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${1:?usage: run.sh PORT REDIS_PORT [options]}"
redis_port="${2:?usage: run.sh PORT REDIS_PORT [options]}"
shift 2
exec "$here/../.venv/bin/python" "$here/serve.py" "$port" --redis-port "$redis_port" "$@"
