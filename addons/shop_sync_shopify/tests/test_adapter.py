"""The adapter against a seeded simulator: order and product mapping, stock, flow 3, webhooks."""

import dataclasses
import json
from datetime import timedelta
from decimal import Decimal

import pytest

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.adapter import WebhookRejected
from odoo.addons.shop_sync_base.services.http import RemoteError
from odoo.addons.shop_sync_shopify.services import queries
from odoo.addons.shop_sync_shopify.services.adapter import ShopifyAdapter
from odoo.addons.shop_sync_shopify.services.mapping import _discount_lines
from odoo.addons.shop_sync_shopify.tests.common import START, adapter_for, simulator
from simulators.common import ManualClock, SimulatorServer
from simulators.seed import SeedProduct, SeedVariant, generate
from simulators.shopify import API_SECRET, webhook_signature

STATE_CODES = {"pending": "PENDING", "paid": "PAID", "shipped": "PAID", "completed": "PAID",
               "cancelled": "CANCELLED", "refunded": "REFUNDED"}


@pytest.fixture(scope="module")
def catalogue():
    return generate()


@pytest.fixture(scope="module")
def clock():
    return ManualClock(START)


@pytest.fixture(scope="module")
def running(catalogue, clock):
    sim = simulator(clock, catalogue)
    with SimulatorServer(sim) as server:
        yield sim, server


@pytest.fixture()
def sim(running, catalogue, clock):
    sim, _server = running
    clock.now = START.timestamp()
    sim.faults.clear()
    sim.reset()
    sim.seed(catalogue)
    return sim


@pytest.fixture()
def adapter(running, sim):
    return adapter_for(running[1])


def signed(payload):
    body = json.dumps(payload).encode()
    return body, {"X-Shopify-Hmac-Sha256": webhook_signature(API_SECRET, body)}


def gross(order):
    return sum((line.unit_price * line.quantity * (-1 if line.kind == "discount" else 1) for line in order.lines),
               Decimal(0))


# -- orders ------------------------------------------------------------------------------------------
def test_every_seeded_order_maps_and_reconciles_to_the_cent(adapter, catalogue):
    orders = {order.number: order for order in map(adapter.parse_order, adapter.fetch_orders(None))}
    assert len(orders) == len(catalogue.orders) == 30
    for seed in catalogue.orders:
        order = orders[f"#{seed.number}"]
        assert order.state == ("PARTIALLY_REFUNDED" if seed.refunds else STATE_CODES[seed.state])
        assert [refund.amount > 0 for refund in order.refunds] == [True] * len(seed.refunds)
        assert (order.currency, order.total, gross(order)) == (seed.currency, seed.total, seed.total)
        assert order.prices_include_tax and order.external_id.startswith("gid://shopify/Order/")
        assert order.customer.email == seed.customer.email
        assert order.customer.company == (seed.customer.company or "")
        assert order.customer.vat == (seed.customer.vat_number or "")
        assert order.billing.country_code == seed.customer.address.country
        products = [line for line in order.lines if line.kind == "product"]
        assert [(line.sku, line.quantity, line.unit_price) for line in products] == [
            (line.sku, line.quantity, line.unit_price) for line in seed.lines]
        assert {line.tax_rate for line in order.lines} == {seed.tax_rate}
        [shipping] = [line for line in order.lines if line.kind == "shipping"]
        assert (shipping.code, shipping.unit_price) == (seed.shipping_method, seed.shipping_amount)
        fees = [line.unit_price for line in order.lines if line.kind == "fee"]
        assert fees == ([seed.fee_amount] if seed.fee_amount else [])
        discounts = [(line.name, line.unit_price) for line in order.lines if line.kind == "discount"]
        assert discounts == ([(f"Discount SAVE{int(seed.discount_amount)}", seed.discount_amount)]
                             if seed.discount_amount else [])
        assert order.payment_method


