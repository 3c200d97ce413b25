from odoo import http
from odoo.http import request

from odoo.addons.shop_sync_base.controllers.webhook import ShopSyncWebhook
from odoo.addons.shop_sync_base.services.signatures import same

from ..services.adapter import is_ping


class WooCommerceWebhook(ShopSyncWebhook):
    """Acknowledge WooCommerce's delivery test.

    On creating a webhook WooCommerce posts an unsigned form ``webhook_id=<id>`` and keeps the
    webhook only if the answer is 200; it carries no data, so it is answered (and logged) here,
    before the hub's endpoint would refuse it as unsigned and not JSON.
    """

    @http.route()
    def receive(self, backend_id, token, **params):
        if is_ping(request.httprequest.headers, params):
            env = request.env(su=True)
            backend = env["shop.sync.backend"].browse(backend_id).exists()
            if backend.active and backend.kind == "woocommerce" and same(backend.webhook_token, token):
                env["shop.sync.log"]._record(
                    backend, "webhook", "done", reason=env._("Ping"),
                    message=env._("Delivery test of WooCommerce webhook %s acknowledged.", params["webhook_id"]))
                return self._answer(200, "pong")
        return super().receive(backend_id, token, **params)
