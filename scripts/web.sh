#!/usr/bin/env bash
# The web server production runs (Procfile, Dockerfile, docker-compose and benchmarks/switch_api.py
# all start it through this script): Granian, a Rust HTTP server, serving the panel's WSGI app.
# HTTP parsing and connection handling stay out of Python, which halves the server's CPU per
# request against gunicorn's gthread workers and keeps the switch API's p99 flat under load.
# Two processes of two threads suit a 2-core machine: more threads only queue on the GIL.
# Every setting is Granian's own environment variable (GRANIAN_PORT, GRANIAN_WORKERS, ...);
# extra arguments are passed on (e.g. --access-log).
set -euo pipefail
cd "$(dirname "$0")/.."
export GRANIAN_HOST=${GRANIAN_HOST:-127.0.0.1}
export GRANIAN_PORT=${GRANIAN_PORT:-8000}
export GRANIAN_WORKERS=${GRANIAN_WORKERS:-2}
export GRANIAN_BLOCKING_THREADS=${GRANIAN_BLOCKING_THREADS:-2}
GRANIAN=granian
[ -x .venv/bin/granian ] && GRANIAN=.venv/bin/granian
exec "$GRANIAN" --interface wsgi --http 1 --no-ws connex.wsgi:application "$@"
