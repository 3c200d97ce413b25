"""Flow 3 end to end, shared by the shop adapters' tests: from the backend's button, and from a
product change when the flow is on, to the shop's simulator."""


class ProductExportFlowMixin:
    """A shop's case provides ``backend`` (its ``env`` runs jobs at once: ``queue_job__no_delay``),
    ``remote_product(sku)`` -> ``(name, price, published)`` of the shop's product holding ``sku``
    (None when absent) and ``remote_count(sku)``.  Odoo's sales tax includes VAT, as the shops' prices
    do: a price reaches the shop as it is."""

    def flow3_lamp(self, sku, **values):
        category = self.env["product.category"].create({"name": f"Flow 3 {sku}"})
        self.backend.product_export_domain = f"[('categ_id', '=', {category.id})]"
        # the category chooses what is exported; the shops do not know it (its own log: see the catalogue tests)
        self.backend.field_rule_ids.filtered(
            lambda rule: rule.object == "product" and rule.direction == "export" and rule.field == "category",
        ).write({"on_create": False, "on_update": False})
        return self.env["product.template"].create({
            "name": "Flow3 Lamp", "default_code": sku, "list_price": 100.0, "type": "consu",
            "categ_id": category.id, **values})

    def test_flow3_button_then_a_product_change_reach_the_shop(self):
        lamp = self.flow3_lamp("FLOW3-LAMP")
        self.env["product.template"].create({"name": "Not for the shop", "default_code": "FLOW3-NOT",
                                             "list_price": 5.0, "type": "consu"})
        self.backend.action_export_products()
        self.assertEqual(self.remote_product("FLOW3-LAMP"), ("Flow3 Lamp", 100.0, False))
        self.assertIsNone(self.remote_product("FLOW3-NOT"), "outside the product filter")
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("flow", "=", "product_export")])
        self.assertEqual((log.state, log.message, log.res_id), ("done", "Created.", lamp.id))
        # the flow on: a saved price change reaches the shop (the name is not written on update by default)
        self.backend.sync_product_export = True
        lamp.write({"list_price": 120.0, "name": "Renamed in Odoo"})
        self.assertEqual(self.remote_product("FLOW3-LAMP"), ("Flow3 Lamp", 120.0, False))
        self.assertEqual(self.remote_count("FLOW3-LAMP"), 1)

    def test_flow3_creates_published_products_when_configured(self):
        self.flow3_lamp("FLOW3-LIVE")
        self.backend.product_publish = "published"
        self.backend.action_export_products()
        self.assertEqual(self.remote_product("FLOW3-LIVE"), ("Flow3 Lamp", 100.0, True))