def test_updated_since_asks_only_for_changes(adapter, sim, clock):
    clock.advance(3600)
    sim.set_order_state("#1004", "shipped")
    changed = list(adapter.fetch_orders(START))
    assert [node["name"] for node in changed] == ["#1004"]
    assert adapter.parse_order(changed[0]).state == "PAID"
    assert adapter.parse_order(changed[0]).updated_at == START + timedelta(seconds=3600), "updatedAt, the version"


def test_long_orders_are_read_completely(adapter, sim, catalogue):
    skus = [variant.sku for product in catalogue.products for variant in product.variants or [product]]
    seed = dataclasses.replace(catalogue.orders[1], number="5001", discount_amount=Decimal("20.00"), lines=[
        dataclasses.replace(catalogue.orders[1].lines[0], sku=sku) for sku in skus[:queries.ORDER_LINES_PAGE_SIZE + 3]])
    gid = sim.add_order(seed)
    order = adapter.parse_order(adapter.fetch_order(gid))
    assert len([line for line in order.lines if line.kind == "product"]) == queries.ORDER_LINES_PAGE_SIZE + 3
    assert gross(order) == order.total == seed.total


def test_long_refunds_are_read_completely(adapter, sim, catalogue):
    """A refund of more lines than the first page: the rest is read from the refund, not left to be
    credited as an amount without lines."""
    skus = [variant.sku for product in catalogue.products for variant in product.variants or [product]]
    skus = skus[:queries.REFUND_LINES_PAGE_SIZE + 3]
    seed = dataclasses.replace(catalogue.orders[1], number="5002", discount_amount=Decimal(0), refunds=[], lines=[
        dataclasses.replace(catalogue.orders[1].lines[0], sku=sku, quantity=1) for sku in skus])
    gid = sim.add_order(seed)
    sim.refund_order(gid, [(sku, 1) for sku in skus], note="Returned")
    [refund] = adapter.parse_order(adapter.fetch_order(gid)).refunds
    assert [line.sku for line in refund.lines] == skus
    assert sum(line.amount for line in refund.lines) == refund.amount


def test_webhook_payload_is_refetched_through_graphql(adapter, sim):
    gid = next(iter(sim.orders))
    rest = sim.rest.order(sim.orders[gid])
    assert adapter.identify("order", rest) == (gid, rest["name"])
    assert adapter.parse_order(rest) == adapter.parse_order(adapter.fetch_order(gid))
    with pytest.raises(ValueError, match="no longer exists"):
        adapter.parse_order({**rest, "admin_graphql_api_id": "gid://shopify/Order/1"})


def test_discount_is_split_per_vat_rate():
    allocated = {Decimal(25): Decimal("30"), Decimal(0): Decimal("10")}
    lines = _discount_lines(Decimal("40.01"), allocated, [])
    assert [(line.tax_rate, line.unit_price) for line in lines] == [(0, Decimal("10.00")), (25, Decimal("30.01"))]


# -- products ----------------------------------------------------------------------------------------
def test_products_simple_and_with_variants(adapter, catalogue):
    products = {product.name: product for product in map(adapter.parse_product, adapter.fetch_products())}
    assert len(products) == len(catalogue.products)
    for seed in catalogue.products:
        product = products[seed.title]
        assert product.published == seed.published and product.category == seed.category
        if seed.variants:
            assert product.sku == "" and product.has_variants
            assert [(v.sku, v.options, v.price, v.barcode, v.weight) for v in product.variants] == [
                (v.sku, v.options, v.price, v.barcode, v.weight_kg) for v in seed.variants]
        else:
            [variant] = product.variants
            assert (product.sku, variant.sku, variant.options, variant.price) == (seed.sku, seed.sku, {}, seed.price)
        assert all(v.external_id.startswith("gid://shopify/InventoryItem/") for v in product.variants)


