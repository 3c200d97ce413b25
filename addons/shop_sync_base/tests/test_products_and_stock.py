from decimal import Decimal
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.tests.common import ShopSyncCase


def product_payload(name="Tee", price="199", variants=None, **extra):
    variants = variants if variants is not None else [
        {"id": "v1", "sku": "TEE-S", "options": {"Size": "S"}, "barcode": "5700000000011"},
        {"id": "v2", "sku": "TEE-M", "options": {"Size": "M"}},
    ]
    return {"id": "p1", "name": name, "sku": "TEE", "price": price, "category": "Shirts", "variants": variants,
            **extra}


@tagged("post_install", "-at_install", "shop_sync")
class TestProductImport(ShopSyncCase):
    def _import(self, payload):
        return self.env["shop.sync.product.importer"]._import(self.backend, self.adapter.parse_product(payload))

    def test_variants_are_created_and_bound_by_sku(self):
        log = self._import(product_payload())
        self.assertEqual(log.state, "done", log.message)
        template = self.env["product.template"].browse(log.res_id)
        self.assertEqual(sorted(template.product_variant_ids.mapped("default_code")), ["TEE-M", "TEE-S"])
        self.assertEqual(template.list_price, 199)
        self.assertEqual(template.categ_id.name, "Shirts")
        small = template.product_variant_ids.filtered(lambda p: p.default_code == "TEE-S")
        self.assertEqual(small.barcode, "5700000000011")
        binding = self.env["shop.sync.binding"]._for_record(self.backend, small)
        self.assertEqual(binding.external_id, "v1")

    def test_update_respects_field_rules(self):
        log = self._import(product_payload())
        template = self.env["product.template"].browse(log.res_id)
        template.name = "Tee (enriched in Odoo)"
        self._import(product_payload(name="Tee from shop", price="249"))
        self.assertEqual(template.name, "Tee (enriched in Odoo)", "name update is off by default")
        self.assertEqual(template.list_price, 249, "price update is on by default")
        rule = self.backend.field_rule_ids.filtered(
            lambda r: (r.object, r.direction, r.field) == ("product", "import", "name"))
        rule.on_update = True
        self._import(product_payload(name="Tee from shop"))
        self.assertEqual(template.name, "Tee from shop")

    def test_create_rules_leave_fields_out(self):
        self.backend.field_rule_ids.filtered(
            lambda r: (r.object, r.direction, r.field) == ("product", "import", "category")).on_create = False
        log = self._import(product_payload())
        self.assertNotEqual(self.env["product.template"].browse(log.res_id).categ_id.name, "Shirts")

    def test_matched_by_sku_when_not_bound(self):
        existing = self.env["product.product"].create({"name": "Poster", "default_code": "POSTER-1"})
        log = self._import(product_payload(name="Poster", variants=[{"id": "v9", "sku": "POSTER-1"}]))
        self.assertEqual(log.res_id, existing.product_tmpl_id.id)
        self.assertEqual(self.env["product.product"].search_count([("default_code", "=", "POSTER-1")]), 1)

    def test_skus_of_several_odoo_products_are_an_error(self):
        self.env["product.product"].create([{"name": "Small tee", "default_code": "TEE-S"},
                                            {"name": "Medium tee", "default_code": "TEE-M"}])
        log = self._import(product_payload())
        self.assertEqual((log.state, log.reason), ("error", "Product not imported"))
        self.assertIn("belong to several Odoo products", log.message)

    def test_product_and_variants_without_sku_are_errors(self):
        log = self._import(product_payload(variants=[{"id": "v1", "sku": ""}]))
        self.assertEqual((log.state, log.reason), ("error", "Product without SKU"))
        variants = [{"id": "v1", "sku": "TEE-S", "options": {"Size": "S"}},
                    {"id": "v2", "sku": "", "options": {"Size": "M"}}]
        log = self._import(product_payload(variants=variants))
        self.assertEqual((log.state, log.reason), ("error", "Variant without SKU"))
        template = self.env["product.template"].browse(log.res_id)
        self.assertEqual(template.product_variant_ids.mapped("default_code"), ["TEE-S"])

    def test_new_shop_variant_extends_the_template(self):
        log = self._import(product_payload())
        variants = product_payload()["variants"] + [{"id": "v3", "sku": "TEE-L", "options": {"Size": "L"}}]
        self._import(product_payload(variants=variants))
        template = self.env["product.template"].browse(log.res_id)
        self.assertEqual(sorted(template.product_variant_ids.mapped("default_code")), ["TEE-L", "TEE-M", "TEE-S"])

    def test_batch_creates_new_products_together_and_updates_known_ones(self):
        self._import(product_payload())
        batch = [product_payload(price="249"),
                 product_payload(name="Cap", id="p2", sku="CAP", variants=[
                     {"id": "v21", "sku": "CAP-S", "options": {"Size": "S"}},
                     {"id": "v22", "sku": "CAP-XL", "options": {"Size": "XL"}}]),
                 product_payload(name="Mug", id="p3", sku="MUGX", variants=[{"id": "v31", "sku": "MUGX"}]),
                 product_payload(name="Nameless", id="p4", variants=[{"id": "v41", "sku": ""}])]
        logs = self.env["shop.sync.product.importer"]._import_batch(
            self.backend, [self.adapter.parse_product(payload) for payload in batch])
        self.assertEqual([(log.state, log.message) for log in logs[:3]],
                         [("done", "Updated."), ("done", "Created."), ("done", "Created.")])
        self.assertEqual((logs[3].state, logs[3].reason), ("error", "Product without SKU"))
        tee, cap, mug = (self.env["product.template"].browse(log.res_id) for log in logs[:3])
        self.assertEqual(tee.list_price, 249)
        self.assertEqual(sorted(cap.product_variant_ids.mapped("default_code")), ["CAP-S", "CAP-XL"])
        self.assertEqual(mug.product_variant_ids.default_code, "MUGX")
        Binding = self.env["shop.sync.binding"]
        self.assertEqual(Binding._for_record(self.backend, cap).external_id, "p2")
        self.assertEqual(Binding._for_record(
            self.backend, cap.product_variant_ids.filtered(lambda v: v.default_code == "CAP-XL")).external_id, "v22")
        size = self.env["product.attribute"].search([("name", "=", "Size")])
        self.assertEqual(len(size), 1, "the batch reuses the attribute of the first import")
        self.assertEqual(sorted(size.value_ids.mapped("name")), ["M", "S", "XL"])

    def test_one_bad_product_does_not_stop_its_batch(self):
        batch = [product_payload(name="Cap", id="p2", sku="CAP", variants=[
                     {"id": "v21", "sku": "CAP-1", "barcode": "5700000000028"}]),
                 product_payload(name="Hat", id="p3", sku="HAT", variants=[
                     {"id": "v31", "sku": "HAT-1", "barcode": "5700000000028"}]),
                 product_payload(name="Bag", id="p4", sku="BAG", variants=[{"id": "v41", "sku": "BAG-1"}])]
        logs = self.env["shop.sync.product.importer"]._import_batch(
            self.backend, [self.adapter.parse_product(payload) for payload in batch])
        self.assertEqual([log.state for log in logs], ["done", "error", "done"])
        self.assertIn("5700000000028", logs[1].message)
        self.assertEqual(self.env["product.product"].search([("default_code", "in", ["CAP-1", "HAT-1", "BAG-1"])])
                         .mapped("default_code"), ["BAG-1", "CAP-1"])
        self.assertFalse(self.env["shop.sync.binding"].search([("external_id", "in", ["p3", "v31"])]))

    def test_combinations_the_shop_does_not_sell_are_archived_variants(self):
        def variant(sku, size, colour, **extra):
            return records.Variant(sku=sku, options={"Size": size, "Colour": colour}, external_id=f"v-{sku}", **extra)
        products = [records.Product(external_id="p7", name="Jacket", sku="JACKET", price=Decimal(499), variants=[
            variant("J-S-RED", "S", "Red", barcode="5700000000035", weight=Decimal("1.2")),
            variant("J-S-BLUE", "S", "Blue"), variant("J-M-RED", "M", "Red")]),
            records.Product(external_id="p8", name="Scarf", sku="SCARF", price=Decimal(99),
                            variants=[records.Variant(sku="SCARF", external_id="v-scarf", weight=Decimal("0.2"))])]
        logs = self.env["shop.sync.product.importer"]._import_batch(self.backend, products)
        self.assertEqual([log.message for log in logs], ["Created.", "Created."])
        jacket, scarf = (self.env["product.template"].browse(log.res_id) for log in logs)
        variants = jacket.with_context(active_test=False).product_variant_ids
        self.assertEqual(len(variants), 4, "a variant for each combination, as Odoo makes them")
        sold = {variant.default_code: variant for variant in variants if variant.active}
        self.assertEqual(sorted(sold), ["J-M-RED", "J-S-BLUE", "J-S-RED"])
        unsold = variants.filtered(lambda variant: not variant.active)
        self.assertEqual((unsold.default_code, sorted(unsold.product_template_attribute_value_ids.mapped("name"))),
                         (False, ["Blue", "M"]))
        self.assertEqual(sorted(sold["J-S-RED"].product_template_attribute_value_ids.mapped("name")), ["Red", "S"])
        self.assertEqual((sold["J-S-RED"].barcode, sold["J-S-RED"].weight), ("5700000000035", 1.2))
        self.assertEqual(self.env["shop.sync.binding"]._for_record(self.backend, sold["J-M-RED"]).external_id,
                         "v-J-M-RED")
        self.assertEqual((jacket.default_code, scarf.default_code, scarf.weight), (False, "SCARF", 0.2))
        self.assertEqual(scarf.product_variant_ids.mapped("default_code"), ["SCARF"])

    def test_a_batch_creates_the_products_odoo_creates(self):
        """The batch path (templates created without variants, then every attribute value and every
        variant of the batch in one create each) makes the products Odoo's own create makes: each
        stored field of the template, of its attribute lines and values and of its variants equals that
        of the product created through the plain ORM from the same values, but for what tells records
        apart (ids, name, SKU, barcode)."""
        def variant(sku, size, colour, **extra):
            return records.Variant(sku=sku, options={"Size": size, "Colour": colour}, external_id=f"v-{sku}",
                                   weight=Decimal("1.5"), **extra)
        parka = records.Product(external_id="p9", name="Parka", sku="PARKA", price=Decimal(499), category="Coats",
                                description="<p>Warm</p>", variants=[
                                    variant("P-S-RED", "S", "Red", barcode="5700000000042"),
                                    variant("P-S-BLUE", "S", "Blue"), variant("P-M-RED", "M", "Red")])
        scarf = records.Product(external_id="p10", name="Scarf", sku="SCARF", price=Decimal(99),
                                variants=[records.Variant(sku="SCARF", external_id="v-scarf")])
        Importer = self.env["shop.sync.product.importer"]
        logs = Importer._import_batch(self.backend, [parka, scarf])
        self.assertEqual([log.message for log in logs], ["Created.", "Created."])
        imported = self.env["product.template"].browse(logs[0].res_id)

        allowed = self.env["shop.sync.field.rule"]._allowed_fields(self.backend, "product", "import", creating=True)
        created = self.env["product.template"].create({
            **Importer._template_values(self.backend, parka, allowed, {}, template=None),
            "name": "Parka (ORM)", "type": "consu", "is_storable": True, "company_id": False,
            "attribute_line_ids": [Command.create({"attribute_id": line.attribute_id.id,
                                                   "value_ids": [Command.set(line.value_ids.ids)]})
                                   for line in imported.attribute_line_ids]})

        def combination(product):
            return frozenset(product.product_template_attribute_value_ids.mapped(lambda ptav: (ptav.attribute_id.name,
                                                                                               ptav.name)))
        by_combination = {combination(product): product
                          for product in imported.with_context(active_test=False).product_variant_ids}
        for product in created.product_variant_ids:
            twin = by_combination[combination(product)]
            product.write({"weight": twin.weight, "active": twin.active})

        def stored(record, *apart):
            return {name: record[name] for name, field in record._fields.items()
                    if field.store and field.type != "one2many" and name not in
                    {"id", "name", "create_date", "write_date", "default_code", "barcode", *apart}}
        self.env.invalidate_all()  # as stored in the database
        self.assertEqual(stored(imported), stored(created))
        self.assertEqual(len(imported.attribute_line_ids), 2)
        for line, twin in zip(imported.attribute_line_ids, created.attribute_line_ids, strict=True):
            self.assertEqual(stored(line, "product_tmpl_id"), stored(twin, "product_tmpl_id"))
            self.assertEqual(line.product_template_value_ids.product_tmpl_id, imported)
            for value, value_twin in zip(line.product_template_value_ids, twin.product_template_value_ids,
                                         strict=True):
                # color: a random default; the variants having each value are compared below
                apart = ("attribute_line_id", "product_tmpl_id", "color", "ptav_product_variant_ids")
                self.assertEqual(stored(value, *apart), stored(value_twin, *apart))
        variants = created.with_context(active_test=False).product_variant_ids
        self.assertEqual(len(variants), 4)
        for product in variants:
            twin = by_combination.pop(combination(product))
            apart = ("product_tmpl_id", "combination_indices", "product_template_attribute_value_ids",
                     "product_template_variant_value_ids")
            self.assertEqual(stored(twin, *apart), stored(product, *apart), combination(product))
        self.assertFalse(by_combination)

    def test_a_batch_computes_once_only_what_its_products_share(self):
        """The fields Odoo computes before each template's insert are computed once for a batch only
        when they depend on values all its templates share (the invoicing policy: on the product type)."""
        Importer, Template = self.env["shop.sync.product.importer"], self.env["product.template"]
        goods = {"name": "Lamp", "type": "consu"}
        shared = Importer._shared_precomputed_values(Template, [goods, {**goods, "name": "Mug"}])
        self.assertEqual((shared["invoice_policy"], shared["service_type"]), ("order", "manual"))
        shared = Importer._shared_precomputed_values(Template, [goods, {"name": "Repair", "type": "service"}])
        self.assertFalse({"invoice_policy", "service_type"} & set(shared))
        # the lot tracking depends on whether the product is storable, which these templates do not give
        shared = Importer._shared_precomputed_values(Template, [goods, {**goods, "name": "Mug"}])
        self.assertNotIn("tracking", shared, "computed per template from what each one's insert gives")

    def test_a_later_export_sends_nothing_back_for_products_imported_in_a_batch(self):
        """The export fingerprints a batch binds its products with are the ones the exporter computes
        later, in a job of its own, for the unchanged products: nothing is sent back to the shop they
        came from.  (A batch fingerprinted the variants it had just created in the order it created
        them, S, M, L, while Odoo reads them back ordered by SKU: every such product was sent back.)"""
        def sized(product_id, sku, *sizes):
            return product_payload(id=product_id, name=sku.title(), sku=sku, variants=[
                {"id": f"{product_id}-{size}", "sku": f"{sku}-{size}", "options": {"Size": size}} for size in sizes])
        Importer, Exporter = self.env["shop.sync.product.importer"], self.env["shop.sync.product.exporter"]
        first = Importer._import_batch(self.backend, [self.adapter.parse_product(payload) for payload in (
            sized("p1", "TEE", "S", "M", "L"), product_payload(id="p2", name="Cap", sku="CAP", variants=[
                {"id": "p2-cap", "sku": "CAP"}]))])
        self.env.invalidate_all()  # each job reads what the one before committed
        # a scarf's options name its colour first, while Odoo reads the values of the older attribute first
        scarf = product_payload(id="p4", name="Scarf", sku="SCARF", variants=[
            {"id": f"p4-{colour}", "sku": f"SCARF-{colour}", "options": {"Colour": colour, "Size": "S"}}
            for colour in ("Red", "Blue")])
        second = Importer._import_batch(self.backend, [self.adapter.parse_product(payload) for payload in (
            sized("p1", "TEE", "S", "M", "L", "2XL"), sized("p3", "JUMPER", "S", "M", "L"), scarf)])
        self.assertEqual([log.message for log in first + second],
                         ["Created.", "Created.", "Updated.", "Created.", "Created."])
        templates = self.env["product.template"].browse({log.res_id for log in first + second})
        self.assertEqual(len(templates), 4)
        self.env.invalidate_all()
        exported = Exporter._export(self.backend, templates)
        self.assertEqual([[variant.sku for variant in product.variants] for _id, product, _publish
                          in self.adapter.exported], [])
        self.assertEqual(exported, 0)

    def test_options_odoo_would_not_make_variants_of_are_an_error_of_their_product(self):
        self.env["product.attribute"].create({"name": "Engraving", "create_variant": "no_variant",
                                              "value_ids": [Command.create({"name": "Yes"})]})
        batch = [product_payload(name="Pen", id="p5", sku="PEN", variants=[
                     {"id": "v51", "sku": "PEN-ENGRAVED", "options": {"Engraving": "Yes"}}]),
                 product_payload(name="Hat", id="p6", sku="HAT", variants=[
                     {"id": "v61", "sku": "HAT-S", "options": {"Size": "S"}},
                     {"id": "v62", "sku": "HAT-S2", "options": {"Size": "S"}}]),
                 product_payload()]
        logs = self.env["shop.sync.product.importer"]._import_batch(
            self.backend, [self.adapter.parse_product(payload) for payload in batch])
        self.assertEqual([log.state for log in logs], ["error", "error", "done"])
        self.assertIn("Engraving does not create a variant", logs[0].message)
        self.assertIn("HAT-S and HAT-S2 of 'Hat' have the same options", logs[1].message)
        self.assertFalse(self.env["product.product"].search([("default_code", "in", ["PEN-ENGRAVED", "HAT-S"])]))

    def test_a_version_older_than_the_one_imported_changes_nothing(self):
        log = self._import(product_payload(updated_at="2026-01-05T10:00:00+00:00"))
        template = self.env["product.template"].browse(log.res_id)
        batch = [product_payload(price="249", updated_at="2026-01-05T11:00:00+00:00"),  # newest first
                 product_payload(price="219", updated_at="2026-01-05T10:30:00+00:00")]
        logs = self.env["shop.sync.product.importer"]._import_batch(
            self.backend, [self.adapter.parse_product(payload) for payload in batch])
        self.assertEqual([(log.state, log.reason) for log in logs],
                         [("done", False), ("skipped", "Older than the version already imported")])
        self.assertEqual(logs[1].res_id, template.id)
        self.assertEqual(template.list_price, 249, "the older price does not come back")
        self.assertEqual(self._import(product_payload(price="219", updated_at="2026-01-05T10:30:00+00:00")).state,
                         "skipped", "nor in a later job")
        self.assertEqual(self._import(product_payload(price="259", updated_at="2026-01-05T11:00:01+00:00")).state,
                         "done")
        self.assertEqual(template.list_price, 259)


