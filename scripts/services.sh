#!/usr/bin/env bash
# Start private PostgreSQL and Redis on loopback for the test run (sourced by test.sh).
# Installs them with apt-get when missing and we are root on Debian. Exports DATABASE_URL and
# REDIS_URL; `services_stop` (registered as an EXIT trap by the caller) stops both.

_fv_services_dir=""
_fv_pg_bin=""
_fv_redis_pid=""

_fv_apt_install() {
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "error: $* missing; install them or set DATABASE_URL and REDIS_URL" >&2
    return 1
  fi
}

_fv_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

services_start() {
  _fv_services_dir="$(mktemp -d /tmp/fertivision-services.XXXXXX)"
  chmod 755 "$_fv_services_dir"
  if [ -z "${DATABASE_URL:-}" ]; then
    if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then _fv_apt_install postgresql; fi
    _fv_pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    local pgdata="$_fv_services_dir/pg" port
    port="$(_fv_free_port)"
    mkdir -p "$pgdata"
    local run=()
    if [ "$(id -u)" = "0" ]; then
      chown postgres:postgres "$_fv_services_dir" "$pgdata"
      run=(runuser -u postgres --)
    fi
    (cd / && "${run[@]}" "$_fv_pg_bin/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 >/dev/null)
    (cd / && "${run[@]}" "$_fv_pg_bin/pg_ctl" -D "$pgdata" -l "$_fv_services_dir/pg.log" -w -t 30 \
      -o "-k $_fv_services_dir -c listen_addresses=127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null)
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/fertivision"
    echo "==> PostgreSQL $("$_fv_pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
  fi
  if [ -z "${REDIS_URL:-}" ]; then
    if ! command -v redis-server >/dev/null 2>&1; then _fv_apt_install redis-server; fi
    local rport
    rport="$(_fv_free_port)"
    redis-server --bind 127.0.0.1 --port "$rport" --daemonize yes --save "" --appendonly no \
      --pidfile "$_fv_services_dir/redis.pid" --dir "$_fv_services_dir" --logfile "$_fv_services_dir/redis.log"
    for _ in $(seq 1 50); do
      redis-cli -p "$rport" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    _fv_redis_pid="$(cat "$_fv_services_dir/redis.pid")"
    export REDIS_URL="redis://127.0.0.1:$rport/0"
    echo "==> Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$rport"
  fi
}

services_stop() {
  if [ -n "$_fv_pg_bin" ] && [ -d "$_fv_services_dir/pg" ]; then
    local run=()
    [ "$(id -u)" = "0" ] && run=(runuser -u postgres --)
    (cd / && "${run[@]}" "$_fv_pg_bin/pg_ctl" -D "$_fv_services_dir/pg" -m fast -w stop >/dev/null 2>&1) || true
  fi
  if [ -n "$_fv_redis_pid" ]; then
    kill "$_fv_redis_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$_fv_redis_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  [ -n "$_fv_services_dir" ] && rm -rf "$_fv_services_dir"
}
