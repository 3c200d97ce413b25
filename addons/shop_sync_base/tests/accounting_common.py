"""Test helpers shared by the accounting connectors' tests (their cases provide ``import_order``
and ``export``)."""

from datetime import UTC, datetime
from decimal import Decimal

from odoo.addons.shop_sync_base.services import records


class AccountingRefunds:
    """Mixin of a connector's test case: refunds recorded through the hub's refund pipeline, on
    orders whose document was exported first.  ``ORDER``: the lines of ``invoiced``'s order."""

    ORDER = ()

    def refund(self, sale, refund_id, amount, lines=(), created_at=datetime(2026, 1, 8, 9, 0, tzinfo=UTC)):
        """Record a shop refund on ``sale`` through the hub's refund pipeline; returns the refund."""
        order = records.Order(
            external_id=f"o{sale.shop_order_number}", number=sale.shop_order_number, state="paid",
            created_at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC), currency=sale.currency_id.name,
            total=Decimal(str(sale.amount_total)), customer=None, billing=None, shipping=None,
            refunds=[records.Refund(external_id=refund_id,
                                    created_at=created_at, amount=Decimal(amount),
                                    lines=[records.RefundLine(kind=kind, sku=sku, quantity=Decimal(qty),
                                                              amount=Decimal(gross))
                                           for kind, sku, qty, gross in lines])])
        log, = self.env["shop.sync.refund.importer"]._import_refunds(self.shop, order, sale)
        self.assertEqual(log.state, "done", log.message)
        return sale.shop_refund_ids.filtered(lambda r: r.external_id == refund_id)

    def invoiced(self, number, lines=None, **kwargs):
        """An imported order (``ORDER`` unless ``lines``) whose document is exported."""
        sale = self.import_order(number, self.ORDER if lines is None else lines, **kwargs)
        self.assertEqual(self.export(sale).state, "done")
        return sale
