#!/usr/bin/env bash
# A private PostgreSQL cluster under .state/pg for development and tests.
#   scripts/pg.sh start|stop|status
# Skipped (nothing started) when DB_HOST or PGHOST points at an existing server (scripts/env.sh).
# As root, the server runs as the `postgres` system user (PostgreSQL refuses root).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/env.sh
PORT=$DB_PORT
PGBASE=$ROOT/.state/pg
DATA=$PGBASE/data
BIN=${PG_BIN:-$(dirname "$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -1)")}

die() { echo "pg: ERROR: $*" >&2; exit 1; }
[ -x "$BIN/pg_ctl" ] || die "pg_ctl not found: install PostgreSQL server binaries or set PG_BIN (or PGHOST/DB_HOST for an existing server)"

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$EXTERNAL_DB" = 1 ]; then
    echo "pg: using the existing server at $DB_HOST:$DB_PORT" >&2; exit 0
fi

case "${1:-start}" in
start)
    if [ ! -f "$DATA/PG_VERSION" ]; then
        mkdir -p "$PGBASE"
        [ "$(id -u)" = 0 ] && chown postgres: "$PGBASE"
        as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C >"$PGBASE/initdb.log" 2>&1 \
            || die "initdb failed, see $PGBASE/initdb.log"
    fi
    if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        # A throwaway cluster: durability settings off for speed; loopback only.
        as_pg "$BIN/pg_ctl" -D "$DATA" -l "$PGBASE/server.log" -w -t 60 start -o \
            "-p $PORT -k $PGBASE -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            >/dev/null || die "PostgreSQL did not start, see $PGBASE/server.log"
    fi
    psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qtAc \
        "SELECT 1 FROM pg_roles WHERE rolname='odoo'" | grep -q 1 \
        || psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "CREATE ROLE odoo LOGIN CREATEDB" \
        || die "cannot create the odoo role"
    echo "pg: running on 127.0.0.1:$PORT (data $DATA)" >&2
    ;;
stop)
    [ -f "$DATA/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    ;;
status)
    as_pg "$BIN/pg_ctl" -D "$DATA" status
    ;;
*) die "usage: scripts/pg.sh start|stop|status" ;;
esac