@tagged("post_install", "-at_install", "shop_sync")
class TestProductJobs(ShopSyncCase):
    def test_polled_products_are_imported_in_batches_of_one_job_each(self):
        for index in range(5):
            self.adapter.products[f"p{index}"] = product_payload(
                name=f"Cap {index}", id=f"p{index}", sku=f"CAP{index}",
                variants=[{"id": f"v{index}", "sku": f"CAP{index}-1"}])
        self.adapter.products["p2"]["price"] = "not a price"  # unreadable: its own error, the others go through
        with patch("odoo.addons.shop_sync_base.models.shop_sync_event.PRODUCT_BATCH", 2), trap_jobs() as trap:
            self.backend.with_context(queue_job__no_delay=False)._import_products(full=True)
            trap.assert_jobs_count(3)
            self.assertEqual([len(job.recordset) for job in trap.enqueued_jobs], [2, 2, 1])
            trap.perform_enqueued_jobs()
        events = self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(sorted((event.external_id, event.state) for event in events),
                         [("p0", "done"), ("p1", "done"), ("p2", "error"), ("p3", "done"), ("p4", "done")])
        self.assertEqual(events.filtered(lambda event: event.external_id == "p2").message, "Payload not understood")
        self.assertEqual(sorted(self.env["product.product"].search([("default_code", "=like", "CAP%")])
                                .mapped("default_code")), ["CAP0-1", "CAP1-1", "CAP3-1", "CAP4-1"])
        for event in events.filtered(lambda event: event.state == "done"):
            self.assertEqual(event.log_ids.mapped("state"), ["done"], "one log per product, tied to its event")


