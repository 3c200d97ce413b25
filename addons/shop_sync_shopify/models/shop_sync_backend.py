from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.services.http import RemoteError

from ..services.adapter import ShopifyAdapter
from ..services.constants import FIELD_MAPPING

MANAGER = "shop_sync_base.group_shop_sync_manager"


class ShopSyncBackend(models.Model):
    """Shopify backends: the shop URL (``api_url``), the Admin API access token, the app's API
    secret (``webhook_secret``, signs the webhooks) and the location stock is written to."""

    _inherit = "shop.sync.backend"

    kind = fields.Selection(selection_add=[("shopify", "Shopify")], ondelete={"shopify": "cascade"})
    shopify_access_token = fields.Char(
        "Shopify access token", groups=MANAGER, copy=False,
        help="Admin API access token of the custom app (shpat_...), with the read/write scopes for orders, "
             "products and inventory.")
    shopify_location_id = fields.Char(
        "Shopify location", groups=MANAGER, copy=False,
        help="Location (gid://shopify/Location/...) whose available stock is set from Odoo. "
             "Empty: the shop's primary location, filled in by Test connection.")
    shopify_bulk_import = fields.Boolean(
        "Full imports in bulk", default=True,
        help="A full product import reads Shopify's bulk export (one background query and a JSONL file) instead "
             "of paging through the catalogue; the import job runs again until the export is ready.")
    shopify_prices_include_tax = fields.Boolean(
        "Shopify prices include tax", default=True,
        help="Shopify's 'Include sales tax in product price' setting (the shop's taxesIncluded, shown by Test "
             "connection). Product prices are converted to and from the Odoo sales price with the Odoo "
             "product's sales taxes (price included or not).")

    def _get_adapter(self):
        self.ensure_one()
        if self.kind != "shopify":
            return super()._get_adapter()
        config = self._adapter_config()
        if not (config["url"] and config["access_token"]):
            raise UserError(_("Backend %s needs the shop URL and the Shopify access token.", self.name))
        return ShopifyAdapter(config, notify=self._shopify_note)

    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind == "shopify":
            backend = self.sudo()
            config.update(access_token=backend.shopify_access_token or "",
                          location_id=backend.shopify_location_id or "", bulk_import=backend.shopify_bulk_import,
                          prices_include_tax=backend.shopify_prices_include_tax)
        return config

    def _shopify_note(self, flow, ref, external_id, reason, message):
        """Log a note of the adapter that is no failure (e.g. stock changed in Shopify, set again)."""
        self.env["shop.sync.log"]._record(self, flow, "done", ref=ref, external_id=external_id, reason=reason,
                                          message=message)

    def _rate_limit_defaults(self):
        """GraphQL Admin API, standard plan: 100 cost points per second restored, a bucket of 2,000
        points (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits; the bucket as
        ``extensions.cost.throttleStatus.maximumAvailable`` reports it)."""
        if self.kind == "shopify":
            return 100.0, 2000.0
        return super()._rate_limit_defaults()

    def _field_mapping(self):
        if self.kind == "shopify":
            return FIELD_MAPPING
        return super()._field_mapping()

    def action_test_connection(self):
        """Also remember the shop's primary location when none is chosen yet."""
        result = super().action_test_connection()
        backend = self.sudo()
        if self.kind == "shopify" and self.connection_state == "ok" and not backend.shopify_location_id:
            try:
                location_id, _name = self._get_adapter().primary_location()
            except RemoteError as exc:
                self.env["shop.sync.log"]._record(self, "connection", "error", reason=_("No Shopify location"),
                                                   message=str(exc))
            else:
                backend.shopify_location_id = location_id
        return result
