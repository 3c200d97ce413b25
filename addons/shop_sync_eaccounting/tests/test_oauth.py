"""OAuth2 on the backend: the code exchanged once from the form, the tokens readable by Managers only,
the access token refreshed before it expires, a refused refresh token stopping the flows."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.shop_sync_eaccounting.services.client import AuthorisationError

from .common import EAccountingCase


@tagged("post_install", "-at_install", "shop_sync")
class TestOAuth(EAccountingCase):
    def token(self):
        return self.env["shop.sync.eaccounting.token"].sudo().search([("backend_id", "=", self.accounting.id)])

    def test_code_exchanged_once_and_cleared(self):
        token = self.token()
        self.assertTrue(token.access_token and token.refresh_token)
        self.assertFalse(self.accounting.eacc_authorisation_code)
        self.assertEqual(self.sim.codes, {}, "the code was used")
        self.assertIn("connect/authorize", self.accounting.eacc_authorise_url)
        self.assertIn("offline_access", self.accounting.eacc_authorise_url)

    def test_used_code_is_a_clear_error(self):
        code = self.sim.issue_authorization_code()
        self.accounting.eacc_authorisation_code = code
        self.accounting.action_eacc_authorise()
        self.accounting.eacc_authorisation_code = code
        result = self.accounting.action_eacc_authorise()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("invalid_grant", result["params"]["message"])
        self.assertFalse(self.accounting.eacc_authorisation_code)

    def test_tokens_readable_by_managers_only(self):
        user = new_test_user(self.env, "eacc_user", groups="shop_sync_base.group_shop_sync_user",
                             company_id=self.company.id, company_ids=[self.company.id])
        with self.assertRaises(AccessError):
            self.env["shop.sync.eaccounting.token"].with_user(user).search([]).read(["refresh_token"])
        with self.assertRaises(AccessError):
            self.accounting.with_user(user).read(["eacc_client_secret"])
        manager = new_test_user(self.env, "eacc_manager", groups="shop_sync_base.group_shop_sync_manager",
                                company_id=self.company.id, company_ids=[self.company.id])
        self.assertTrue(self.env["shop.sync.eaccounting.token"].with_user(manager).search([]).refresh_token)

    def test_tokens_cannot_be_moved_to_a_backend_of_another_company(self):
        """Else another company's Manager could give this company's new backend his own eAccounting's
        tokens, and its orders would be invoiced where he reads them."""
        other_company = self.env["res.company"].create({"name": "Other AB"})
        other_manager = new_test_user(self.env, "eacc_manager_b", groups="shop_sync_base.group_shop_sync_manager",
                                      company_id=other_company.id, company_ids=[other_company.id])
        theirs = self.env["shop.sync.backend"].create({"name": "Their eAccounting", "kind": "eaccounting",
                                                       "company_id": other_company.id})
        token = self.env["shop.sync.eaccounting.token"].sudo().create({
            "backend_id": theirs.id, "access_token": "theirs", "refresh_token": "theirs"})
        ours = self.env["shop.sync.backend"].create({"name": "New eAccounting", "kind": "eaccounting",
                                                     "company_id": self.company.id})
        with self.assertRaises(AccessError):
            token.with_user(other_manager).with_context(allowed_company_ids=other_company.ids).write(
                {"backend_id": ours.id})
        self.assertEqual(token.backend_id, theirs)

    def test_access_token_refreshed_before_it_expires(self):
        token = self.token()
        first_access, first_refresh = token.access_token, token.refresh_token
        with freeze_time(fields.Datetime.now() + timedelta(minutes=50)):  # 10 minutes left: still used
            self.assertEqual(self.accounting._eacc_access_token(), first_access)
        with freeze_time(fields.Datetime.now() + timedelta(minutes=56)):  # 4 minutes left: refreshed
            renewed = self.accounting._eacc_access_token()
        self.assertNotEqual(renewed, first_access)
        self.assertNotEqual(self.token().refresh_token, first_refresh)
        self.assertEqual(self.accounting.eacc_auth_state, "authorised")

    def test_revoked_refresh_token_stops_the_flows(self):
        self.sim.revoke_grant()
        sale = self.import_order(7001)
        log = self.export(sale)
        self.assertEqual(log.state, "error")
        self.assertIn("invalid_grant", log.message)
        self.assertEqual(self.accounting.eacc_auth_state, "reauthorise")
        self.assertIn("refresh token", self.accounting.eacc_auth_message)
        self.assertFalse(self.token().refresh_token)
        self.assertEqual(sale.accounting_state, "pending", "importable again once authorised")
        self.assertFalse(self.sim.drafts)
        self.assertEqual(self.accounting._shop_sync_scheduled_flows(), [])
        with self.assertRaises(AuthorisationError):
            self.accounting._eacc_access_token()
        # authorised again: Retry sends it
        self.authorise()
        self.assertEqual(self.export(sale).state, "done")
        self.assertEqual(len(self.sim.drafts), 1)

    def test_wrong_client_secret_names_the_cause(self):
        self.accounting.eacc_client_secret = "s3cr3t-typo"
        self.env.flush_all()  # the refresh reads it in a transaction of its own
        self.accounting.eacc_authorisation_code = self.sim.issue_authorization_code()
        result = self.accounting.action_eacc_authorise()
        self.assertIn("invalid_client", result["params"]["message"])
        # not assertRaises: it rolls back to a savepoint, and the refresh's own transaction is the test's here
        try:
            self.accounting._eacc_access_token(force=True)
            self.fail("Visma refused the client secret")
        except AuthorisationError as exc:
            self.assertIn("invalid_client", str(exc))
        self.assertEqual(self.accounting.eacc_auth_state, "reauthorise")
        log = self.logs("connection").sorted("id")[-1]
        self.assertIn("invalid_client", log.message)
        self.assertNotIn("s3cr3t-typo", log.message)
