from odoo.exceptions import UserError
from odoo.tests import tagged

from ..services.adapter import CcvAdapter
from .common import CcvCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvBackend(CcvCase):
    catalogue_options = {"products": 4, "customers": 2, "orders": 2}

    def test_connection_ok(self):
        self.backend.action_test_connection()
        self.assertEqual(self.backend.connection_state, "ok", self.backend.connection_message)
        self.assertIn("signed answers verified", self.backend.connection_message)
        self.assertEqual(self.logs("connection").state, "done")

    def test_connection_with_wrong_secret_fails_clearly(self):
        self.backend.ccv_secret_key = "not-the-secret"
        self.backend.action_test_connection()
        self.assertEqual(self.backend.connection_state, "failed")
        log = self.logs("connection")
        self.assertEqual((log.state, log.reason), ("error", "Connection failed"))
        self.assertIn("401.13", log.message)
        self.assertNotIn("not-the-secret", log.message)

    def test_missing_keys_are_a_clear_error(self):
        self.backend.ccv_public_key = False
        with self.assertRaises(UserError):
            self.backend._get_adapter()
        self.backend.action_test_connection()
        self.assertEqual(self.backend.connection_state, "failed")

    def test_adapter_and_states(self):
        self.assertIsInstance(self.backend._get_adapter(), CcvAdapter)
        states = {state.code: state for state in self.backend.order_state_ids}
        self.assertEqual(len(states), 14)
        self.assertEqual(states["2"].name, "In process")
        allowed = set(self.backend.order_state_ids.filtered("allowed").mapped("code"))
        self.assertTrue({"2", "5", "7"} <= allowed)
        self.assertFalse({"1", "4", "8"} & allowed)

    def test_field_mapping_table(self):
        html = str(self.backend.field_mapping_html)
        self.assertIn("sub_sku_number", html)
        self.assertIn("total_shipping", html)

    def test_credentials_are_manager_only(self):
        for name in ("ccv_public_key", "ccv_secret_key", "webhook_secret"):
            self.assertEqual(self.backend._fields[name].groups, "shop_sync_base.group_shop_sync_manager")
        user = self.env["res.users"].create({
            "name": "Shop user", "login": "ccv-shop-user",
            "group_ids": [(6, 0, [self.env.ref("shop_sync_base.group_shop_sync_user").id])]})
        arch = self.env["shop.sync.backend"].with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("ccv_secret_key", arch)
        manager_arch = self.env["shop.sync.backend"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("ccv_secret_key", manager_arch)
