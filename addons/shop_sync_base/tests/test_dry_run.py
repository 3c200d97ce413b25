from datetime import datetime

from odoo.tests import new_test_user, tagged

from odoo.addons.shop_sync_base.tests.common import ShopSyncCase, order_payload
from odoo.addons.shop_sync_base.tests.test_products_and_stock import product_payload


@tagged("post_install", "-at_install", "shop_sync")
class TestDryRun(ShopSyncCase):
    """The dry-run shows field-level create/update/skip and leaves no trace at all."""

    def footprint(self):
        """Everything an import could leave behind."""
        env = self.env
        sequence = env["ir.sequence"].search(
            [("code", "=", "sale.order"), ("company_id", "in", (False, self.company.id))], limit=1)
        return {
            "sales": env["sale.order"].search_count([]), "partners": env["res.partner"].with_context(
                active_test=False).search_count([]),
            "products": env["product.template"].with_context(active_test=False).search_count([]),
            "logs": env["shop.sync.log"].search_count([]), "events": env["shop.sync.event"].search_count([]),
            "bindings": env["shop.sync.binding"].search_count([]), "jobs": env["queue.job"].search_count([]),
            "watermarks": (self.backend.orders_synced_until, self.backend.products_synced_until),
            "sequence": sequence.number_next_actual,
            "rules": {rule.id: rule.on_update for rule in self.backend.field_rule_ids},
        }

    def dry_run(self, objects="orders", user=None, **values):
        Wizard = self.env["shop.sync.dry.run"]
        if user:
            Wizard = Wizard.with_user(user)
        wizard = Wizard.create({"backend_id": self.backend.id, "objects": objects, **values})
        before = self.footprint()
        wizard.action_run()
        self.env.invalidate_all()
        self.maxDiff = None
        self.assertEqual(self.footprint(), before, "the dry-run left something behind")
        return wizard

    def lines(self, wizard, ref, action=None):
        return wizard.line_ids.filtered(lambda line: line.external_ref == ref and (not action or line.action == action))

    def test_orders_create_skip_and_update(self):
        self.import_order(order_payload(1003, state="paid"))
        self.backend.orders_synced_until = datetime(2026, 1, 1)
        for payload in (order_payload(1001, email="new.buyer@example.com"), order_payload(1002, state="pending"),
                        order_payload(1003, state="cancelled")):
            self.adapter.orders[payload["id"]] = payload
        wizard = self.dry_run()
        created = self.lines(wizard, "1001")
        self.assertEqual(set(created.mapped("action")), {"create"})
        fields = dict(zip(created.mapped("field"), created.mapped("new_value"), strict=True))
        self.assertEqual(fields["Sales Order: Total"], "200.00")
        self.assertEqual(fields["Contact: Email"], "new.buyer@example.com")
        self.assertEqual(fields["Line 1"], f"MUG-1 × 2 @ 100.00 {self.tax25.name}")
        self.assertRegex(fields["Sales Order: Order Reference"], r"^S\d+$")
        [skipped] = self.lines(wizard, "1002")
        self.assertEqual(skipped.action, "skip")
        self.assertIn("Order state not allowed", skipped.reason)
        [updated] = self.lines(wizard, "1003", "update")
        self.assertEqual((updated.old_value, updated.new_value), ("paid", "cancelled"))
        self.assertEqual(self.sale_for(1003).shop_order_state, "paid")
        self.assertEqual(wizard.summary, "1 create, 1 skip, 1 update")

    def test_limit_and_unchanged_payloads(self):
        payloads = [order_payload(n) for n in (2001, 2002, 2003)]
        for payload in payloads:
            self.adapter.orders[payload["id"]] = payload
        self.env["shop.sync.event"]._store(self.backend, "poll", "order", payloads[0], adapter=self.adapter)
        wizard = self.dry_run(record_limit=2)
        self.assertEqual(set(wizard.line_ids.mapped("external_ref")), {"2001", "2002"})
        [unchanged] = self.lines(wizard, "2001")
        self.assertEqual(unchanged.action, "skip")
        self.assertIn("in the inbox already", unchanged.reason)

    def test_product_update_respects_field_rules(self):
        self.env["shop.sync.product.importer"]._import(self.backend, self.adapter.parse_product(product_payload()))
        template = self.env["shop.sync.binding"]._find(self.backend, "product.template", "p1")._record()
        self.adapter.products["p1"] = product_payload(name="Tee from shop", price="249")
        wizard = self.dry_run("products")
        price = self.lines(wizard, "TEE").filtered(lambda line: line.field == "Product: Sales Price")
        self.assertEqual((price.action, price.old_value, price.new_value), ("update", "199.00", "249.00"))
        name = self.lines(wizard, "TEE").filtered(lambda line: line.field == "Product: Name")
        self.assertEqual((name.action, name.old_value, name.new_value), ("kept", "Tee", "Tee from shop"))
        self.assertIn("field rule", name.reason)
        self.assertEqual((template.name, template.list_price), ("Tee", 199))

    def test_shop_sync_user_can_run_it(self):
        user = new_test_user(self.env, "dryrunner", groups="shop_sync_base.group_shop_sync_user")
        self.adapter.orders["o3001"] = order_payload(3001)
        wizard = self.dry_run(user=user)
        self.assertEqual(set(self.lines(wizard, "3001").mapped("action")), {"create"})
        self.assertEqual(wizard.line_ids.with_user(user).mapped("wizard_id"), wizard)
