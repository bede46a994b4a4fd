#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers for tests, benchmarks and trying `make run-prod` locally.
#
#   scripts/services.sh start [DIR]   start both (data in DIR, default a new temporary folder) on free
#                                     ports; prints the POBYT_DB_* / POBYT_REDIS_* variables to use
#                                     (also written to DIR/env, ready for `set -a; . DIR/env; set +a`)
#   scripts/services.sh stop DIR      stop both and delete DIR
#   scripts/services.sh pg-stop DIR   stop only PostgreSQL (outage tests); pg-start DIR starts it again
#
# Debian's `postgresql` and `redis-server` packages provide the programs (`make services` installs them).
# PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user the package creates.
# Both listen on 127.0.0.1 only; PostgreSQL's unix socket and log live in DIR/pg-run, not in /var/run.
set -euo pipefail

die() { echo "services.sh: $*" >&2; exit 1; }
# Any Python 3 for free ports and random passwords: the system's, else the project's virtualenv.
PYTHON=$(command -v python3 || echo "$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python")

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
  done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return; }
  die "PostgreSQL is not installed (Debian package postgresql; run \`make services\`)"
}

# Runs a PostgreSQL command as a non-root user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Polls a command until it succeeds (bounded: 30 s).
wait_for() {
  local _
  for _ in $(seq 1 150); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

pg_start() {
  local dir=$1 bin
  bin=$(pg_bin)
  # shellcheck disable=SC1091
  . "$dir/env"
  as_pg "$bin/pg_ctl" -D "$dir/pg" -l "$dir/pg-run/pg.log" -w -t 60 \
    -o "-p $POBYT_DB_PORT -k $dir/pg-run -c listen_addresses=127.0.0.1" start >/dev/null ||
    die "PostgreSQL did not start; see $dir/pg-run/pg.log"
}

pg_stop() {
  local dir=$1
  [ -f "$dir/pg/postmaster.pid" ] || return 0
  as_pg "$(pg_bin)/pg_ctl" -D "$dir/pg" -m fast -w -t 60 stop >/dev/null
}

start() {
  local dir=${1:-} bin password redis_password pg_port redis_port
  command -v redis-server >/dev/null || die "redis-server is not installed (Debian package redis-server; run \`make services\`)"
  bin=$(pg_bin)
  [ -n "$dir" ] || dir=$(mktemp -d /tmp/pobyt-services.XXXXXX)
  mkdir -p "$dir/pg-run" "$dir/redis"
  dir=$(cd "$dir" && pwd)
  # A failed start leaves nothing running or behind.
  trap 'stop "$dir" 2>/dev/null || rm -rf "$dir"' EXIT
  # The postgres user must reach its data, socket and log folders.
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir/pg-run"
  password=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')
  redis_password=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')
  pg_port=$(free_port)
  redis_port=$(free_port)

  # The superuser `pobyt` logs in with a password over TCP, like a production client.
  (umask 077 && echo "$password" >"$dir/pg-password")
  [ "$(id -u)" = 0 ] && chown postgres: "$dir/pg-password"
  if [ "$(id -u)" = 0 ]; then install -d -o postgres -g postgres -m 700 "$dir/pg"; else install -d -m 700 "$dir/pg"; fi
  as_pg "$bin/initdb" -D "$dir/pg" -U pobyt --pwfile="$dir/pg-password" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    die "initdb failed; see $dir/initdb.log"
  rm -f "$dir/pg-password"
  cat >"$dir/env" <<ENV
POBYT_DB_HOST=127.0.0.1
POBYT_DB_PORT=$pg_port
POBYT_DB_NAME=pobyt
POBYT_DB_USER=pobyt
POBYT_DB_PASSWORD=$password
POBYT_REDIS_HOST=127.0.0.1
POBYT_REDIS_PORT=$redis_port
POBYT_REDIS_DB=1
POBYT_REDIS_PASSWORD=$redis_password
ENV
  chmod 644 "$dir/env"
  pg_start "$dir"
  as_pg "$bin/psql" -h "$dir/pg-run" -p "$pg_port" -U pobyt -d postgres -q -c 'CREATE DATABASE pobyt' >/dev/null
  redis-server --bind 127.0.0.1 --port "$redis_port" --requirepass "$redis_password" --dir "$dir/redis" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save '' --appendonly no
  wait_for redis-cli -h 127.0.0.1 -p "$redis_port" --no-auth-warning -a "$redis_password" ping ||
    die "redis-server did not start; see $dir/redis.log"
  trap - EXIT
  echo "POBYT_SERVICES_DIR=$dir"
  cat "$dir/env"
}

stop() {
  local dir=${1:?usage: services.sh stop DIR} pid
  [ -f "$dir/env" ] || die "$dir holds no services"
  pg_stop "$dir" || true
  if [ -f "$dir/redis.pid" ]; then
    pid=$(cat "$dir/redis.pid")
    kill "$pid" 2>/dev/null || true
    wait_for sh -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  pg-stop) pg_stop "${2:?usage: services.sh pg-stop DIR}" ;;
  pg-start) pg_start "${2:?usage: services.sh pg-start DIR}" ;;
  *) echo "usage: scripts/services.sh start [DIR] | stop DIR | pg-stop DIR | pg-start DIR" >&2; exit 2 ;;
esac
