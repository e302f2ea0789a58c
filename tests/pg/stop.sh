#!/usr/bin/env bash
# Stop the throwaway server started by tests/pg/start.sh DIR and remove DIR.
set -uo pipefail
DIR=${1:?usage: tests/pg/stop.sh DIR}
[ -d "$DIR" ] || exit 0
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -n "$BIN" ] && [ -f "$DIR/data/postmaster.pid" ]; then
  AS=()
  [ "$(id -u)" -eq 0 ] && AS=(runuser -u postgres --)
  "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
    || "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
fi
rm -rf "$DIR"
