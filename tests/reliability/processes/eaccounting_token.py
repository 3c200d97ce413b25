"""One eAccounting worker of the token race (run through ``odoo shell``, see test_token_refresh.py).

``RELIABILITY_SETUP=<code>``: create an eAccounting backend on the simulator at
``RELIABILITY_EACCOUNTING_URL``, authorise it with that code and leave its access token expiring (the next
use refreshes it); prints its id.  Otherwise: ask backend ``RELIABILITY_BACKEND`` for an access token, as
a job does before its first request, and print the token or the error.
"""
# ruff: noqa: F821 - `env` is given by odoo shell

import json
import os
from datetime import timedelta

from odoo import fields

from simulators.eaccounting import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI

if os.environ.get("RELIABILITY_SETUP"):
    url = os.environ["RELIABILITY_EACCOUNTING_URL"]
    backend = env["shop.sync.backend"].with_context(tracking_disable=True).create({
        "name": "eAccounting (token race)", "kind": "eaccounting", "api_url": url, "eacc_identity_url": url,
        "eacc_client_id": CLIENT_ID, "eacc_client_secret": CLIENT_SECRET, "eacc_redirect_uri": REDIRECT_URI,
        "eacc_authorisation_code": os.environ["RELIABILITY_SETUP"]})
    backend.action_eacc_authorise()
    assert backend.eacc_auth_state == "authorised", backend.eacc_auth_message
    backend._eacc_token_record().expires_at = fields.Datetime.now() + timedelta(seconds=30)
    env.cr.commit()
    result = {"backend": backend.id}
else:
    backend = env["shop.sync.backend"].browse(int(os.environ["RELIABILITY_BACKEND"]))
    try:
        result = {"token": backend._eacc_access_token()}
    except Exception as exc:  # noqa: BLE001 - the test reads what this worker met
        result = {"error": type(exc).__name__, "message": str(exc), "retryable": getattr(exc, "retryable", None)}
    env.cr.rollback()
    result["auth_state"] = backend.eacc_auth_state
print("RELIABILITY " + json.dumps(result))
