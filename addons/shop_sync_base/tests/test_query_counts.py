"""SQL queries per order and per product: deterministic where times are not (bench/ measures the times)."""

from decimal import Decimal

from odoo.tests import tagged

from odoo.addons.shop_sync_base.models.shop_sync_event import PRODUCT_BATCH
from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.tests.common import ShopSyncCase

VARIANTS = 3
QUERIES_PER_PRODUCT = 10  # issue 14: a product import costs at most this many queries, in the jobs' batches


def bench_product(index, price=199):
    """A product as bench/bench_pipeline.py imports it: three sizes, a category, a weight."""
    return records.Product(
        external_id=f"qp{index}", name=f"Query product {index}", sku=f"QP-{index}", price=Decimal(price),
        category="Query", variants=[records.Variant(sku=f"QP-{index}-{size}", options={"Size": size},
                                                    external_id=f"qv{index}-{size}", barcode="",
                                                    weight=Decimal("0.5"))
                                    for size in ("S", "M", "L")[:VARIANTS]])


@tagged("post_install", "-at_install", "shop_sync")
class TestQueryCounts(ShopSyncCase):
    def _queries(self, function):
        """SQL queries ``function`` sends, its writes flushed included."""
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        result = function()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before, result

    def _import(self, first, price=199, count=PRODUCT_BATCH):
        products = [bench_product(index, price) for index in range(first, first + count)]
        return self._queries(lambda: self.env["shop.sync.product.importer"]._import_batch(self.backend, products))

    def test_a_batch_of_new_products_costs_at_most_ten_queries_per_product(self):
        self._import(0, count=2)  # the attribute, its values and the category exist from now on, as in a long import
        queries, logs = self._import(100)
        self.assertEqual([log.state for log in logs], ["done"] * PRODUCT_BATCH, [log.message for log in logs])
        self.assertEqual(self.env["product.product"].search_count([("default_code", "=like", "QP-1__-_")]),
                         PRODUCT_BATCH * VARIANTS)
        self.assertLessEqual(queries, QUERIES_PER_PRODUCT * PRODUCT_BATCH)

    def test_a_batch_of_known_products_costs_at_most_ten_queries_per_product(self):
        self._import(200)
        queries, logs = self._import(200, price=249)
        self.assertEqual([(log.state, log.message) for log in logs], [("done", "Updated.")] * PRODUCT_BATCH)
        self.assertEqual(self.env["product.template"].browse(logs[0].res_id).list_price, 249)
        self.assertLessEqual(queries, QUERIES_PER_PRODUCT * PRODUCT_BATCH)
