"""Test helpers: an in-memory shop adapter and a case with a configured backend."""

import dataclasses
import re
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.sql_db import Cursor
from odoo.tests import TransactionCase, freeze_time

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.adapter import ShopAdapter, WebhookRejected
from odoo.addons.shop_sync_base.services.http import RemoteError
from odoo.addons.shop_sync_base.services.signatures import hmac_base64, same

from simulators.seed import prepare_odoo_company


class MemoryShopAdapter(ShopAdapter):
    """A shop whose payloads are canonical-ish dicts kept in memory (no HTTP)."""

    def __init__(self, backend_config):
        super().__init__(backend_config)
        self.orders = {}  # external id -> payload dict
        self.products = {}
        self.stock_pushes = []
        self.fail_stock_for = set()
        self.shipments = {}  # order external id -> [records.Fulfilment] the shop records
        self.exported = []  # (external id, records.Product, publish) per export_product call
        self.refuse_export = set()  # SKUs the shop answers 400 to

    def test_connection(self):
        return "memory shop"

    def order_states(self):
        return [("pending", "Pending"), ("paid", "Paid"), ("cancelled", "Cancelled")]

    def default_allowed_states(self):
        return ["paid"]

    def identify(self, object_name, payload):
        return payload["id"], payload.get("number") or payload.get("sku")

    def fetch_orders(self, updated_since):
        return [p for p in self.orders.values() if not updated_since or _datetime(p["updated_at"]) > updated_since]

    def fetch_order(self, external_id):
        return self.orders.get(external_id)

    def fetch_products(self, updated_since=None):
        return list(self.products.values())

    def parse_order(self, payload):
        customer = payload["customer"]
        address = records.Address(name=customer["name"], street=payload.get("street", "Main 1"), zip="8000",
                                  city="Aarhus", country_code=payload.get("country", "DK"), email=customer["email"])
        return records.Order(
            external_id=payload["id"], number=payload["number"], state=payload["state"],
            created_at=_datetime(payload["created_at"]), currency=payload.get("currency", "DKK"),
            total=Decimal(payload["total"]),
            tax_total=None if payload.get("tax_total") is None else Decimal(payload["tax_total"]),
            customer=records.Customer(email=customer["email"], first_name=customer["name"],
                                      company=customer.get("company", ""), vat=customer.get("vat", "")),
            billing=address, shipping=payload.get("shipping") or address,
            lines=[records.OrderLine(kind=line.get("kind", "product"), name=line["name"], sku=line.get("sku", ""),
                                     quantity=Decimal(line["qty"]), unit_price=Decimal(line["price"]),
                                     tax_rate=None if line.get("rate") is None else Decimal(line["rate"]),
                                     external_id=line.get("id", ""))
                   for line in payload["lines"]],
            payment_method=payload.get("payment", ""), prices_include_tax=payload.get("prices_include_tax", True),
            paid_at=payload.get("paid_at") and _datetime(payload["paid_at"]),
            updated_at=payload.get("updated_at") and _datetime(payload["updated_at"]),
            refunds=[records.Refund(
                external_id=refund["id"], amount=Decimal(refund["amount"]),
                created_at=_datetime(payload["updated_at"]), restock=refund.get("restock", False),
                reason=refund.get("reason", ""), tax=refund.get("tax") and Decimal(refund["tax"]),
                lines=[records.RefundLine(kind=line.get("kind", "product"), amount=Decimal(line["amount"]),
                                          quantity=Decimal(line.get("qty", "0")), line_external_id=line.get("line", ""),
                                          sku=line.get("sku", ""), tax=line.get("tax") and Decimal(line["tax"]))
                       for line in refund.get("lines", [])])
                for refund in payload.get("refunds", [])],
        )

    def parse_product(self, payload):
        return records.Product(
            external_id=payload["id"], name=payload["name"], sku=payload.get("sku", ""),
            description=payload.get("description", ""), price=Decimal(payload["price"]),
            price_includes_tax=self.prices_include_tax(),
            barcode=payload.get("barcode", ""), category=payload.get("category", ""),
            published=payload.get("published", True),
            variants=[records.Variant(sku=v.get("sku", ""), options=v.get("options", {}), external_id=v["id"],
                                      barcode=v.get("barcode", ""), price=Decimal(payload["price"]))
                      for v in payload["variants"]],
            updated_at=payload.get("updated_at") and _datetime(payload["updated_at"]))

    def export_product(self, product, external_id=None, publish=False):
        if product.sku in self.refuse_export:
            raise RemoteError("Invalid SKU", status=400, body='{"message": "Invalid SKU"}')
        external_id = external_id or f"x{len(self.exported) + 1}"
        self.exported.append((external_id, product, publish))
        return {"": external_id, **{variant.sku: f"{external_id}-{variant.sku}" for variant in product.variants}}

    def push_stock(self, levels):
        self.stock_pushes.append(levels)
        return [records.PushResult(key=level.external_id, ok=level.sku not in self.fail_stock_for,
                                   message="" if level.sku not in self.fail_stock_for else "location not stocked")
                for level in levels]

    def fulfilments(self, order_external_id):
        return list(self.shipments.get(order_external_id, []))

    def create_fulfilment(self, fulfilment):
        shipments = self.shipments.setdefault(fulfilment.order_external_id, [])
        shipment = dataclasses.replace(fulfilment, reference="", external_id=f"ship-{len(shipments) + 1}")
        shipments.append(shipment)
        return shipment.external_id

    def verify_webhook(self, headers, body):
        if not same(hmac_base64(self.config["webhook_secret"], body), headers.get("X-Signature")):
            raise WebhookRejected("signature mismatch")

    def webhook_event(self, headers, payload):
        if payload.get("ping"):
            return None
        return ("order", payload["id"], payload["number"])


