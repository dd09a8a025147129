#!/usr/bin/env bash
# The web server production runs (Procfile, Dockerfile, docker-compose and benchmarks/switch_api.py
# all start it through this script): Granian, a Rust HTTP server, serving the panel's WSGI app.
# HTTP parsing and connection handling stay out of Python, which halves the server's CPU per
# request against gunicorn's gthread workers and keeps the switch API's p99 flat under load.
# Four single-threaded processes suit a 2-core machine (two per core: one computes while another
# waits on Redis or PostgreSQL); threads in one process only queue on its GIL. Measured on the
# switch benchmark, 4 × 1 served a quarter more authorizations than 2 × 2 and 2 × 4.
# Every setting is Granian's own environment variable (GRANIAN_PORT, GRANIAN_WORKERS, ...);
# extra arguments are passed on (e.g. --access-log).
set -euo pipefail
cd "$(dirname "$0")/.."
export GRANIAN_HOST=${GRANIAN_HOST:-127.0.0.1}
export GRANIAN_PORT=${GRANIAN_PORT:-8000}
export GRANIAN_WORKERS=${GRANIAN_WORKERS:-4}
export GRANIAN_BLOCKING_THREADS=${GRANIAN_BLOCKING_THREADS:-1}
GRANIAN=granian
[ -x .venv/bin/granian ] && GRANIAN=.venv/bin/granian
exec "$GRANIAN" --interface wsgi --http 1 --no-ws connex.wsgi:application "$@"
