#!/usr/bin/env bash
# Set up everything and run every test: simulator and service tests, and the Odoo tests of all
# addons through pytest-odoo against a database with the addons installed.
#   SHOP_SYNC_TEST_DB  database name (default shopsync_test); recreated on each run unless
#   KEEP_DB=1          reuses it (updating the addons) for a quicker edit-test loop.
#   SHOP_SYNC_MODULES  comma-separated addons to install (default: every addon in addons/); the localisation
#                      (LOCALISATION_MODULES of scripts/env.sh) is always installed with them.
#   LINT               1: run scripts/lint.sh first and stop when it fails (default); 0: skip it. A targeted
#                      run (arguments naming test files or directories, or -k) skips it unless LINT=1.
#   Extra arguments go to pytest, e.g. scripts/test.sh -k order -x
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
DB=${SHOP_SYNC_TEST_DB:-shopsync_test}
started=$SECONDS
install_log=.state/odoo-install-$DB.log

require_specs
scripts/setup.sh
targeted=0
for arg in "$@"; do if [[ -e ${arg%%::*} || $arg == -k* ]]; then targeted=1; fi; done
if [ "${LINT:-$((1 - targeted))}" = 1 ]; then
    VENV=$VENV scripts/lint.sh || { echo "test: ERROR: lint failed (scripts/lint.sh); no tests run" >&2; exit 1; }
else
    echo "test: lint skipped for a targeted run (scripts/lint.sh runs it; LINT=1 runs it here)" >&2
fi
scripts/pg.sh start
modules=${SHOP_SYNC_MODULES:-$(addon_names)},$LOCALISATION_MODULES

if [ "${KEEP_DB:-0}" = 1 ] && db_exists "$DB"; then
    echo "test: updating $modules in existing database $DB" >&2
    # -i: a database made before the localisation was added gets it; installed modules are only updated
    scripts/odoo.sh -d "$DB" -i "$LOCALISATION_MODULES" -u "$modules" --stop-after-init --log-level=warn --workers=0 \
        >"$install_log" 2>&1 \
        || { tail -n 40 "$install_log"; echo "test: ERROR: updating the addons failed (log: $install_log)" >&2; exit 1; }
else
    echo "test: creating database $DB with $modules" >&2
    db_psql -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\"" >/dev/null
    scripts/odoo.sh -d "$DB" -i "$modules" --stop-after-init --log-level=warn --workers=0 >"$install_log" 2>&1 \
        || { tail -n 40 "$install_log"; echo "test: ERROR: installing the addons failed (log: $install_log)" >&2; exit 1; }
fi
# the tests' company is a Danish webshop, as the demo's (simulators/seed.py; quick when done already)
echo "from simulators.seed import prepare_odoo_company; prepare_odoo_company(env); env.cr.commit()" |
    PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/odoo" shell -c odoo.conf "${ODOO_DB_ARGS[@]}" -d "$DB" \
        --no-http --log-level=warn >>"$install_log" 2>&1 \
    || { tail -n 40 "$install_log"; echo "test: ERROR: preparing the company failed (log: $install_log)" >&2; exit 1; }
if grep -E " (ERROR|CRITICAL) " "$install_log"; then
    echo "test: ERROR: Odoo logged errors while installing the addons (log: $install_log)" >&2; exit 1
fi
echo "test: set-up took $((SECONDS - started)) s" >&2

set +e
# limit-memory-hard=0: the address-space limit odoo.conf sets for a server's worker processes would bind the
# whole test session (pytest-odoo starts Odoo's threaded server in it), and the session's virtual memory (every
# simulator thread's stack and allocator arena) outgrows it: late tests then failed with "can't start new thread"
"$VENV/bin/python" -m pytest --odoo-config=odoo.conf --odoo-database="$DB" --odoo-http \
    --odoo-extra "limit-memory-hard=0" --odoo-extra "db_host=$DB_HOST" --odoo-extra "db_port=$DB_PORT" --odoo-extra "db_user=$DB_USER" \
    ${DB_PASSWORD:+--odoo-extra "db_password=$DB_PASSWORD"} "$@"
rc=$?
set -e
echo "test: total $((SECONDS - started)) s" >&2
exit $rc
