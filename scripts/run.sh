#!/usr/bin/env bash
# Quick start on embedded defaults: SQLite and a file-system Celery broker in ./data, demo data,
# the web app on http://127.0.0.1:8000 and a real Celery worker. Ctrl-C stops both.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/bootstrap.sh requirements/base.txt
export DJANGO_SETTINGS_MODULE=fertivision.settings.local
# The quick start always runs on its embedded defaults, whatever the shell has exported.
unset DATABASE_URL REDIS_URL CELERY_BROKER_URL
py=.venv/bin/python
host="${FERTIVISION_HOST:-127.0.0.1}"
port="${FERTIVISION_PORT:-8000}"

$py manage.py migrate --noinput -v 0
$py manage.py seed_demo

worker_pid=""
web_pid=""
stop() {
  trap - INT TERM EXIT
  echo
  echo "==> stopping"
  [ -n "$web_pid" ] && kill -TERM "$web_pid" 2>/dev/null || true
  [ -n "$worker_pid" ] && kill -TERM "$worker_pid" 2>/dev/null || true  # warm shutdown
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# Started directly (not through a subshell) so $! is the worker's own PID.
.venv/bin/celery -A fertivision worker -Q default,ml --concurrency 1 --loglevel INFO \
  --hostname "fertivision-local@%h" >data/worker.log 2>&1 &
worker_pid=$!
$py manage.py runserver "$host:$port" --noreload &
web_pid=$!
echo "==> web on http://$host:$port/ (admin at /admin/), Celery worker pid $worker_pid (log: data/worker.log)"
echo "==> Ctrl-C stops both"
wait -n "$web_pid" "$worker_pid" || true
