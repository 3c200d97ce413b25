from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import MemoryShopAdapter, order_payload

from .common import EAccountingCase


@tagged("post_install", "-at_install", "shop_sync")
class TestDryRunWithEAccounting(EAccountingCase):
    """The document job an import queues is rolled back with the dry-run, never run inline."""

    def test_dry_run_queues_and_sends_nothing(self):
        adapter = MemoryShopAdapter({})
        adapter.orders["o6001"] = order_payload(6001, currency="SEK")
        Backend = type(self.env["shop.sync.backend"])
        self.startPatcher(patch.object(Backend, "_get_adapter", lambda backend: adapter))
        jobs = self.env["queue.job"].search_count([])
        self.sim.request_log.clear()
        wizard = self.env["shop.sync.dry.run"].with_context(queue_job__no_delay=True).create(
            {"backend_id": self.shop.id, "objects": "orders"})
        wizard.action_run()
        self.assertEqual(set(wizard.line_ids.mapped("action")), {"create"})
        self.assertEqual(self.env["queue.job"].search_count([]), jobs)
        self.assertFalse(self.env["sale.order"].search([("shop_order_number", "=", "6001")]))
        self.assertFalse(self.sim.request_log, "nothing reached eAccounting")
