"""Fixtures of the multi-process reliability tests: a copy of the test database configured for a
Shopify shop invoiced in e-conomic, both simulators in threads of this process, and a real Odoo
server (2 prefork workers, queue_job's runner) on free ports.  Each is torn down by its fixture.

These tests talk to Odoo only over HTTP, XML-RPC and PostgreSQL: pytest-odoo's in-process registry
is not loaded for this folder (it would also keep the template database busy).
"""

import os
import uuid

import pytest

from simulators.common import SimulatorServer
from simulators.economic import EconomicSimulator
from simulators.seed import generate
from simulators.shopify import ShopifySimulator

from .harness import Database, OdooServer, copy_database, drop_database, odoo_shell, shell_result
from .shop import Shop

HERE = os.path.dirname(__file__)
MODULES = {"shop_sync_base", "shop_sync_shopify", "shop_sync_economic"}


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    yield


@pytest.fixture(scope="session", autouse=True)
def load_http(load_registry):
    yield


@pytest.fixture(scope="session")
def template_db(request):
    try:
        name = request.config.getoption("--odoo-database")
    except ValueError:
        name = None
    name = name or os.environ.get("SHOP_SYNC_TEST_DB")
    if not name:
        pytest.skip("needs the test database with every addon (--odoo-database, see scripts/test.sh)")
    db = Database(name)
    try:
        installed = {module for (module,) in db.all(
            "SELECT name FROM ir_module_module WHERE state = 'installed' AND name = ANY(%s)", (list(MODULES),))}
    finally:
        db.close()
    if installed != MODULES:
        pytest.skip(f"needs {', '.join(sorted(MODULES - installed))} installed in {name}")
    return name


@pytest.fixture(scope="session")
def catalogue():
    return generate(products=6, customers=4, orders=8, seed=7)


@pytest.fixture(scope="session")
def shopify(catalogue):
    sim = ShopifySimulator()
    sim.seed(catalogue)
    server = SimulatorServer(sim).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def economic():
    server = SimulatorServer(EconomicSimulator()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database(template_db):
    """A copy of the test database, dropped at the end."""
    name = f"{template_db}_rel_{uuid.uuid4().hex[:8]}"
    copy_database(template_db, name)
    db = None
    try:
        db = Database(name)
        yield db
    finally:
        if db:
            db.close()
        drop_database(name)


@pytest.fixture(scope="session")
def odoo_server(database, shopify, economic, tmp_path_factory):
    """The server on the copy, started while ``setup_db.py`` configures it; yields (server, ids)."""
    server = OdooServer(database.name, tmp_path_factory.mktemp("odoo") / "server.log")
    try:
        server.launch()
        output = odoo_shell(database.name, os.path.join(HERE, "setup_db.py"), env={
            "RELIABILITY_SHOPIFY_URL": shopify.url, "RELIABILITY_ECONOMIC_URL": economic.url})
        ids = shell_result(output)
        assert ids["products"], "the shop's products were imported"
        yield server.wait_ready(), ids
    finally:
        server.stop()


@pytest.fixture(scope="session")
def shop(shopify, economic, catalogue, database, odoo_server):
    server, ids = odoo_server
    return Shop(shopify, economic, catalogue, database, ids, server)
