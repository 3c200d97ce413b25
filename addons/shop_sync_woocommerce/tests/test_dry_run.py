from odoo.tests import tagged

from .common import WooCommerceCase


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceDryRun(WooCommerceCase):
    """A dry-run against the simulator reads the shop and writes nowhere."""

    def test_dry_run_reads_only(self):
        self.import_products()
        self.backend.products_synced_until = False  # the dry-run reads every product again
        self.shop.journal.clear()
        Sale, Log, Event = self.env["sale.order"], self.env["shop.sync.log"], self.env["shop.sync.event"]
        counts = (Sale.search_count([]), Log.search_count([]), Event.search_count([]))
        wizard = self.env["shop.sync.dry.run"].create(
            {"backend_id": self.backend.id, "objects": "both", "record_limit": 5})
        wizard.action_run()
        orders = wizard.line_ids.filtered(lambda line: line.object == "order")
        self.assertEqual(len(set(orders.mapped("external_ref"))), 5)
        self.assertIn("create", orders.mapped("action"))
        products = wizard.line_ids.filtered(lambda line: line.object == "product")
        self.assertEqual(set(products.mapped("action")), {"skip"}, "the products were just imported")
        self.assertIn("in the inbox already", products[0].reason)
        self.assertEqual((Sale.search_count([]), Log.search_count([]), Event.search_count([])), counts)
        self.assertFalse(self.backend.orders_synced_until or self.backend.products_synced_until)
        self.assertTrue(self.shop.journal)
        self.assertEqual({entry[0] for entry in self.shop.journal}, {"GET"})