USER = "shop_sync_base.group_shop_sync_user"
MANAGER = "shop_sync_base.group_shop_sync_manager"
#: an Odoo sales description (plain text) and the HTML the shops must receive for it
PLAIN_DESCRIPTION = "<script>alert(1)</script>\nTea & cake"
ESCAPED_DESCRIPTION = "<p>&lt;script&gt;alert(1)&lt;/script&gt;<br/>Tea &amp; cake</p>"


class AccessAssertions:
    """For test cases checking the group and company checks of RPC-callable methods."""

    def assertRefused(self, call, *users):
        """``call(user)`` raises AccessError for each of ``users``."""
        for user in users:
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                call(user)


def export_described_product(env, backend):
    """Export (flow 3) a new product whose sales description is ``PLAIN_DESCRIPTION``."""
    template = env["product.template"].create({
        "name": "Odoo Tea", "default_code": "ODOO-TEA", "list_price": 10.0, "type": "consu",
        "description_sale": PLAIN_DESCRIPTION})
    env["shop.sync.product.exporter"]._export(backend, template)
    return template


def sale_tax(env, rate, name=None):
    """A sales tax of ``rate`` percent included in the price, as shops' gross prices need."""
    return env["account.tax"].create({
        "name": name or f"VAT {rate}% incl.", "amount": float(rate), "amount_type": "percent",
        "type_tax_use": "sale", "price_include_override": "tax_included", "company_id": env.company.id})


def assert_destination_tax(case, line, rate):
    """``line`` carries one tax of ``rate`` percent, a tax of its order's fiscal position (the buyer's
    destination: domestic, OSS, EU reverse charge or export)."""
    case.assertEqual(line.tax_ids.mapped("amount"), [float(rate)], line.name)
    case.assertIn(line.order_id.fiscal_position_id, line.tax_ids.fiscal_position_ids, line.name)


@contextmanager
def statements(*patterns):
    """Counts of the SQL statements matching each regular expression of ``patterns`` sent meanwhile."""
    counts = dict.fromkeys(patterns, 0)
    execute = Cursor.execute

    def counting(cursor, query, params=None, log_exceptions=True):
        for pattern in patterns:
            counts[pattern] += bool(re.search(pattern, str(query)))
        return execute(cursor, query, params, log_exceptions)

    with patch.object(Cursor, "execute", counting):
        yield counts


