"""Refuse to go on if the modules we install depend, directly or not, on an Enterprise module.

``check_modules.py --enterprise-in DIR`` only lists the OEEL-1 modules found in DIR and the modules that
depend on them, one per line:
scripts/setup.sh leaves them out of the Odoo source it installs, since Odoo installs every
``auto_install`` module whose dependencies are installed, Enterprise ones included.

Checks our addons and the localisation the demo and the tests install with them (``LOCALISATION_MODULES``,
comma-separated, exported by scripts/env.sh).  Reads the manifests of our addons and of every addons
directory in odoo.conf (``.state/links``) without importing Odoo, follows ``depends`` transitively and
fails on any ``OEEL-1`` licence or on a dependency that cannot be found.
"""

import ast
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS_DIRS = [ROOT / "addons", ROOT / ".state/links/oca", ROOT / ".state/links/odoo"]


def manifest(name):
    for directory in ADDONS_DIRS:
        path = directory / name / "__manifest__.py"
        if path.is_file():
            return ast.literal_eval(path.read_text())
    return None


def enterprise_modules(directory):
    """Names of the modules in ``directory`` whose manifest licence is OEEL-1, and of those that
    depend on one, directly or not (they could never be installed without it)."""
    depends = {path.parent.name: ast.literal_eval(path.read_text())
               for path in Path(directory).glob("*/__manifest__.py")}
    excluded = {name for name, data in depends.items() if data.get("license") == "OEEL-1"}
    grown = True
    while grown:
        more = {name for name, data in depends.items()
                if name not in excluded and excluded.intersection(data.get("depends", []))}
        excluded |= more
        grown = bool(more)
    return sorted(excluded)


def main():
    if sys.argv[1:2] == ["--enterprise-in"]:
        print("\n".join(enterprise_modules(sys.argv[2])))
        return
    todo = [path.parent.name for path in (ROOT / "addons").glob("*/__manifest__.py")]
    todo += [name for name in os.environ.get("LOCALISATION_MODULES", "").split(",") if name]
    seen, problems = set(), []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        data = manifest(name)
        if data is None:
            problems.append(f"module {name!r} is required but not found in {', '.join(map(str, ADDONS_DIRS))}")
            continue
        if data.get("license") == "OEEL-1":
            problems.append(f"module {name!r} is Odoo Enterprise (OEEL-1): never installed by shop-sync")
        todo.extend(data.get("depends", []))
    if problems:
        sys.exit("check_modules: " + "\n  ".join(problems))
    print(f"check_modules: {len(seen)} modules in the dependency closure, all available and not OEEL-1",
          file=sys.stderr)


if __name__ == "__main__":
    main()
