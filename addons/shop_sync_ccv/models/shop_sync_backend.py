import json

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..services.adapter import CcvAdapter
from ..services.constants import DEFAULT_VAT_RATE, FIELD_MAPPING, LOOKBACK_DAYS

MANAGER = "shop_sync_base.group_shop_sync_manager"


class ShopSyncBackend(models.Model):
    """CCV Shop backends: API keys, the signing keys of the registered webhooks and the adapter."""

    _inherit = "shop.sync.backend"

    kind = fields.Selection(selection_add=[("ccv", "CCV Shop")], ondelete={"ccv": "cascade"})
    ccv_public_key = fields.Char("CCV public key", groups=MANAGER, copy=False,
                                 help="Public key of the API key pair made in the CCV Shop back office.")
    ccv_secret_key = fields.Char("CCV secret key", groups=MANAGER, copy=False,
                                 help="Secret key of the API key pair; signs every request and answer.")
    ccv_webhook_events = fields.Char("Registered CCV webhooks", compute="_compute_ccv_webhook_events",
                                     groups=MANAGER,
                                     help="Events whose webhook signing key is stored (Register webhooks).")
    ccv_order_lookback_days = fields.Integer(
        "Order look-back (days)", default=LOOKBACK_DAYS,
        help="CCV cannot list orders changed since a date: each poll re-reads the orders created in the "
             "last days to see their status changes.")
    ccv_vat_rate = fields.Float(
        "Fallback VAT rate of created products (%)", default=float(DEFAULT_VAT_RATE), digits=(16, 2),
        help="A product the export creates in CCV Shop gets the VAT rate of the Odoo product's sales taxes "
             "for this backend's company (and an update their changed rate, as the VAT rate rule says); "
             "this rate only when the Odoo product has no sales tax.")

    _ccv_lookback_positive = models.Constraint(
        "CHECK(ccv_order_lookback_days IS NULL OR ccv_order_lookback_days > 0)",
        "The order look-back must be at least one day.")

    @api.depends("webhook_secret")
    def _compute_ccv_webhook_events(self):
        for backend in self:
            try:
                stored = json.loads(backend.webhook_secret or "{}")
            except ValueError:
                stored = {}
            events = sorted(hook.get("event") or "?" for hook in stored.values() if isinstance(hook, dict)) \
                if isinstance(stored, dict) else []
            backend.ccv_webhook_events = ", ".join(events)

    def _get_adapter(self):
        self.ensure_one()
        if self.kind != "ccv":
            return super()._get_adapter()
        config = self._adapter_config()
        if not (config["url"] and config["public_key"] and config["secret_key"]):
            raise UserError(_("Backend %s needs the shop URL and the CCV public and secret keys.", self.name))
        return CcvAdapter(config)

    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind == "ccv":
            backend = self.sudo()
            config.update(public_key=backend.ccv_public_key or "", secret_key=backend.ccv_secret_key or "",
                          order_lookback_days=backend.ccv_order_lookback_days or LOOKBACK_DAYS,
                          vat_rate=backend.ccv_vat_rate)
        return config

    def _keeps_product_vat_rate(self):
        """CCV keeps a ``vatrate`` per product."""
        return self.kind == "ccv" or super()._keeps_product_vat_rate()

    def _rate_limit_defaults(self):
        """CCV allows 100 writes and 150 GETs per minute (shared/specs/ccv/FACTS.md, "Limits"), counted in
        fixed minutes: 1.5 requests per second with a burst of 10 keeps any minute within 100."""
        if self.kind == "ccv":
            return 1.5, 10.0
        return super()._rate_limit_defaults()

    def _field_mapping(self):
        if self.kind == "ccv":
            return FIELD_MAPPING
        return super()._field_mapping()