def _datetime(value):
    """Payloads go through JSON in the inbox: datetimes come back as ISO strings."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def order_payload(number, state="paid", email="anna@example.com", lines=None, total=None, **extra):
    lines = lines or [{"name": "Mug", "sku": "MUG-1", "qty": "2", "price": "100.00", "rate": "25"}]
    computed = sum(Decimal(l["qty"]) * Decimal(l["price"]) * (-1 if l.get("kind") == "discount" else 1)
                   for l in lines)
    payload = {
        "id": f"o{number}", "number": str(number), "state": state,
        "created_at": datetime(2026, 1, 5, 10, 0, tzinfo=UTC), "updated_at": datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
        "customer": {"email": email, "name": "Anna Jensen"}, "lines": lines,
        "total": total if total is not None else str(computed),
    }
    payload.update(extra)
    return payload


class ShopSyncCase(TransactionCase):
    """A backend using :class:`MemoryShopAdapter` of a Danish webshop company: Odoo's Danish chart and the
    EU One-Stop-Shop taxes and fiscal positions, prepared as the demo prepares its company (scripts/test.sh
    prepares the test database's company once; here it is only checked)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, queue_job__no_delay=True))
        cls.company = prepare_odoo_company(cls.env)
        cls.fiscal_positions = {position.name: position for position in cls.env["account.fiscal.position"].search(
            [("company_id", "=", cls.company.id)])}
        cls.tax25 = cls.company.account_sale_tax_id  # Danish VAT, included in the price
        cls.tax21 = sale_tax(cls.env, 21)
        cls.backend = cls.env["shop.sync.backend"].create({
            "name": "Memory shop", "webhook_secret": "s3cret", "confirm_orders": False})
        cls.adapter = MemoryShopAdapter(cls.backend._adapter_config())
        Backend = type(cls.env["shop.sync.backend"])
        cls.startClassPatcher(patch.object(Backend, "_get_adapter", lambda backend: cls.adapter))
        cls.backend.action_load_order_states()
        cls.mug = cls.env["product.product"].create({
            "name": "Mug", "default_code": "MUG-1", "type": "consu", "is_storable": True, "list_price": 100})

    def setUp(self):
        super().setUp()
        # a fresh shop per test: tests may replace adapter methods
        type(self).adapter = MemoryShopAdapter(self.backend._adapter_config())

    def import_order(self, payload):
        record = self.adapter.parse_order(payload)
        return self.env["shop.sync.order.importer"]._import(self.backend, record)

    def sale_for(self, number):
        return self.env["sale.order"].search([("shop_sync_backend_id", "=", self.backend.id),
                                              ("shop_order_number", "=", str(number))])


# the simulators' faults that apply a request and then fail its answer
AFTER_WRITE_FAULTS = ({"kind": "error_after_write", "status": 502}, {"kind": "drop_after_write"})


class ProductCreateExactlyOnceMixin:
    """Flow-3 product creation in a shop under the faults that apply the create and then fail
    (a 5xx answer, a dropped connection): exactly one remote product, one binding per record.

    A shop's case provides ``backend``, ``fault_plan`` (its simulator's FaultPlan),
    ``product_create_match()`` (fault options selecting the product create request) and
    ``remote_products(sku)`` (ids of the remote products holding ``sku``, on them or a variant).
    """

    def export_under_fault(self, template, fault, match):
        self.fault_plan.add(**fault, **match)
        exported = self.env["shop.sync.product.exporter"]._export(self.backend, template)
        self.assertFalse(self.fault_plan.faults, "the fault hit the create")
        errors = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("state", "=", "error")])
        self.assertEqual(exported, 1, errors.mapped("message"))

    def assert_bound_once(self, record, external_id=None):
        bindings = self.env["shop.sync.binding"].search([
            ("backend_id", "=", self.backend.id), ("model", "=", record._name), ("res_id", "=", record.id)])
        self.assertEqual(len(bindings), 1, f"one binding of {record.display_name}")
        if external_id is not None:
            self.assertEqual(bindings.external_id, external_id)

    def test_product_create_applied_then_failed_makes_one_product(self):
        for index, fault in enumerate(AFTER_WRITE_FAULTS):
            with self.subTest(fault=fault["kind"]):
                sku = f"EXACTLY-ONCE-{index}"
                template = self.env["product.template"].create({
                    "name": f"Exactly once {index}", "default_code": sku, "list_price": 10.0, "type": "consu"})
                self.export_under_fault(template, fault, self.product_create_match())
                remote = self.remote_products(sku)
                self.assertEqual(len(remote), 1, f"one product with SKU {sku} in the shop")
                self.assert_bound_once(template, remote[0])


