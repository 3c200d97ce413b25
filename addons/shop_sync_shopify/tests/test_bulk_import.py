"""Full product imports through Shopify's bulk query operation: started by the import job, which is
postponed (RetryableJobError, no sleep) while the operation runs, then the JSONL file read product by
product (variants joined by ``__parentId``), imported like the paged query's products; the
watermark is the operation's creation.  The simulator follows Shopify's documented rules."""

from datetime import timedelta

from odoo.tests import freeze_time, tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.shop_sync_shopify.services import bulk
from simulators.shopify.bulk import _jsonl_lines

from simulators.common import ManualClock
from simulators.seed import generate

from .common import START, ShopifyCase, simulator

MUTATION = bulk.BULK_OPERATION_RUN_QUERY


@tagged("post_install", "-at_install", "shop_sync")
class TestBulkImport(ShopifyCase):
    def setUp(self):
        super().setUp()
        self.backend.shopify_bulk_import = True

    def graphql_requests(self):
        return [entry for entry in self.sim.journal if entry[1].endswith("graphql.json")]

    def test_full_import_waits_for_the_bulk_operation_then_reads_its_file(self):
        self.sim.journal.clear()
        with freeze_time(START), self.assertRaises(RetryableJobError) as started:
            self.backend._import_products(full=True)
        self.assertEqual(started.exception.seconds, bulk.MIN_POLL)
        self.assertTrue(started.exception.ignore_retry, "a bulk operation still running uses up none of the tries")
        self.assertEqual(len(self.graphql_requests()), 2, "currentBulkOperation, then bulkOperationRunQuery")
        (operation,) = self.sim.bulk.operations.values()
        self.assertEqual(operation["query"], bulk.BULK_PRODUCTS_QUERY)
        self.assertFalse(self.env["product.product"].search([("default_code", "like", "SKU-")]), "nothing yet")

        self.clock.advance(1)  # still running: postponed again, nothing started twice
        with freeze_time(START + timedelta(seconds=1)), self.assertRaises(RetryableJobError):
            self.backend._import_products(full=True)
        self.assertEqual(len(self.sim.bulk.operations), 1)

        self.clock.advance(self.sim.bulk_seconds)
        self.sim.journal.clear()
        with freeze_time(START + timedelta(minutes=1)):
            self.backend._import_products(full=True)
        self.assertEqual([path.split("?")[0] for _method, path, _status in self.sim.journal],
                         ["/admin/api/2025-01/graphql.json", f"/_bulk/{operation['token']}.jsonl"],
                         "one look at the operation and one download: no paging")
        self.assertEqual(len(self.logs("product_import", state="done")), len(self.catalogue.products) + 1)
        skus = {item.sku for seed in self.catalogue.products for item in seed.variants or [seed]}
        bindings = self.env["shop.sync.binding"].search([("backend_id", "=", self.backend.id),
                                                         ("model", "=", "product.product")])
        self.assertEqual({self.env["product.product"].browse(binding.res_id).default_code: binding.external_id
                          for binding in bindings},
                         {sku: self.sim.state.variant_by_sku(sku)["inventory_item_id"] for sku in skus})
        self.assertEqual(self.backend.products_synced_until, START.replace(tzinfo=None),
                         "changes after the operation was created are polled next time")

    def test_stale_operation_is_replaced(self):
        with freeze_time(START), self.assertRaises(RetryableJobError):
            self.backend._import_products(full=True)
        self.clock.advance(self.sim.bulk_seconds + bulk.FRESH_FOR.total_seconds() + 60)
        with freeze_time(START + timedelta(hours=1)), self.assertRaises(RetryableJobError):
            self.backend._import_products(full=True)
        self.assertEqual(len(self.sim.bulk.operations), 2, "an old export is not imported as current")

    def test_bulk_import_reads_the_custom_collection_as_the_category(self):
        simple = next(product for product in self.catalogue.products if not product.has_variants)
        self.sim.add_collection("Lamps", [simple.sku])
        with freeze_time(START), self.assertRaises(RetryableJobError):
            self.backend._import_products(full=True)
        self.clock.advance(self.sim.bulk_seconds)
        with freeze_time(START + timedelta(minutes=1)):
            self.backend._import_products(full=True)
        template = self.env["product.product"].search([("default_code", "=", simple.sku)]).product_tmpl_id
        self.assertEqual(template.categ_id.name, "Lamps")

    def test_paged_backend_keeps_paging(self):
        self.backend.shopify_bulk_import = False
        self.backend._import_products(full=True)
        self.assertFalse(self.sim.bulk.operations)
        self.assertEqual(len(self.logs("product_import", state="done")), len(self.catalogue.products) + 1)


def test_bulk_query_follows_shopifys_rules():
    """The adapter's bulk query is accepted by the simulator's documented checks; the simulator
    refuses what Shopify refuses (no connection, nesting deeper than two, one at a time)."""
    sim = simulator(ManualClock(START), generate(products=3, orders=0, customers=1))
    run = sim.graphql(MUTATION, {"query": bulk.BULK_PRODUCTS_QUERY})["data"]["bulkOperationRunQuery"]
    assert run["userErrors"] == [] and run["bulkOperation"]["status"] == "CREATED"
    again = sim.graphql(MUTATION, {"query": bulk.BULK_PRODUCTS_QUERY})["data"]["bulkOperationRunQuery"]
    assert again["userErrors"][0]["code"] == "OPERATION_IN_PROGRESS"
    sim.clock.advance(sim.bulk_seconds)
    refused = {
        "{ shop { name } }": "at least one connection",
        "{ products { edges { node { collections { edges { node { products { edges { node { id } } } } } } } } } }":
            "nesting depth",
    }
    for query, reason in refused.items():
        errors = sim.graphql(MUTATION, {"query": query})["data"]["bulkOperationRunQuery"]["userErrors"]
        assert errors[0]["code"] == "INVALID" and reason in errors[0]["message"], errors


def test_jsonl_lines_put_children_after_their_parent_with_parent_id():
    data = {"products": {"edges": [{"node": {"id": "P1", "title": "a", "variants": {"edges": [
        {"node": {"id": "V1"}}, {"node": {"id": "V2"}}]}}}, {"node": {"id": "P2", "variants": {"nodes": []}}}]}}
    lines, roots = _jsonl_lines(data)
    assert roots == 2
    assert lines == [{"id": "P1", "title": "a"}, {"id": "V1", "__parentId": "P1"}, {"id": "V2", "__parentId": "P1"},
                     {"id": "P2"}]
    collection = {"id": "gid://shopify/Collection/9", "title": "Lamps", "ruleSet": None}
    lines.insert(2, {**collection, "__parentId": "P1"})
    assert list(bulk._products(iter([dict(line) for line in lines]))) == [
        {"id": "P1", "title": "a", "variants": {"nodes": [{"id": "V1"}, {"id": "V2"}],
                                                "pageInfo": {"hasNextPage": False, "endCursor": None}},
         "collections": {"nodes": [collection]}},
        {"id": "P2", "variants": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}},
         "collections": {"nodes": []}}]
