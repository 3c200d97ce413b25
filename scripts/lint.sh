#!/usr/bin/env bash
# Lint: ruff (rules in ruff.toml) on every Python file, pylint with OCA's Odoo checks (pylint-odoo,
# .pylintrc) on addons/. The tools come from the virtualenv (requirements-dev.txt, installed by
# scripts/setup.sh): nothing is downloaded. Run by scripts/test.sh before the tests; exit 1 on a finding.
#   scripts/lint.sh                    both tools on the whole tree
#   scripts/lint.sh ruff|pylint        one tool on the whole tree
#   scripts/lint.sh [TOOL] FILE...     only these files (what the pre-commit hooks do)
# Silence a finding that is wrong for one line with `# noqa: CODE` (ruff) or
# `# pylint: disable=name` (pylint), and say why.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-$PWD/.venv}
tools="ruff pylint"
case "${1:-}" in ruff|pylint) tools=$1; shift ;; esac

for tool in $tools; do
    [ -x "$VENV/bin/$tool" ] || { echo "lint: ERROR: $VENV/bin/$tool is missing: run scripts/setup.sh" \
                                       "(it installs requirements-dev.txt)" >&2; exit 1; }
done

failed=()
started=$SECONDS
if [[ " $tools " == *" ruff "* ]]; then
    # --force-exclude: files named on the command line are still excluded as ruff.toml says
    "$VENV/bin/ruff" check --quiet --output-format=concise --force-exclude "${@:-.}" || failed+=("ruff (ruff.toml)")
fi
if [[ " $tools " == *" pylint "* ]]; then
    if [ $# -gt 0 ]; then
        files=(); for file in "$@"; do [[ $file == addons/*.py ]] && files+=("$file"); done
    else
        files=(addons)
    fi
    if [ ${#files[@]} -gt 0 ]; then
        "$VENV/bin/pylint" --rcfile=.pylintrc --jobs=2 "${files[@]}" || failed+=("pylint-odoo (.pylintrc)")
    fi
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo >&2
    echo "lint: ERROR: $(IFS=,; echo "${failed[*]}" | sed 's/,/, /g') found the problems listed above" >&2
    exit 1
fi
echo "lint: ${tools// / and } passed ($((SECONDS - started)) s)" >&2
