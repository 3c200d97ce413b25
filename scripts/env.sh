# Sourced by the scripts: database settings and the vendor specs. DB_* (or libpq's PG*) point at an existing server;
# by default the private cluster of scripts/pg.sh (matching odoo.conf).
# decided once, before the defaults below are exported to child scripts
if [ -z "${EXTERNAL_DB:-}" ]; then
    if [ -n "${DB_HOST:-}${PGHOST:-}" ]; then EXTERNAL_DB=1; else EXTERNAL_DB=0; fi
    export EXTERNAL_DB
fi
export DB_HOST=${DB_HOST:-${PGHOST:-127.0.0.1}}
export DB_PORT=${DB_PORT:-${PGPORT:-${SHOP_SYNC_PGPORT:-54329}}}
export DB_USER=${DB_USER:-${PGUSER:-odoo}}
export DB_PASSWORD=${DB_PASSWORD:-${PGPASSWORD:-}}
VENV=${VENV:-$PWD/.venv}
# options for Odoo's command line
ODOO_DB_ARGS=(--db_host "$DB_HOST" --db_port "$DB_PORT" --db_user "$DB_USER")
[ -n "$DB_PASSWORD" ] && ODOO_DB_ARGS+=(--db_password "$DB_PASSWORD")
db_psql() { PGPASSWORD=$DB_PASSWORD psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "$@"; }
db_exists() { [ "$(db_psql -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname='$1'")" = 1 ]; }
# the vendor specs the simulators follow: read-only, beside the repository (../shared/specs)
export SHOP_SYNC_SPECS=${SHOP_SYNC_SPECS:-$(dirname "$PWD")/shared/specs}
require_specs() {
    [ -d "$SHOP_SYNC_SPECS" ] || { echo "ERROR: the vendor specs the simulators follow are not at $SHOP_SYNC_SPECS" \
                                        "(set SHOP_SYNC_SPECS)" >&2; exit 1; }
}
# the Odoo localisation the demo, the tests and the benchmarks run on: a Danish company on the Danish chart with
# the EU One-Stop-Shop taxes and fiscal positions (both LGPL). Not a dependency of the addons: they serve any country.
export LOCALISATION_MODULES=l10n_dk,l10n_eu_oss
# every shop-sync addon, comma-separated
addon_names() { (cd addons && ls -d */ | tr -d / | paste -sd,); }
