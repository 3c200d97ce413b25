"""The simulator tests need no Odoo database: replace pytest-odoo's session fixture that loads
the registry, so they also run alone (``pytest tests/simulators``) without --odoo-database."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    yield
