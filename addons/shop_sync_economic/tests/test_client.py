"""EconomicClient against the e-conomic simulator over HTTP: paging, filter escaping, error
bodies, 429 with Retry-After, self-link encoding, and no credentials in log records."""

import logging
from decimal import Decimal

import pytest

from odoo.addons.shop_sync_base.services.http import RemoteError
from odoo.addons.shop_sync_economic.services.client import (
    EconomicClient,
    all_of,
    any_of,
    encode_self_id,
    eq,
    escape_filter_value,
    gt,
    is_in,
)
from odoo.addons.shop_sync_economic.services.mapper import product_record, split_line, writable
from simulators.common import SimulatorServer
from simulators.economic import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN, EconomicSimulator


@pytest.fixture(scope="module")
def server():
    with SimulatorServer(EconomicSimulator()) as running:
        yield running


@pytest.fixture
def sim(server):
    server.app.reset()
    server.app.faults.clear()
    server.app.journal.clear()
    return server.app


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(server, sim, sleeps):
    return EconomicClient(APP_SECRET_TOKEN, AGREEMENT_GRANT_TOKEN, base_url=server.url, sleep=sleeps.append)


def customer(name, **fields):
    return {"name": name, "currency": "DKK", "customerGroup": {"customerGroupNumber": 1},
            "paymentTerms": {"paymentTermsNumber": 1}, "vatZone": {"vatZoneNumber": 1}, **fields}


def test_paging_walks_more_than_a_thousand_records_page_by_page(client, sim):
    for index in range(2345):
        number = f"P{index:05d}"
        sim.products[number] = {"productNumber": number, "name": number, "salesPrice": 1.0, "costPrice": 0.0,
                                "recommendedPrice": 0.0, "productGroup": {"productGroupNumber": 1},
                                "inventory": {}, "lastUpdated": "2026-01-05T12:00:00Z"}
    numbers = [product["productNumber"] for product in client.iterate("products", page_size=5000)]
    assert len(numbers) == len(set(numbers)) == 2345
    pages = [path for method, path, status in sim.journal if path.startswith("/products")]
    assert [page.split("?")[1].split("&")[:2] for page in pages] == [
        ["skippages=0", "pagesize=1000"], ["skippages=1", "pagesize=1000"], ["skippages=2", "pagesize=1000"]]


def test_filter_values_are_escaped(client, sim):
    tricky = "Hygge (DK), *A/S* [1] $5 $and:x"
    assert escape_filter_value(tricky) == "Hygge $(DK$)$, $*A/S$* $[1$] $$5 $$and:x"
    for name in (tricky, "Hygge", "Hygge (DK)"):
        client.post("customers", customer(name))
    found = list(client.iterate("customers", filter=eq("name", tricky)))
    assert [item["name"] for item in found] == [tricky]
    either = any_of(eq("name", "Hygge"), eq("name", "Hygge (DK)"))
    assert len(list(client.iterate("customers", filter=all_of(either, is_in("customerNumber", [1, 2, 3]))))) == 2
    assert client.first("customers", filter=eq("email", None))["customerNumber"] == 1


def test_datetime_filter_literal():
    from datetime import UTC, datetime

    assert gt("lastUpdated", datetime(2026, 1, 5, 12, 0, tzinfo=UTC)) == "lastUpdated$gt:2026-01-05T12:00:00Z"


def test_validation_errors_name_every_failing_property(client):
    body = {"date": "2026-01-05", "currency": "ZUL", "customer": {"customerNumber": 987},
            "layout": {"layoutNumber": 19}, "paymentTerms": {"paymentTermsNumber": 1},
            "recipient": {"name": "X", "vatZone": {"vatZoneNumber": 1}},
            "lines": [{"description": "A", "quantity": 1, "unitNetPrice": 10.123},
                      {"description": "B", "quantity": 1, "product": {"productNumber": "NOPE"}}]}
    with pytest.raises(RemoteError) as caught:
        client.post("invoices/drafts", body)
    error = caught.value
    assert (error.status, error.retryable, error.uncertain) == (400, False, False)
    message = str(error)
    assert "Validation failed" in message and "[E04300]" in message
    for expected in ("currency: currency does not exist. (E06000, value 'ZUL')", "customer: customer does not exist.",
                     "lines[0].unitNetPrice: unitNetPrice scale", "lines[1].product: product does not exist."):
        assert expected in message, message


