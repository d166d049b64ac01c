#!/usr/bin/env bash
# Starts (or reuses) a throwaway PostgreSQL cluster for the store tests and prints its URL on stdout;
# everything else goes to stderr so that `export DIALTONE_TEST_POSTGRES_URL=$(scripts/ci-postgres.sh)`
# works. Idempotent: a second run finds the cluster running and prints the same URL.
# Settings: DIALTONE_PG_PORT (default 54329), DIALTONE_PG_DIR (default /tmp/dialtone-pg-<port>).
set -euo pipefail

port="${DIALTONE_PG_PORT:-54329}"
dir="${DIALTONE_PG_DIR:-/tmp/dialtone-pg-$port}"
role=dialtone
database=dialtone_test

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "ci-postgres: installing postgresql with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
  bin="$(find_bin)"
fi

# initdb and postgres refuse to run as root; the Debian package creates the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if [ ! -f "$dir/PG_VERSION" ]; then
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  # trust on loopback only: the cluster listens on 127.0.0.1 and lives for one CI run.
  as_owner "$bin/initdb" -D "$dir" -U "$role" --auth=trust -E UTF8 --no-locale >&2
fi

if ! as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  # fsync stays on: the tests exercise durability paths and must see the real behaviour.
  as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >&2
fi

if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U "$role" -d postgres -tAc \
  "select 1 from pg_database where datname = '$database'" | grep -q 1; then
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$role" "$database" >&2
fi

echo "postgres://$role@127.0.0.1:$port/$database"