def test_many_variants_are_read_completely(adapter, sim):
    sizes = [f"EU {size}" for size in range(30, 30 + queries.PRODUCT_VARIANTS_PAGE_SIZE + 2)]
    gid = sim.add_product(SeedProduct(sku="SHOE", title="Shoe", description="", category="Shoes",
                                      price=Decimal("500.00"), published=True, variants=[
        SeedVariant(sku=f"SHOE-{size}", options={"Size": size}, price=Decimal("500.00"), barcode=None, stock=1,
                    weight_kg=Decimal("0.80")) for size in sizes]))
    product = adapter.parse_product({"id": gid.rsplit("/", 1)[1], "admin_graphql_api_id": gid})
    assert [variant.options["Size"] for variant in product.variants] == sizes


# -- stock -------------------------------------------------------------------------------------------
@pytest.fixture()
def skus(catalogue):
    """Two SKUs of one product with variants."""
    product = next(product for product in catalogue.products if len(product.variants) >= 2)
    return [variant.sku for variant in product.variants[:2]]


def item_of(sim, sku):
    return sim.variants[next(gid for gid, v in sim.variants.items() if v["sku"] == sku)]["inventory_item_id"]


def test_stock_is_set_with_compare_and_set(adapter, sim, skus):
    notes = []
    adapter.notify = lambda *args: notes.append(args)
    sku = skus[0]
    before = sim.inventory_level(sku)["available"]
    level = records.StockLevel(sku=sku, quantity=Decimal("12.7"), external_id=item_of(sim, sku))
    [result] = adapter.push_stock([level])
    assert result.ok and sim.inventory_level(sku)["available"] == 12, "no previous value: set unconditionally"
    assert [result] == adapter.push_stock([dataclasses.replace(level, quantity=Decimal(9), previous=Decimal(12))])
    assert sim.inventory_level(sku)["available"] == 9 and not notes
    sim.set_stock(sku, 4)  # sold in the shop meanwhile
    [result] = adapter.push_stock([dataclasses.replace(level, quantity=Decimal(7), previous=Decimal(9))])
    assert result.ok and sim.inventory_level(sku)["available"] == 7
    assert notes == [("stock_export", sku, level.external_id, "Stock changed in Shopify",
                      "Shopify had 4 available where 9 was last pushed (sold or edited in Shopify since); set to 7.")]
    assert before != 7


def test_stock_changed_again_while_setting_is_not_overwritten(adapter, sim, skus):
    sku = skus[0]
    sim.set_stock(sku, 4)
    read = adapter._available

    def read_then_sell(location, item_ids):
        current = read(location, item_ids)
        sim.set_stock(sku, 3)  # a sale between our read and our write
        return current

    adapter._available = read_then_sell
    [result] = adapter.push_stock([records.StockLevel(sku=sku, quantity=Decimal(7), previous=Decimal(9),
                                                      external_id=item_of(sim, sku))])
    assert not result.ok and "compareQuantity stale twice" in result.message
    assert sim.inventory_level(sku)["available"] == 3


def test_stale_compare_with_the_wanted_quantity_already_set_is_done(adapter, sim, skus):
    notes = []
    adapter.notify = lambda *args: notes.append(args)
    sim.set_stock(skus[0], 7)  # e.g. our previous attempt got through but its answer was lost
    [result] = adapter.push_stock([records.StockLevel(sku=skus[0], quantity=Decimal(7), previous=Decimal(9),
                                                      external_id=item_of(sim, skus[0]))])
    assert result.ok and not notes and sim.inventory_level(skus[0])["available"] == 7


def test_stock_by_sku_and_failures_in_one_batch(adapter, sim, skus):
    levels = [
        records.StockLevel(sku=skus[1], quantity=Decimal(5), external_id="gid://shopify/ProductVariant/1"),
        records.StockLevel(sku="NOPE", quantity=Decimal(5)),
        records.StockLevel(sku=skus[0], quantity=Decimal(6), external_id="gid://shopify/InventoryItem/1"),
    ]
    results = {result.key: result for result in adapter.push_stock(levels)}
    assert results["gid://shopify/ProductVariant/1"].ok and sim.inventory_level(skus[1])["available"] == 5
    assert not results["NOPE"].ok and "No Shopify variant" in results["NOPE"].message
    assert not results["gid://shopify/InventoryItem/1"].ok
    assert "INVALID_INVENTORY_ITEM" in results["gid://shopify/InventoryItem/1"].message


