#!/usr/bin/env bash
# Benchmarks: numbers and ratios measured in one run (see bench/*.py for what and how much).
#   SHOP_SYNC_BENCH_DB  database (default shopsync_bench; created with the addons when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
DB=${SHOP_SYNC_BENCH_DB:-shopsync_bench}
scripts/setup.sh
scripts/pg.sh start
if ! db_exists "$DB"; then
    scripts/odoo.sh -d "$DB" -i shop_sync_base --stop-after-init --workers=0 --log-level=warn
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(python3 --version 2>&1), $(uname -m)"
"$VENV/bin/odoo" shell -c odoo.conf "${ODOO_DB_ARGS[@]}" -d "$DB" --no-http --log-level=warn \
    < bench/bench_pipeline.py
