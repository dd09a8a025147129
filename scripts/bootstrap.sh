#!/usr/bin/env bash
# Prepares this machine for Connex: system packages, virtualenv, PostgreSQL, Redis, database.
# Idempotent: every step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
DB_NAME=${DB_NAME:-connex}
# Debian packages: Chromium for browser tests, Pango for WeasyPrint, poppler for reading PDFs back,
# the PostgreSQL/Redis clients, and the switch used by the `switch` tests: Kamailio 5.6 with
# http_client (utils modules) and jansson (extra modules), SIPp (sip-tester), and wrk, the HTTP load
# generator of benchmarks/switch_api.py.
# A package counts as present when its command, library or module is.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v kamailio >/dev/null 2>&1 || missing+=(kamailio)
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
for pkg in libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core kamailio-utils-modules kamailio-extra-modules; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> Installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> Creating virtualenv $VENV"
  $PY -m venv "$VENV"
fi
stamp="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "==> Installing Python packages"
  "$VENV/bin/pip" install -q --disable-pip-version-check -e '.[dev]'
  rm -f "$VENV"/.installed-* && touch "$stamp"
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "==> Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "==> Starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1; then
  echo "==> Creating database $DB_NAME"
  createdb -h 127.0.0.1 -U postgres "$DB_NAME"
fi
