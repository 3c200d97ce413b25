#!/usr/bin/env bash
# Benchmarks: numbers and ratios measured in one run (see bench/*.py for what and how much).
#   SHOP_SYNC_BENCH_DB       database of the pipeline benchmarks (default shopsync_bench; created with
#                            shop_sync_base when missing, updated otherwise; nothing stays in it)
#   SHOP_SYNC_BENCH_LIVE_DB  database of the benchmarks against a running server (default <bench db>_live),
#                            copied for every run (the last run's copy dropped) from <live db>_template, where
#                            the WooCommerce and e-conomic connectors are installed when missing, updated
#                            otherwise: every run starts from the same data
#   BENCH_PIPELINE=0         skip the pipeline benchmarks (bench_pipeline.py)
#   BENCH_LIVE=0             skip the benchmarks against a running server (webhook latency, e-conomic push)
#   BENCH_ECONOMIC=0         skip the e-conomic push against the running server (quicker webhook iterations)
#   BENCH_LOG_HANDLERS       more --log-handler options for that server, e.g. "--log-handler werkzeug:INFO
#                            --log-handler odoo.addons.queue_job.jobrunner.runner:INFO" to see in its log
#                            when each webhook was answered, each job dispatched and each runjob request ended
#   BENCH_PROFILE_DIR        profile every job of that server into this directory (CPU of its worker and its
#                            PostgreSQL backend, its SQL queries; cProfile too with BENCH_PROFILE_CALLS=1)
# Sizes: BENCH_ORDERS, BENCH_CONFIRMED, BENCH_PRODUCTS, BENCH_VARIANTS (bench_pipeline.py), BENCH_WEBHOOKS,
# BENCH_WEBHOOK_RATE (bench_latency.py), BENCH_INVOICES, BENCH_ECONOMIC_RPS (bench_economic.py).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
DB=${SHOP_SYNC_BENCH_DB:-shopsync_bench}
LIVE_DB=${SHOP_SYNC_BENCH_LIVE_DB:-${DB}_live}
LIVE_TEMPLATE=${LIVE_DB}_template
scripts/setup.sh
scripts/pg.sh start
# install the addons in a new database, update them in an existing one (their code may have changed)
prepare_db() {
    local db=$1 modules=$2 action=-u log=.state/odoo-install-$1.log
    db_exists "$db" || action=-i
    if ! scripts/odoo.sh -d "$db" "$action" "$modules" --stop-after-init --workers=0 --log-level=warn >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "bench: ERROR: installing $modules in $db failed (log: $log)" >&2; exit 1
    fi
}
# every figure is also kept in RESULTS; the lines naming a goal are printed again together at the end
RESULTS=.state/bench-results.log
mkdir -p .state && : > "$RESULTS"
goals() {
    echo "goals (issue 14) of this run:"
    grep -h -e "^machine:" -e "goal" "$RESULTS" | sed 's/^/  /'
    echo "  load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
}
echo "machine:$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(python3 --version 2>&1), $(uname -m)," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS"
# the repository root on the path: bench scripts import the simulators
shell() {
    PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" \
        "$VENV/bin/odoo" shell -c odoo.conf "${ODOO_DB_ARGS[@]}" --no-http --log-level=warn "$@"
}
if [ "${BENCH_PIPELINE:-1}" != 0 ]; then
    prepare_db "$DB" "shop_sync_base,$LOCALISATION_MODULES"
    shell -d "$DB" < bench/bench_pipeline.py | tee -a "$RESULTS"
fi
[ "${BENCH_LIVE:-1}" = 0 ] && { goals; exit 0; }

# -- against a running server: Odoo with its HTTP workers and queue_job runner, on free ports --
# the base too: -u updates the modules named and those depending on them, not what they depend on
prepare_db "$LIVE_TEMPLATE" "shop_sync_base,shop_sync_woocommerce,shop_sync_economic,$LOCALISATION_MODULES"
# every run from the same data: a copy of the template (database and filestore, the last run's copy dropped);
# a reused database kept the orders, stock moves, jobs and logs of every run before (README, Benchmarks)
if ! "$VENV/bin/odoo" db -c odoo.conf "${ODOO_DB_ARGS[@]}" duplicate --force "$LIVE_TEMPLATE" "$LIVE_DB" \
        >".state/odoo-copy-$LIVE_DB.log" 2>&1; then
    tail -n 20 ".state/odoo-copy-$LIVE_DB.log"
    echo "bench: ERROR: copying $LIVE_TEMPLATE to $LIVE_DB failed" >&2; exit 1
fi
read -r HTTP_PORT GEVENT_PORT < <("$VENV/bin/python" -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))')
SERVER=
stop_server() {
    [ -n "$SERVER" ] && kill -TERM -- "-$SERVER" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 -- "-$SERVER" 2>/dev/null || return 0; sleep 0.2; done
    kill -KILL -- "-$SERVER" 2>/dev/null || true
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
SERVER_LOG=.state/bench-server.log
rm -f "$SERVER_LOG"
# own process group (setsid), so that stopping it stops the HTTP workers and the job runner too;
# the HTTP client's retries are logged (bench_economic.py counts them). -d without --db-filter: Odoo serves that
# database only, and a request without session (a webhook) is not preceded by a connection listing the databases
PROFILE_ARGS=()
if [ -n "${BENCH_PROFILE_DIR:-}" ]; then
    export BENCH_PROFILE_DIR
    PROFILE_ARGS=(--addons-path "$(awk -F' *= *' '/^addons_path/ {print $2}' odoo.conf),bench/profile"
                  --load "$(awk -F' *= *' '/^server_wide_modules/ {print $2}' odoo.conf),shop_sync_bench_profile")
fi
setsid "$VENV/bin/odoo" server -c odoo.conf "${ODOO_DB_ARGS[@]}" -d "$LIVE_DB" "${PROFILE_ARGS[@]}" \
    --http-port "$HTTP_PORT" --gevent-port "$GEVENT_PORT" --max-cron-threads 0 --log-level=warn \
    --log-handler odoo.addons.shop_sync_base.services.http:INFO ${BENCH_LOG_HANDLERS:-} --logfile "$SERVER_LOG" &
SERVER=$!
export BENCH_ODOO_URL=http://127.0.0.1:$HTTP_PORT BENCH_SERVER_LOG=$SERVER_LOG BENCH_SERVER_PID=$SERVER
healthy() { "$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' \
    "$BENCH_ODOO_URL/web/health" 2>/dev/null; }
for _ in $(seq 120); do
    healthy && break
    kill -0 "$SERVER" 2>/dev/null || { echo "bench: the Odoo server stopped, see $SERVER_LOG" >&2; exit 1; }
    sleep 0.5
done
healthy || { echo "bench: no answer from $BENCH_ODOO_URL, see $SERVER_LOG" >&2; exit 1; }
echo "live: Odoo $BENCH_ODOO_URL on $LIVE_DB, $(awk -F' *= *' '/^workers/ {print $2}' odoo.conf) HTTP workers," \
     "queue_job $(awk -F' *= *' '/^channels/ {print $2}' odoo.conf); server log $SERVER_LOG"
shell -d "$LIVE_DB" < bench/bench_latency.py | tee -a "$RESULTS"
[ "${BENCH_ECONOMIC:-1}" = 0 ] || shell -d "$LIVE_DB" < bench/bench_economic.py | tee -a "$RESULTS"
goals
