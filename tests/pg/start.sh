#!/usr/bin/env bash
# Start a throwaway PostgreSQL + PostGIS server for the tests; print its URL.
#
#   tests/pg/start.sh DIR      → prints postgresql://postgres@127.0.0.1:PORT/kontum_test
#   tests/pg/stop.sh DIR       → stops it and removes DIR
#
# The cluster lives in DIR (created if missing): data in DIR/data, the unix
# socket in DIR, the log in DIR/log; it listens on the socket and on a free
# loopback port, with trust authentication (nothing leaves the machine) and
# without fsync (a test database).  The Debian packages `postgresql` and
# `postgresql-15-postgis-3` are installed with apt-get when initdb or the
# PostGIS extension is missing (root, or sudo).  PostgreSQL refuses to run as
# root: as root the server runs as the `postgres` user, which owns DIR.
# Exit status 1 with a one-line message on stderr when it cannot start.
set -euo pipefail

DIR=${1:?usage: tests/pg/start.sh DIR}
PGVER=${PGVER:-15}
DB=${PGDATABASE_TEST:-kontum_test}

die() { echo "tests/pg/start.sh: $*" >&2; exit 1; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
have_postgis() { ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; }

BIN=$(bindir || true)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ] || ! have_postgis; then
  echo "tests/pg/start.sh: installing PostgreSQL $PGVER + PostGIS from Debian packages" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "PostgreSQL/PostGIS missing and not root (no sudo): apt-get install postgresql postgresql-$PGVER-postgis-3"
    SUDO="sudo -n"
  fi
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      "postgresql-$PGVER" "postgresql-$PGVER-postgis-3" postgresql-client >/dev/null; } \
    || die "apt-get install postgresql-$PGVER-postgis-3 failed"
  BIN=$(bindir || true)
  [ -n "$BIN" ] && [ -x "$BIN/initdb" ] && have_postgis || die "initdb or the PostGIS extension still missing"
fi

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
AS=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root and there is no postgres user to run the server"
  chown postgres "$DIR"
  chmod 700 "$DIR"
  AS=(runuser -u postgres --)
fi

PY=$(command -v python3 || true)
[ -n "$PY" ] || die "python3 is needed to pick a free port"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
  >"$DIR/initdb.log" 2>&1 || die "initdb failed (see $DIR/initdb.log)"
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 -o \
  "-k $DIR -p $PORT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || die "the server did not start (see $DIR/log)"
echo "$PORT" >"$DIR/port" 2>/dev/null || true

"${AS[@]}" "$BIN/createdb" -h "$DIR" -p "$PORT" -U postgres "$DB" || die "createdb $DB failed"
"${AS[@]}" "$BIN/psql" -q -h "$DIR" -p "$PORT" -U postgres -d "$DB" -v ON_ERROR_STOP=1 \
  -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null || die "CREATE EXTENSION postgis failed"

echo "postgresql://postgres@127.0.0.1:$PORT/$DB"
