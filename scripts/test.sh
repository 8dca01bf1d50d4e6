#!/usr/bin/env bash
# The whole test suite: lint, types, migrations, deploy checks and pytest on real PostgreSQL and
# Redis. Uses DATABASE_URL / REDIS_URL when set; otherwise starts private ones and stops them.
# Extra arguments go to pytest (e.g. scripts/test.sh -k patients).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/bootstrap.sh requirements/dev.txt
# shellcheck source=scripts/services.sh
source scripts/services.sh
trap services_stop EXIT
services_start
# Browser tests drive Debian's Chromium; install it like the services when missing.
if ! command -v chromium >/dev/null 2>&1; then _fv_apt_install chromium; fi

export DJANGO_SETTINGS_MODULE=fertivision.settings.test
py=.venv/bin/python

echo "==> ruff"
$py -m ruff check .
$py -m ruff format --check .
echo "==> mypy"
$py -m mypy
echo "==> migrations are committed"
$py manage.py makemigrations --check --dry-run >/dev/null
echo "==> deploy checks (production settings, HTTPS on)"
env -u DJANGO_SETTINGS_MODULE DJANGO_SETTINGS_MODULE=fertivision.settings.production \
  SECRET_KEY="$($py -c 'import secrets; print(secrets.token_urlsafe(64))')" \
  DJANGO_ALLOWED_HOSTS=clinic.example.org \
  FIELD_ENCRYPTION_KEYS="k1:$($py -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')" \
  BLIND_INDEX_KEY="$($py -c 'import secrets; print(secrets.token_urlsafe(32))')" \
  $py manage.py check --deploy --fail-level WARNING
echo "==> pytest"
$py -m pytest "$@"
