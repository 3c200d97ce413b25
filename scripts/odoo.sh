#!/usr/bin/env bash
# Run the Odoo server from the project's virtualenv with odoo.conf and the database settings
# of scripts/env.sh. Extra arguments go to Odoo (e.g. -d mydb -u shop_sync_base).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
exec "$VENV/bin/odoo" server -c odoo.conf "${ODOO_DB_ARGS[@]}" "$@"