class VariantCreateExactlyOnceMixin(ProductCreateExactlyOnceMixin):
    """The same for a product with variants, the fault on the product create or on the variants
    create; the case also provides ``variant_create_match()`` and ``remote_variant_count(sku)``."""

    def variable_template(self, name):
        size = self.env["product.attribute"].create({"name": f"Size {name}", "value_ids": [
            Command.create({"name": "S"}), Command.create({"name": "M"})]})
        template = self.env["product.template"].create({
            "name": name, "list_price": 20.0, "type": "consu", "attribute_line_ids": [
                Command.create({"attribute_id": size.id, "value_ids": [Command.set(size.value_ids.ids)]})]})
        for variant in template.product_variant_ids:
            variant.default_code = f"{name}-{variant.product_template_attribute_value_ids.name}"
        return template

    def test_variable_product_create_applied_then_failed_makes_one_product(self):
        steps = (("product", self.product_create_match()), ("variants", self.variant_create_match()))
        cases = [(step, match, fault) for step, match in steps for fault in AFTER_WRITE_FAULTS]
        for index, (step, match, fault) in enumerate(cases):
            with self.subTest(step=step, fault=fault["kind"]):
                template = self.variable_template(f"EXACT-SHIRT-{index}")
                self.export_under_fault(template, fault, match)
                products = {sku: self.remote_products(sku)
                            for sku in template.product_variant_ids.mapped("default_code")}
                self.assertEqual(len(set(map(tuple, products.values()))), 1, products)
                self.assertEqual([len(ids) for ids in products.values()], [1, 1], "one product holds both SKUs")
                for variant in template.product_variant_ids:
                    self.assertEqual(self.remote_variant_count(variant.default_code), 1)
                    self.assert_bound_once(variant)
                self.assert_bound_once(template, next(iter(products.values()))[0])


class WebhookCreateExactlyOnceMixin:
    """Webhook registration under the faults that apply a subscription's create and then fail: one
    subscription per topic (a duplicate delivers every event twice), the registration done.

    A shop's case provides ``backend``, ``fault_plan``, ``webhook_create_match()`` (fault options
    selecting the subscription create), ``clear_remote_webhooks()`` and ``remote_webhooks()``
    (``(topic, address)`` of each subscription in the shop).
    """

    def register_under_fault(self, fault):
        self.clear_remote_webhooks()
        self.fault_plan.add(**fault, **self.webhook_create_match())
        self.backend.action_register_webhooks()
        self.assertFalse(self.fault_plan.faults, "the fault hit a create")
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("flow", "=", "webhook")],
                                               order="id desc", limit=1)
        self.assertEqual(log.state, "done", log.message)

    def test_webhook_create_applied_then_failed_subscribes_each_topic_once(self):
        for fault in AFTER_WRITE_FAULTS:
            with self.subTest(fault=fault["kind"]):
                self.register_under_fault(fault)
                remote = self.remote_webhooks()
                self.assertEqual(len(remote), len(set(remote)), "one subscription per topic")
                self.assertEqual(len(remote), len(self.backend._get_adapter().WEBHOOK_TOPICS))
                self.backend.action_check_webhooks()
                self.assertEqual(self.backend.webhook_state, "ok", self.backend.webhook_health)


