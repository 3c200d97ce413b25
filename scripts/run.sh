#!/usr/bin/env bash
# Set up and start the demo: PostgreSQL, a database with every shop-sync addon and demo backends
# pointing at the local simulators, the simulators themselves, and Odoo at http://localhost:8069
# (login admin / admin). Ctrl-C stops everything.
#   SHOP_SYNC_DEMO_DB  database name (default shopsync_demo; created on first run, reused after)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
DB=${SHOP_SYNC_DEMO_DB:-shopsync_demo}

require_specs
scripts/setup.sh
scripts/pg.sh start
modules=$(addon_names),$LOCALISATION_MODULES

"$VENV/bin/python" -m simulators &
SIMULATORS=$!
trap 'kill $SIMULATORS 2>/dev/null || true' EXIT

if ! db_exists "$DB"; then
    echo "run: creating database $DB with $modules (takes a minute or two)" >&2
    scripts/odoo.sh -d "$DB" -i "$modules" --stop-after-init --workers=0 --log-level=warn
    PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/odoo" shell -c odoo.conf "${ODOO_DB_ARGS[@]}" -d "$DB" --no-http --log-level=warn \
        < scripts/demo_setup.py
else
    scripts/odoo.sh -d "$DB" -u "$modules" --stop-after-init --workers=0 --log-level=warn
fi

echo "run: Odoo on http://localhost:8069 (admin / admin), menu Shop Sync" >&2
scripts/odoo.sh -d "$DB" --db-filter="^$DB\$"
