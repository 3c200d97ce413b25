"""A write cannot move Shop Sync records into a company the writer does not work in: record rules
are checked on the records before a write, not after it, so the company (or backend) a write
moves them to is checked by the method itself."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.shop_sync_base.tests.common import MANAGER
from odoo.addons.shop_sync_base.tests.test_access import AccessCase


@tagged("post_install", "-at_install", "shop_sync")
class TestNoMoveIntoAnotherCompany(AccessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_backend = cls.env["shop.sync.backend"].create({"name": "Other shop",
                                                                 "company_id": cls.other_company.id})

    def test_a_backend_stays_in_the_companies_of_its_manager(self):
        backend = self.other_backend.with_user(self.other_manager)
        with self.assertRaises(AccessError):
            backend.write({"company_id": self.company.id})
        self.assertEqual(self.other_backend.company_id, self.other_company)
        both = new_test_user(self.env, "sync_manager_ab", groups=MANAGER, company_id=self.other_company.id,
                             company_ids=[(6, 0, (self.company | self.other_company).ids)])
        self.other_backend.with_user(both).with_context(
            allowed_company_ids=(self.company | self.other_company).ids).write({"company_id": self.company.id})
        self.assertEqual(self.other_backend.company_id, self.company, "a Manager of both companies moves it")

    def test_records_of_a_backend_cannot_be_moved_to_another_company_backend(self):
        Log, Event = self.env["shop.sync.log"], self.env["shop.sync.event"]
        records = {
            "shop.sync.mapping": self.env["shop.sync.mapping"].create({
                "backend_id": self.other_backend.id, "mapping_type": "shipping_method", "external_code": "x"}),
            "shop.sync.field.rule": self.other_backend.field_rule_ids[:1],
            "shop.sync.order.state": self.env["shop.sync.order.state"].create({
                "backend_id": self.other_backend.id, "code": "forged", "name": "Forged", "allowed": True}),
            "shop.sync.binding": self.env["shop.sync.binding"].create({
                "backend_id": self.other_backend.id, "model": "res.partner", "res_id": self.env.user.partner_id.id,
                "external_id": "o1"}),
            "shop.sync.stock.location": self.env["shop.sync.stock.location"].create({
                "backend_id": self.other_backend.id, "external_id": "loc", "name": "Loc"}),
            "shop.sync.log": Log._record(self.other_backend, "order_import", "error", ref="1"),
            "shop.sync.event": Event._store(self.other_backend, "webhook", "order", "{}", external_id="o1"),
        }
        for model, record in records.items():
            with self.subTest(model=model):
                self.assertTrue(record)
                with self.assertRaises(AccessError):
                    record.with_user(self.other_manager).write({"backend_id": self.backend.id})
                self.assertEqual(record.backend_id, self.other_backend)
