from odoo import _, fields, models


class ShopSyncBackend(models.Model):
    """Fulfilments: validated deliveries of a shop's orders reported back to the shop."""

    _inherit = "shop.sync.backend"

    export_fulfilments = fields.Boolean(
        "Report deliveries", default=True,
        help="When a delivery of an order from this shop is validated, the shop records the shipment with "
             "carrier and tracking number and notifies the buyer.")

    def _enqueue_fulfilment(self, picking):
        """Queue the report of ``picking``; a job already queued for it is not doubled."""
        self.ensure_one()
        return self._shop_sync_enqueue("fulfilment_export", picking, description=_(
            "Fulfilment %(picking)s: %(name)s", picking=picking.name, name=self.name))

    def _export_fulfilment(self, picking):
        """Job: report one delivery to the shop.  Runs as the user who validated it, who need not
        be a Shop Sync user: bindings and logs are written as superuser (not reachable over RPC)."""
        self.ensure_one()
        return self.env["shop.sync.fulfilment.exporter"].sudo()._export(self.sudo(), picking.sudo())
