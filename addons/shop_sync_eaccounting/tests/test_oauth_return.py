"""The redirect URI: Visma sends the Manager back with the code, which is exchanged at once."""

from odoo.tests import HttpCase, new_test_user, tagged

from simulators.common import SimulatorServer
from simulators.eaccounting import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, EAccountingSimulator


@tagged("post_install", "-at_install", "shop_sync")
class TestOAuthReturn(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = SimulatorServer(EAccountingSimulator(requests_per_minute=0)).start()
        cls.addClassCleanup(cls.server.stop)
        cls.sim = cls.server.app
        cls.backend = cls.env["shop.sync.backend"].create({
            "name": "eAccounting", "kind": "eaccounting", "api_url": cls.server.url, "eacc_client_id": CLIENT_ID,
            "eacc_client_secret": CLIENT_SECRET, "eacc_identity_url": cls.server.url,
            "eacc_redirect_uri": REDIRECT_URI})
        new_test_user(cls.env, "eacc_manager", groups="shop_sync_base.group_shop_sync_manager,base.group_user",
                      password="eacc_manager_pw")
        new_test_user(cls.env, "eacc_user", groups="shop_sync_base.group_shop_sync_user,base.group_user",
                      password="eacc_user_pw")

    def visma_returns(self, state):
        return self.url_open(f"/shop_sync/eaccounting/oauth?code={self.sim.issue_authorization_code()}&state={state}",
                             allow_redirects=False)

    def test_manager_returning_with_the_code_authorises_the_backend(self):
        state = self.backend.eacc_auth_state_token
        self.assertIn(f"state={state}", self.backend.eacc_authorise_url)
        self.authenticate("eacc_user", "eacc_user_pw")
        self.assertEqual(self.visma_returns(state).status_code, 403)
        self.authenticate("eacc_manager", "eacc_manager_pw")
        self.assertEqual(self.visma_returns("forged").status_code, 404)
        response = self.visma_returns(state)
        self.assertEqual(response.status_code, 303)
        self.assertIn(f"/{self.backend.id}", response.headers["Location"])
        self.assertEqual(self.backend.eacc_auth_state, "authorised")
        self.assertNotEqual(self.backend.eacc_auth_state_token, state, "a link is used once")
