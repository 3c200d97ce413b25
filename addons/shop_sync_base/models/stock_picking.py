from odoo import _, api, fields, models
from odoo.exceptions import AccessError

FULFILMENT_STATES = [("pending", "Queued"), ("done", "In the shop"), ("skipped", "Not sent"), ("error", "Error")]


class StockPicking(models.Model):
    """A validated delivery of a shop order is reported to the shop as a fulfilment.

    Carrier and tracking live in our own fields: Odoo's ``carrier_id`` / ``carrier_tracking_ref``
    belong to ``stock_delivery`` (the ``delivery`` stack), which the hub does not depend on; when
    that module is installed, its carrier name, tracking reference and tracking URL fill in what
    these fields leave empty.
    """

    _inherit = "stock.picking"

    shop_carrier = fields.Char("Carrier", copy=False,
                               help="Carrier name sent to the shop with this delivery (e.g. PostNord DK, GLS).")
    shop_tracking_number = fields.Char("Tracking number", copy=False)
    shop_tracking_url = fields.Char("Tracking URL", copy=False)
    shop_fulfilment_state = fields.Selection(
        FULFILMENT_STATES, "Shop fulfilment", readonly=True, copy=False,
        help="Whether this delivery was reported to the shop the order comes from; the sync log says why not.")
    shop_fulfilment_ref = fields.Char("Shop shipment", readonly=True, copy=False,
                                      help="The shop's id of the shipment recorded for this delivery.")
    is_shop_delivery = fields.Boolean(compute="_compute_is_shop_delivery",
                                      help="A delivery to the customer of an order imported from a shop.")

    @api.depends("sale_id", "picking_type_code")
    def _compute_is_shop_delivery(self):
        for picking in self:
            picking.is_shop_delivery = bool(picking.picking_type_code == "outgoing"
                                            and picking.sudo().sale_id.shop_sync_backend_id)

    def _action_done(self):
        result = super()._action_done()
        self._shop_sync_enqueue_fulfilments()
        return result

    def _shop_sync_enqueue_fulfilments(self):
        """Queue the report of each validated delivery of a shop order to its shop.  Runs for
        whoever validates the delivery (Odoo checked that): the shop configuration is read as
        superuser."""
        for picking in self.sudo().filtered(lambda p: p.state == "done" and p.picking_type_code == "outgoing"):
            backend = picking.sale_id.shop_sync_backend_id
            if backend.active and backend.role == "shop" and backend.export_fulfilments:
                picking.shop_fulfilment_state = "pending"
                backend._enqueue_fulfilment(picking)

    def action_shop_sync_send_fulfilment(self):
        """Button: report these deliveries to their shop again (e.g. after fixing an error)."""
        for picking in self:
            backend = picking.sudo().sale_id.shop_sync_backend_id
            if not backend:
                raise AccessError(_("Delivery %s does not belong to a shop order.", picking.name))
            backend.sudo(False)._check_manager()
            picking.check_access("read")
        for picking in self.sudo():
            picking.shop_fulfilment_state = "pending"
            picking.sale_id.shop_sync_backend_id._enqueue_fulfilment(picking)
        return self.env["shop.sync.backend"]._notify(_("Fulfilment queued."), "info")

    def _shop_sync_tracking(self):
        """(carrier, tracking number, tracking URL): ours, else stock_delivery's when installed."""
        self.ensure_one()
        carrier = self.shop_carrier or ""
        number = self.shop_tracking_number or ""
        url = self.shop_tracking_url or ""
        if "carrier_tracking_ref" in self._fields:
            carrier = carrier or self.carrier_id.name or ""
            number = number or self.carrier_tracking_ref or ""
            url = url or self.carrier_tracking_url or ""
        return carrier.strip(), number.strip(), url.strip()