# -- flow 3 --------------------------------------------------------------------------------------------
def test_export_creates_draft_products_and_updates_without_duplicates(adapter, sim):
    lamp = records.Product(external_id="", name="Odoo Lamp", description="Bright\nand warm", category="Lamps",
                           variants=[records.Variant(sku=f"LAMP-{size}", options={"Size": size}, price=Decimal("99.5"),
                                                     barcode=f"57{size}", weight=Decimal("1.2")) for size in "SM"])
    ids = adapter.export_product(lamp)
    product = sim.products[ids[""]]
    assert (product["title"], product["status"], product["product_type"]) == ("Odoo Lamp", "DRAFT", "Lamps")
    assert product["description_html"] == "<p>Bright<br/>and warm</p>"
    variants = sim.state.product_variants(product)
    assert [(v["sku"], v["options"], v["price"], v["barcode"]) for v in variants] == [
        ("LAMP-S", {"Size": "S"}, Decimal("99.50"), "57S"), ("LAMP-M", {"Size": "M"}, Decimal("99.50"), "57M")]
    assert ids == {"": ids[""], **{v["sku"]: v["inventory_item_id"] for v in variants}}
    # a second export without the binding finds the product by SKU; a new variant is added, none deleted
    lamp.variants[0].price = Decimal("89")
    lamp.variants.append(records.Variant(sku="LAMP-L", options={"Size": "L"}, price=Decimal("120")))
    again = adapter.export_product(lamp)
    assert again[""] == ids[""] and len(sim.products) == 21
    assert [(v["sku"], v["price"]) for v in sim.state.product_variants(product)] == [
        ("LAMP-S", Decimal("89.00")), ("LAMP-M", Decimal("99.50")), ("LAMP-L", Decimal("120.00"))]
    assert product["status"] == "DRAFT"


def test_export_simple_product_published(adapter, sim):
    mug = records.Product(external_id="", name="Odoo Mug", sku="MUG-9", price=Decimal("45"))
    ids = adapter.export_product(mug, publish=True)
    product = sim.products[ids[""]]
    [variant] = sim.state.product_variants(product)
    assert (product["status"], variant["sku"], variant["price"], variant["options"]) == (
        "ACTIVE", "MUG-9", Decimal("45.00"), {"Title": "Default Title"})
    with pytest.raises(RemoteError, match="Title can't be blank"):
        adapter.export_product(records.Product(external_id="", name="", sku="BLANK-1"))


# -- webhooks ------------------------------------------------------------------------------------------
def test_register_webhooks_is_idempotent(adapter, sim):
    url = "https://odoo.example.com/shop_sync/webhook/1/token"
    first = adapter.register_webhooks(url)
    assert [topic for topic, _id in first] == ["orders/create", "orders/updated", "refunds/create", "products/create",
                                               "products/update"]
    assert adapter.register_webhooks(url) == first and len(sim.webhook_subscriptions) == 5


def test_webhook_signature_and_classification(adapter, sim):
    order = sim.rest.order(next(iter(sim.orders.values())))
    body, headers = signed(order)
    adapter.verify_webhook({key.lower(): value for key, value in headers.items()}, body)
    with pytest.raises(WebhookRejected):
        adapter.verify_webhook(headers, body + b" ")
    with pytest.raises(WebhookRejected):
        ShopifyAdapter({"url": "http://127.0.0.1:9", "access_token": "x", "webhook_secret": ""}).verify_webhook(
            headers, body)
    assert adapter.webhook_event({"X-Shopify-Topic": "orders/paid"}, order) == (
        "order", order["admin_graphql_api_id"], order["name"])
    product = sim.rest.product(next(iter(sim.products.values())))
    assert adapter.webhook_event({"X-Shopify-Topic": "products/update"}, product)[:2] == (
        "product", product["admin_graphql_api_id"])
    assert adapter.webhook_event({"X-Shopify-Topic": "inventory_levels/update"}, {"inventory_item_id": 1}) is None