def deliver(sale, quantities=None, carrier="", tracking="", url=""):
    """Validate the open delivery of ``sale`` with the stock it needs: everything, or
    ``{sku: quantity}`` (the rest becomes a backorder); return the validated delivery."""
    env = sale.env
    picking = sale.picking_ids.filtered(lambda picking: picking.state not in ("done", "cancel"))
    picking.ensure_one()
    for move in picking.move_ids.filtered(lambda move: move.product_id.is_storable):
        env["stock.quant"]._update_available_quantity(move.product_id, move.location_id, move.product_uom_qty)
    picking.action_assign()
    for move in picking.move_ids:
        move.quantity = move.product_uom_qty if quantities is None else quantities.get(move.product_id.default_code, 0)
        move.picked = True
    picking.write({"shop_carrier": carrier, "shop_tracking_number": tracking, "shop_tracking_url": url})
    picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
    return picking


def poll_until_the_walk_ends(backend, clock, method="_poll_orders", flow="order_import", after_poll=None, most=8):
    """Run the poll job ``method`` of ``backend`` as queue_job would, again and again, until its walk
    ends (its 'Poll' log) or ``most`` polls ran: the continuation a paused poll queues (the stored
    queue.job) is taken off the queue and the simulator's ``clock`` (a ``ManualClock``; Odoo's time
    follows it) moved by its wait, else by queue_job's retry a few seconds later.  The import jobs are
    queued, not run.  ``after_poll(polls)`` runs between polls.  Returns each poll's continuation wait
    in seconds (0: none queued)."""
    Job, Log, waits = backend.env["queue.job"], backend.env["shop.sync.log"], []
    while len(waits) < most and not Log.search_count([("backend_id", "=", backend.id), ("flow", "=", flow),
                                                      ("reason", "=", "Poll")]):
        with freeze_time(datetime.fromtimestamp(clock.now, UTC)):
            getattr(backend.with_context(queue_job__no_delay=False), method)()
            continuation = Job.search([("method_name", "=", method), ("state", "=", "pending")])
            waits.append(continuation and (continuation.eta - fields.Datetime.now()).total_seconds())
        continuation.unlink()
        if after_poll:
            after_poll(len(waits))
        clock.advance(waits[-1] or 10)
    return waits


def assert_walk_continued(case, backend, polls, expected, start, flow="order_import", object_name="order"):
    """What a walk the shop interrupted leaves once ``poll_until_the_walk_ends`` ran it to the end
    (``polls``): every record of ``expected`` (external ids) in the inbox, one 'Poll paused' log
    (skipped: pacing is not a failure) per interrupted poll and no error, nothing left to continue,
    and the watermark at the first walk's ``start``."""
    stored = set(backend.env["shop.sync.event"].search([("backend_id", "=", backend.id),
                                                        ("object", "=", object_name)]).mapped("external_id"))
    case.assertEqual(stored, expected, f"every record of the shop reached the inbox ({len(polls)} polls)")
    case.assertGreater(len(polls), 1, "the shop interrupted the first walk")
    logs = backend.env["shop.sync.log"].search([("backend_id", "=", backend.id), ("flow", "=", flow)])
    paused = logs.filtered(lambda log: log.reason == "Poll paused")
    case.assertEqual((len(paused), set(paused.mapped("state"))), (len(polls) - 1, {"skipped"}))
    case.assertIn("The poll continues after the last page stored in", paused[-1].message)
    case.assertFalse(logs.filtered(lambda log: log.state == "error"), "pacing is not a failure")
    watermark, resume = {"order": ("orders_synced_until", "orders_poll_resume"),
                         "product": ("products_synced_until", "products_poll_resume")}[object_name]
    case.assertFalse(backend[resume])
    case.assertEqual(backend[watermark], start.replace(tzinfo=None), "as of the first walk's start")


def stored_orders(backend):
    """External ids of the orders in ``backend``'s inbox."""
    return set(backend.env["shop.sync.event"].search([("backend_id", "=", backend.id),
                                                      ("object", "=", "order")]).mapped("external_id"))
