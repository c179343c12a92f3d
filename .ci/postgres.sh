#!/usr/bin/env bash
# Install (if needed) and start a throwaway PostgreSQL on loopback for the store and SQL
# tests, then export COACHKIT_TEST_PG_URL. Source it: `source .ci/postgres.sh`.
# Idempotent: a second run finds the server up and only re-exports the URL. Quiet: prints
# nothing on success, one line on stderr when something fails. It leaves the caller's
# shell options alone and works under `set -euo pipefail` (as in .ci/run).
# Settings: PGPORT (54329), PGDATA_DIR (/tmp/coachkit-pg).
_coachkit_pg() {
  local port=${PGPORT:-54329} data=${PGDATA_DIR:-/tmp/coachkit-pg} bin exists
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } \
      >/dev/null 2>&1 || { echo "postgres.sh: could not install postgresql" >&2; return 1; }
  fi
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  id postgres >/dev/null 2>&1 || useradd -r postgres || return 1
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data" && chown postgres "$data" || return 1
    su postgres -s /bin/sh -c "$bin/initdb -D '$data' -A trust -U postgres" >/dev/null 2>&1 \
      || { echo "postgres.sh: initdb failed in $data" >&2; return 1; }
  fi
  if ! su postgres -s /bin/sh -c "$bin/pg_ctl -D '$data' status" >/dev/null 2>&1; then
    su postgres -s /bin/sh -c "$bin/pg_ctl -D '$data' -l '$data/log' -w -t 60 \
        -o '-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200' start" \
        >/dev/null 2>&1 || { echo "postgres.sh: server did not start (see $data/log)" >&2; return 1; }
  fi
  exists=$(su postgres -s /bin/sh -c "$bin/psql -h 127.0.0.1 -p $port -U postgres -tAc \
      \"select 1 from pg_database where datname='coachkit_test'\"" 2>/dev/null) || {
    echo "postgres.sh: cannot connect to 127.0.0.1:$port" >&2; return 1; }
  if [ "$exists" != 1 ]; then
    su postgres -s /bin/sh -c "$bin/createdb -h 127.0.0.1 -p $port -U postgres coachkit_test" \
      >/dev/null 2>&1 || { echo "postgres.sh: createdb coachkit_test failed" >&2; return 1; }
  fi
  export COACHKIT_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/coachkit_test"
}
_coachkit_pg || true
unset -f _coachkit_pg
