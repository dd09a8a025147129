#!/usr/bin/env bash
# The whole suite: lint, Django checks, migrations up to date, pytest (parallel).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/connex}
export DEBUG=${DEBUG:-true}  # a developer machine; tests/connex/test_production_settings.py checks DEBUG off
echo "==> ruff"; .venv/bin/ruff check .
echo "==> manage.py check"; .venv/bin/python manage.py check
echo "==> makemigrations --check"; .venv/bin/python manage.py makemigrations --check --dry-run
echo "==> pytest"; .venv/bin/pytest -n "${PYTEST_WORKERS:-2}" "$@"
