#!/usr/bin/env bash
# Install (if needed) and start a throwaway PostgreSQL on loopback for the store and SQL
# tests, then export COACHKIT_TEST_PG_URL. Source it: `source .ci/postgres.sh`.
# Idempotent: a second run finds the server up and only re-exports the URL.
set -u
PGPORT=${PGPORT:-54329}
PGDATA=${PGDATA_DIR:-/tmp/coachkit-pg}
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
    || echo "postgres.sh: could not install postgresql" >&2
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -n "$BIN" ]; then
  id postgres >/dev/null 2>&1 || useradd -r postgres
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA" && chown postgres "$PGDATA"
    su postgres -s /bin/sh -c "$BIN/initdb -D $PGDATA -A trust -U postgres >/dev/null"
  fi
  if ! su postgres -s /bin/sh -c "$BIN/pg_ctl -D $PGDATA status" >/dev/null 2>&1; then
    su postgres -s /bin/sh -c "$BIN/pg_ctl -D $PGDATA -l $PGDATA/log -w -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200' start" >/dev/null
  fi
  su postgres -s /bin/sh -c "psql -h 127.0.0.1 -p $PGPORT -U postgres -tc \"select 1 from pg_database where datname='coachkit_test'\" | grep -q 1 || createdb -h 127.0.0.1 -p $PGPORT -U postgres coachkit_test"
  export COACHKIT_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/coachkit_test"
  echo "postgres.sh: COACHKIT_TEST_PG_URL=$COACHKIT_TEST_PG_URL"
fi
