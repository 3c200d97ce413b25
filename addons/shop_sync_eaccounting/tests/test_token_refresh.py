"""The OAuth token refresh and the code exchange when Visma's answer is lost.  Visma uses a refresh
token once: a refresh answered 5xx or not at all may have replaced the stored token.  Such a failure
keeps the tokens and is retried; a refusal after it says the answer was lost; a refusal alone asks
to authorise again, as before; no worker sends a refresh token whose refresh is under way."""

from datetime import timedelta

from odoo import fields
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.shop_sync_base.services.http import RemoteError
from odoo.addons.shop_sync_base.tests.common import AFTER_WRITE_FAULTS
from odoo.addons.shop_sync_eaccounting.services.client import AuthorisationError

from .common import EAccountingCase

TOKEN_PATH = "/connect/token"
# the access token has 4 minutes left: the next use refreshes it
EXPIRING = timedelta(minutes=56)


@tagged("post_install", "-at_install", "shop_sync")
class TestTokenRefreshUnderFaults(EAccountingCase):
    def token(self):
        return self.env["shop.sync.eaccounting.token"].sudo().search([("backend_id", "=", self.accounting.id)])

    def access_token_error(self, force=False):
        """The error ``_eacc_access_token`` raises (not assertRaises: it rolls back to a savepoint, and
        the refresh's own transaction is the test's here)."""
        try:
            self.accounting._eacc_access_token(force=force)
        except RemoteError as exc:
            return exc
        return self.fail("the refresh was expected to fail")

    def token_requests(self):
        return [entry for entry in self.sim.journal if entry[0] == "POST" and entry[1] == TOKEN_PATH]

    def test_refresh_answered_5xx_keeps_the_tokens_and_succeeds_later(self):
        token = self.token()
        first = (token.access_token, token.refresh_token)
        self.sim.faults.add("error", status=503, path=TOKEN_PATH, method="POST")
        with freeze_time(fields.Datetime.now() + EXPIRING):
            error = self.access_token_error()
            self.assertNotIsInstance(error, AuthorisationError)
            self.assertTrue(error.retryable)
            self.assertEqual((token.access_token, token.refresh_token), first, "the tokens are kept")
            self.assertEqual(self.accounting.eacc_auth_state, "authorised")
            self.assertEqual(token.refresh_state, "lost", "Visma may have applied it")
            log = self.logs("connection").sorted("id")[-1]
            self.assertEqual((log.state, log.reason), ("error", "Token refresh failed"))
            self.assertIn("tried again", log.message)
            renewed = self.accounting._eacc_access_token()
        self.assertNotEqual(renewed, first[0])
        self.assertNotEqual(token.refresh_token, first[1])
        self.assertFalse(token.refresh_state or token.refresh_sent_at, "the answer arrived")

    def test_refresh_applied_then_answer_lost_asks_to_authorise_naming_the_lost_answer(self):
        for fault in AFTER_WRITE_FAULTS:
            with self.subTest(fault=fault["kind"]):
                self.authorise()
                self.env.flush_all()  # the refresh reads the tokens in a transaction of its own
                token = self.token()
                first = (token.access_token, token.refresh_token)
                self.sim.faults.add(**fault, path=TOKEN_PATH, method="POST")
                with freeze_time(fields.Datetime.now() + EXPIRING):
                    error = self.access_token_error()
                    self.assertFalse(self.sim.faults.faults, "Visma applied the refresh")
                    self.assertNotIsInstance(error, AuthorisationError)
                    self.assertTrue(error.uncertain)
                    self.assertEqual(self.accounting.eacc_auth_state, "authorised", "retryable, not refused")
                    self.assertEqual((token.access_token, token.refresh_token), first)
                    self.assertEqual(token.refresh_state, "lost")
                    # the retry: Visma replaced the refresh token with the one in the lost answer
                    refused = self.access_token_error()
                self.assertIsInstance(refused, AuthorisationError)
                self.assertIn("invalid_grant", str(refused))
                self.assertEqual(self.accounting.eacc_auth_state, "reauthorise")
                self.assertIn("was lost", self.accounting.eacc_auth_message)
                log = self.logs("connection").sorted("id")[-1]
                self.assertEqual(log.reason, "Re-authorise")
                self.assertIn("the answer to the refresh sent at", log.message)
                self.assertFalse(token.access_token or token.refresh_token or token.expires_at or token.refresh_state,
                                 "no half-written tokens")
                self.assertEqual(self.accounting._shop_sync_scheduled_flows(), [])

    def test_refused_refresh_token_asks_to_authorise_and_notifies_at_once(self):
        responsible = new_test_user(self.env, "eacc_responsible", groups="shop_sync_base.group_shop_sync_manager",
                                    company_id=self.company.id, company_ids=[self.company.id])
        self.accounting.write({"responsible_user_ids": [(6, 0, responsible.ids)], "error_threshold": 5})
        self.sim.revoke_grant()
        refused = self.access_token_error(force=True)
        self.assertIsInstance(refused, AuthorisationError)
        self.assertEqual(self.accounting.eacc_auth_state, "reauthorise")
        self.assertIn("Visma refused the refresh token", self.accounting.eacc_auth_message)
        self.assertNotIn("lost", self.accounting.eacc_auth_message)
        self.assertFalse(self.token().refresh_token)
        activity = self.env["mail.activity"].search([("res_model", "=", "shop.sync.backend"),
                                                     ("res_id", "=", self.accounting.id)])
        self.assertEqual(activity.user_id, responsible, "a refused grant is a lost connection: notified at once")
        self.assertEqual(activity.shop_sync_key, "connection_lost")

    def test_no_second_refresh_while_one_is_under_way(self):
        token = self.token()
        first_refresh = token.refresh_token
        sent_before = len(self.token_requests())  # the code exchange
        with freeze_time(fields.Datetime.now() + EXPIRING):
            token.write({"refresh_state": "sent", "refresh_sent_at": fields.Datetime.now()})
            self.env.flush_all()
            under_way = self.access_token_error()
            self.assertTrue(under_way.retryable)
            self.assertIn("Another worker is refreshing", str(under_way))
            self.assertEqual(len(self.token_requests()), sent_before, "the refresh token is not sent twice")
            self.assertEqual(token.refresh_state, "sent")
        # that worker stopped without an answer: later the refresh is sent again and (not applied) succeeds
        with freeze_time(fields.Datetime.now() + EXPIRING + timedelta(minutes=3)):
            self.accounting._eacc_access_token()
        self.assertEqual(len(self.token_requests()), sent_before + 1)
        self.assertNotEqual(token.refresh_token, first_refresh)
        self.assertFalse(token.refresh_state)

    def test_code_exchange_whose_answer_is_lost_keeps_the_earlier_tokens(self):
        token = self.token()
        earlier = (token.access_token, token.refresh_token)
        for fault in AFTER_WRITE_FAULTS:
            with self.subTest(fault=fault["kind"]):
                self.accounting.eacc_authorisation_code = self.sim.issue_authorization_code()
                self.sim.faults.add(**fault, path=TOKEN_PATH, method="POST")
                result = self.accounting.action_eacc_authorise()
                self.assertFalse(self.sim.faults.faults, "Visma used the code")
                self.assertEqual(result["params"]["type"], "danger")
                self.assertIn("answer was lost", result["params"]["message"])
                self.assertIn("open the authorisation link again", self.accounting.eacc_auth_message)
                self.assertFalse(self.accounting.eacc_authorisation_code, "a code is used once")
                self.assertEqual((token.access_token, token.refresh_token), earlier)
                self.assertEqual(self.accounting.eacc_auth_state, "authorised")
        # the earlier grant still works
        self.assertNotEqual(self.accounting._eacc_access_token(force=True), earlier[0])

    def test_invoice_job_whose_refresh_is_answered_5xx_is_retried_and_exports_once(self):
        sale = self.import_order(7301)
        job = self.accounting.with_context(queue_job__no_delay=False)._shop_sync_enqueue("accounting_invoice", sale)
        self.sim.faults.add("error", status=503, path=TOKEN_PATH, method="POST")
        with freeze_time(fields.Datetime.now() + EXPIRING):
            try:
                self.accounting.with_context(job_uuid=job.uuid)._eacc_export_document(sale)
                self.fail("the job is postponed")
            except RetryableJobError as retry:
                self.assertIn("503", str(retry))
            self.assertEqual(sale.accounting_state, "pending", "not failed for good")
            self.assertEqual(self.accounting.eacc_auth_state, "authorised")
            self.assertFalse(self.sim.drafts)
            self.accounting.with_context(job_uuid=job.uuid)._eacc_export_document(sale)
        self.assertEqual(len(self.sim.drafts), 1)
        self.assertEqual(sale.accounting_state, "draft")
        self.assert_requests_valid()