@tagged("post_install", "-at_install", "shop_sync")
class TestStockExport(ShopSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.backend.warehouse_id = cls.warehouse
        cls.env["shop.sync.binding"]._bind(cls.backend, cls.mug, "inv-mug", "MUG-1")

    def _set_on_hand(self, quantity):
        self.env["stock.quant"]._update_available_quantity(self.mug, self.warehouse.lot_stock_id, quantity)

    def test_free_quantity_pushed_only_when_changed(self):
        self._set_on_hand(10)
        self.assertEqual(self.backend._export_stock(), 1)
        self.assertEqual(self.adapter.stock_pushes[-1][0].quantity, 10)
        self.assertEqual(self.backend._export_stock(), 0, "unchanged: not pushed again")
        self.assertEqual(len(self.adapter.stock_pushes), 1)

    def test_reserved_quantity_is_not_available(self):
        self._set_on_hand(10)
        self.env["stock.quant"]._update_reserved_quantity(self.mug, self.warehouse.lot_stock_id, 3)
        self.backend._export_stock()
        level = self.adapter.stock_pushes[-1][0]
        self.assertEqual((level.quantity, level.previous, level.external_id), (7, None, "inv-mug"))

    def test_refused_level_is_logged_and_retried_next_time(self):
        self._set_on_hand(4)
        self.adapter.fail_stock_for = {"MUG-1"}
        self.assertEqual(self.backend._export_stock(), 0)
        log = self.env["shop.sync.log"].search([("flow", "=", "stock_export"), ("state", "=", "error")])
        self.assertEqual(log.message, "location not stocked")
        self.adapter.fail_stock_for = set()
        self.assertEqual(self.backend._export_stock(), 1)
