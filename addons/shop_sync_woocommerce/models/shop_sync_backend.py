import secrets

from odoo import fields, models

from ..services.adapter import WooCommerceAdapter

MANAGER = "shop_sync_base.group_shop_sync_manager"


class ShopSyncBackend(models.Model):
    _inherit = "shop.sync.backend"

    kind = fields.Selection(selection_add=[("woocommerce", "WooCommerce")], ondelete={"woocommerce": "cascade"})
    woo_consumer_key = fields.Char("Consumer key", groups=MANAGER, copy=False,
                                   help="WooCommerce > Settings > Advanced > REST API: a Read/Write key.")
    woo_consumer_secret = fields.Char("Consumer secret", groups=MANAGER, copy=False)
    woo_prices_include_tax = fields.Boolean(
        "WooCommerce prices include tax", default=True,
        help="WooCommerce's 'Prices entered with tax' setting. Regular prices are converted to and from the "
             "Odoo sales price with the Odoo product's sales taxes (price included or not).")
    woo_shipment_tracking = fields.Boolean(
        "Shipment Tracking extension",
        help="The store uses WooCommerce Shipment Tracking: deliveries are also added to its tracking items "
             "(order meta _wc_shipment_tracking_items), shown in the order and the customer's e-mails.")

    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind == "woocommerce":
            backend = self.sudo()
            config.update(consumer_key=backend.woo_consumer_key or "",
                          consumer_secret=backend.woo_consumer_secret or "",
                          prices_include_tax=backend.woo_prices_include_tax,
                          shipment_tracking=backend.woo_shipment_tracking)
        return config

    def _get_adapter(self):
        if self.kind == "woocommerce":
            self.ensure_one()
            return WooCommerceAdapter(self._adapter_config())
        return super()._get_adapter()

    def _field_mapping(self):
        if self.kind == "woocommerce":
            return WooCommerceAdapter.FIELD_MAPPING
        return super()._field_mapping()

    def action_register_webhooks(self):
        """WooCommerce signs with a secret we choose: generate one on first registration."""
        self._check_manager()
        for backend in self.sudo().filtered(lambda b: b.kind == "woocommerce" and not b.webhook_secret):
            backend.webhook_secret = secrets.token_urlsafe(32)
        return super().action_register_webhooks()
