from odoo import models


class ShopSyncLog(models.Model):
    _inherit = "shop.sync.log"

    def _retry_flow(self):
        """Retry of an e-conomic attempt: the order's invoice again, or the backend's flow."""
        backend = self.backend_id
        if backend.kind != "economic":
            return super()._retry_flow()
        if self.flow == "invoice_export" and self.res_model == "sale.order":
            sale = self.env["sale.order"].browse(self.res_id).exists()
            if sale:
                backend._economic_enqueue_invoice(sale)
        elif self.flow == "stock_import":
            backend._delay(channel="root.shop_sync.accounting")._economic_pull_stock()
        elif self.flow == "product_import":
            backend._delay(channel="root.shop_sync.accounting")._economic_import_products()
        else:
            super()._retry_flow()