def test_rate_limit_is_retried_after_the_announced_delay_and_counted(client, sim, sleeps):
    sim.faults.add("rate_limit", path="/customers", retry_after=2)
    sim.faults.add("error", path="/customers", status=500)
    assert client.get("customers")["collection"] == []
    assert sleeps[0] == 2.0  # a short wait is slept; a long one postpones the job
    assert client.stats["throttled"] == 1 and client.stats["retries"] == 2


def test_not_found_and_self_link_encoding(client):
    assert client.get_or_none(client.product_path("NOPE")) is None
    number = "A/B C_5%.x"
    client.post("products", {"productNumber": number, "name": "Odd", "productGroup": {"productGroupNumber": 1}})
    assert encode_self_id(number) == "A_6_B_9_C_8_5_3__11_x"
    assert client.get(client.product_path(number))["productNumber"] == number


def test_connection_and_wrong_credentials(client, server):
    assert client.test_connection() == "Shop Sync ApS (agreement 1234567)"
    wrong = EconomicClient(APP_SECRET_TOKEN, "revoked", base_url=server.url, sleep=lambda s: None)
    with pytest.raises(RemoteError) as caught:
        wrong.test_connection()
    assert caught.value.status == 401 and "AgreementGrantToken is not valid" in str(caught.value)


def test_pagination_links_never_leave_the_base_url(client):
    assert client._same_host("https://restapi.e-conomic.com/products?skippages=1&pagesize=2") == \
        f"{client.base_url}/products?skippages=1&pagesize=2"


def test_credentials_never_reach_log_records(server, sim, caplog):
    secret = "very-secret-app-token"
    sim.app_secret_token = secret
    try:
        caplog.set_level(logging.DEBUG)
        client = EconomicClient(secret, AGREEMENT_GRANT_TOKEN, base_url=server.url, sleep=lambda s: None)
        sim.faults.add("error", path="/customers", status=503, count=None)
        with pytest.raises(RemoteError) as caught:
            client.get("customers")
        sim.faults.clear()
        with pytest.raises(RemoteError):
            client.post("customers", {"name": "No group"})
        client.get("self")
    finally:
        sim.app_secret_token = APP_SECRET_TOKEN
    assert caplog.records, "requests were logged"
    text = "\n".join(record.getMessage() for record in caplog.records) + str(caught.value) + caught.value.body
    assert secret not in text and AGREEMENT_GRANT_TOKEN not in text


def test_split_line_keeps_the_exact_total():
    assert split_line(Decimal(2), Decimal("160.00")) == [(Decimal(2), Decimal("80.00"))]
    parts = split_line(Decimal(3), Decimal("79.99"))
    assert parts == [(Decimal(2), Decimal("26.66")), (Decimal(1), Decimal("26.67"))]
    assert sum(quantity * price for quantity, price in parts) == Decimal("79.99")
    assert split_line(Decimal("1.5"), Decimal("10.00")) == [(Decimal("1.5"), Decimal("6.67"))]


def test_documents_become_put_bodies_and_canonical_products():
    document = {"productNumber": "X", "name": "X", "self": "http://x/products/X", "lastUpdated": "2026-01-05T12:00:00Z",
                "productGroup": {"productGroupNumber": 1, "name": "Goods", "salesAccounts": "http://x"},
                "inventory": {"available": 3.0, "packageVolume": 1.0}, "salesPrice": 80.0, "barred": True}
    assert writable(document) == {"productNumber": "X", "name": "X", "productGroup": {"productGroupNumber": 1},
                                  "inventory": {"packageVolume": 1.0}, "salesPrice": 80.0, "barred": True}
    record = product_record(document)  # the net price as e-conomic states it: the base converts it
    assert (record.sku, record.price, record.price_includes_tax, record.published, record.variants[0].sku) == (
        "X", Decimal("80.00"), False, False, "X")
