#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server for the tests (Debian's postgresql package).
#   postgres-test-server.sh start DIR   initdb (once) + pg_ctl start; listens only on the Unix
#                                       socket DIR/.s.PGSQL.5432; superuser "fleetpatch", trust auth
#   postgres-test-server.sh start-if-installed DIR
#                                       the same, but without server binaries it does nothing (exit 0)
#                                       unless CI=true, where a missing server is a failure
#   postgres-test-server.sh stop DIR    pg_ctl stop -m immediate and removes DIR
# PostgreSQL refuses to run as root, so as root (CI) the server runs as the unprivileged user
# $FP_POSTGRES_TEST_USER (default: nobody) through runuser. fsync is off: the data is throwaway.
# FP_POSTGRES_SERVER_OPTS adds server options (e.g. "-c log_statement=all" for bench/run.sh --postgres).
# FP_POSTGRES_BIN overrides the server binaries' directory (default: the newest
# /usr/lib/postgresql/*/bin). Exit 3: no server binaries installed.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?directory}
bin=${FP_POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}
user=${FP_POSTGRES_TEST_USER:-nobody}

# From /, so that a checkout the server user cannot read (CI's /root/...) draws no warnings.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u "$user" -- "$@"); else "$@"; fi
}

if [ "$cmd" = start-if-installed ]; then
  if [ "${CI:-}" != true ] && { [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; }; then
    echo "postgres-test-server: no PostgreSQL server binaries; the PostgreSQL tests will be skipped" >&2
    exit 0
  fi
  cmd=start
fi

case "$cmd" in
  start)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
      echo "postgres-test-server: no PostgreSQL server binaries (install the postgresql package)" >&2
      exit 3
    fi
    mkdir -p "$dir"
    if [ -S "$dir/.s.PGSQL.5432" ] && as_server_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      exit 0  # already running (a second fixture run)
    fi
    chmod 700 "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown "$user" "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_server_user "$bin/initdb" -D "$dir/data" -A trust -U fleetpatch -N -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-k $dir -c listen_addresses= -F -c max_connections=200 ${FP_POSTGRES_SERVER_OPTS:-}" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    if [ -d "$dir/data" ] && [ -n "$bin" ]; then
      as_server_user "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
