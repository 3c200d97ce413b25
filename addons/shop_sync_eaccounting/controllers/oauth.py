from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.http import request

MANAGER = "shop_sync_base.group_shop_sync_manager"


class EAccountingOAuth(http.Controller):
    """Where Visma's identity server sends the Manager back with the authorisation code (the
    backend's redirect URI, registered for the client at Visma): the code is exchanged at once."""

    @http.route("/shop_sync/eaccounting/oauth", type="http", auth="user", methods=["GET"])
    def authorised(self, code=None, state=None, error=None, **_params):
        if not request.env.user.has_group(MANAGER):
            raise Forbidden()
        # the state names the backend whose link was opened (one of the Manager's companies)
        backend = request.env["shop.sync.backend"].search(
            [("kind", "=", "eaccounting"), ("eacc_auth_state_token", "=", state or "-")], limit=1) if state else None
        if not backend:
            raise NotFound()
        if code:
            backend.eacc_authorisation_code = code
            backend.action_eacc_authorise()
        backend.action_eacc_new_authorisation()  # a link is used once
        if error:
            backend.eacc_auth_message = error[:250]
        return request.redirect(f"/odoo/action-shop_sync_base.action_shop_sync_backend/{backend.id}")
