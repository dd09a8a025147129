#!/usr/bin/env bash
# Sets everything up, loads demo data and runs web, Celery worker and beat until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/connex}
# A developer machine: plain http on 127.0.0.1 and the development secret key (see .env.example).
export DEBUG=${DEBUG:-true}
export STATICFILES_STORAGE=${STATICFILES_STORAGE:-django.contrib.staticfiles.storage.StaticFilesStorage}
export WHITENOISE_USE_FINDERS=${WHITENOISE_USE_FINDERS:-true}
M=".venv/bin/python manage.py"
$M migrate --noinput -v0
$M setup_periodic_tasks
$M seed_demo
$M ensure_staff --reset
echo "==> Connex on http://127.0.0.1:8000 (web, worker, beat). Ctrl-C stops all three."
exec .venv/bin/honcho start -f Procfile
