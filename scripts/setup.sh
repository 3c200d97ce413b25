#!/usr/bin/env bash
# Prepare the runtime: virtualenv, Odoo 19.0 Community source, Python packages, and the links
# under .state/links that odoo.conf's addons_path points at. Idempotent; safe to run every time.
#
#   ODOO_SRC   an Odoo 19.0 source tree (default: /opt/odoo if it holds one, else the official
#              19.0 source archive is downloaded into .cache/odoo-19.0)
#   ODOO_URL   where that archive comes from
#   VENV       virtualenv location (default .venv);  PYTHON  interpreter for it (default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
ODOO_URL=${ODOO_URL:-https://nightly.odoo.com/19.0/nightly/src/odoo_19.0.latest.tar.gz}
LINKS=$ROOT/.state/links

die() { echo "setup: ERROR: $*" >&2; exit 1; }
is_odoo19() { [ -f "$1/odoo/release.py" ] && grep -q "^version_info = (19, 0," "$1/odoo/release.py"; }

odoo_source() {
    if [ -n "${ODOO_SRC:-}" ]; then
        is_odoo19 "$ODOO_SRC" || die "ODOO_SRC=$ODOO_SRC is not an Odoo 19.0 source tree (no odoo/release.py with version 19.0)"
        echo "$ODOO_SRC"; return
    fi
    if is_odoo19 /opt/odoo; then echo /opt/odoo; return; fi
    local dest=$ROOT/.cache/odoo-19.0
    if ! is_odoo19 "$dest"; then
        echo "setup: downloading Odoo 19.0 Community source from $ODOO_URL" >&2
        rm -rf "$dest.partial" && mkdir -p "$dest.partial"
        curl -fsSL --retry 3 "$ODOO_URL" | tar -xz -C "$dest.partial" --strip-components=1 \
            || die "could not download Odoo 19.0 from $ODOO_URL. Set ODOO_SRC to an Odoo 19.0 source tree, or put one in /opt/odoo."
        is_odoo19 "$dest.partial" || die "the archive from $ODOO_URL is not an Odoo 19.0 source tree"
        rm -rf "$dest" && mv "$dest.partial" "$dest"
    fi
    echo "$dest"
}

# The source as shop-sync installs it: without Enterprise modules. Odoo installs every auto_install
# module whose dependencies are installed, so an OEEL-1 module merely present in the tree (some trees
# hold both editions) would be installed with ours; a tree of links leaves them out.
community_view() {
    # beside the virtualenv whose Odoo points at it: worktrees sharing one virtualenv share one view (and
    # one stamp below), instead of reinstalling Odoo from their own view in turn
    local src=$1 enterprise dest=$VENV/.shop-sync-odoo-community entry
    enterprise=$("$PYTHON" scripts/check_modules.py --enterprise-in "$src/odoo/addons") \
        || die "cannot read the module manifests of $src"
    if [ -z "$enterprise" ]; then echo "$src"; return; fi
    # built aside and swapped in only when it differs: a server or test run using the current view
    # (the virtualenv's Odoo may point at it) never sees it half-built
    local new=$dest.new.$$
    rm -rf "$new" && mkdir -p "$new/odoo/addons"
    for entry in "$src"/*; do
        case $(basename "$entry") in odoo|*.egg-info) ;; *) ln -s "$entry" "$new/" ;; esac
    done
    for entry in "$src"/odoo/*; do [ "$(basename "$entry")" = addons ] || ln -s "$entry" "$new/odoo/"; done
    for entry in "$src"/odoo/addons/*; do
        grep -qxF "$(basename "$entry")" <<<"$enterprise" || ln -s "$entry" "$new/odoo/addons/"
    done
    if [ -d "$dest" ] && diff -q <(cd "$dest" && find . -printf '%p %l\n' | sort) \
                                 <(cd "$new" && find . -printf '%p %l\n' | sort) >/dev/null; then
        rm -rf "$new"
    else
        rm -rf "$dest" && mv "$new" "$dest"
    fi
    echo "setup: $(wc -l <<<"$enterprise") Enterprise (OEEL-1) modules of $src, or modules needing one, left out ($dest)" >&2
    echo "$dest"
}

SRC=$(community_view "$(cd "$(odoo_source)" && pwd)")
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || die "cannot create a virtualenv with $PYTHON"

# Reinstall only when the requirements or the Odoo source changed.
stamp=$VENV/.shop-sync-stamp
want=$( (cat requirements.txt requirements-dev.txt scripts/setup.sh; echo "$SRC") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing Python packages into $VENV (Odoo from $SRC)" >&2
    log=$ROOT/.state/pip.log && mkdir -p "$ROOT/.state" && : > "$log"
    {
        "$VENV/bin/pip" install --upgrade pip setuptools wheel &&
        # Odoo editable and without its own install_requires (they want psycopg2 and PyPDF2 built from
        # source); requirements.txt lists what it needs instead. OCA addons (odoo-addon-*) declare
        # odoo==19.0.* which would pull those in again, so they are installed without dependencies.
        "$VENV/bin/pip" install --no-deps --config-settings editable_mode=compat -e "$SRC" &&
        "$VENV/bin/pip" install -r <(grep -v '^odoo-addon-' requirements.txt) &&
        "$VENV/bin/pip" install --no-deps -r <(grep '^odoo-addon-' requirements.txt) &&
        "$VENV/bin/pip" install -r requirements-dev.txt  # lint tools (scripts/lint.sh)
    } >>"$log" 2>&1 || die "pip install failed; last lines of $log:
$(tail -n 20 "$log")"
    echo "$want" > "$stamp"
fi

OCA=$("$VENV/bin/python" -c 'import os, odoo.addons.queue_job as m; print(os.path.dirname(os.path.dirname(m.__file__)))') \
    || die "queue_job is not importable from $VENV"
mkdir -p "$LINKS"
ln -sfn "$SRC/odoo/addons" "$LINKS/odoo"
ln -sfn "$OCA" "$LINKS/oca"
"$VENV/bin/python" scripts/check_modules.py
echo "setup: ready (Odoo $SRC, venv $VENV)" >&2
