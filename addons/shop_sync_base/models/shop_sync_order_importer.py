import logging
from datetime import UTC

from psycopg2 import errors as pg_errors

from odoo import Command, _, api, models
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

_logger = logging.getLogger(__name__)


class ShopSyncOrderImporter(models.AbstractModel):
    """Canonical ``records.Order`` in, sale order out; every outcome logged.

    The decisions live here once for every shop: allowed states, skip-if-exists (binding, its
    unique constraint and a lock per external id), partner match by e-mail, product match by
    SKU, shipping/fee/discount lines, taxes through the mappings, and a total check to the cent.
    """

    _name = "shop.sync.order.importer"
    _description = "Shop Sync Order Import Pipeline"

    @api.model
    def _import(self, backend, order, event=None):
        Log = self.env["shop.sync.log"]
        Binding = self.env["shop.sync.binding"]
        common = {"ref": order.number, "external_id": order.external_id, "event": event}
        Binding._lock(backend, "sale.order", order.external_id)
        binding = Binding._find(backend, "sale.order", order.external_id)
        if binding:
            return self._already_imported(backend, binding, order, common)
        if order.state not in backend.order_state_ids.filtered("allowed").mapped("code"):
            return Log._record(backend, "order_import", "skipped", reason=_("Order state not allowed"),
                               message=_("State '%s' is not an allowed order state of this backend.", order.state),
                               **common)
        try:
            with self.env.cr.savepoint():
                sale = self._create_sale_order(backend, order)
                Binding._bind_new(backend, [(sale, order.external_id, order.number)])
        except pg_errors.UniqueViolation:
            return Log._record(backend, "order_import", "skipped", reason=_("Order already imported"),
                               message=_("Imported meanwhile by a concurrent delivery."), **common)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # a concurrent transaction changed the same rows (e.g. imported this order and reserved its
            # stock): not the order's fault; the whole transaction is retried (queue_job, Odoo's RPC)
            raise
        except (UserError, ValidationError) as exc:
            return Log._record(backend, "order_import", "error", reason=_("Order not imported"),
                               message=str(exc), **common)
        except Exception as exc:  # noqa: BLE001 - one bad order must not stop the run; the log says why
            _logger.exception("order %s of backend %s failed", order.number, backend.id)
            return Log._record(backend, "order_import", "error", reason=_("Order not imported"),
                               message=f"{type(exc).__name__}: {exc}", **common)
        return Log._record(backend, "order_import", "done", record=sale,
                           message=_("Sale order %(name)s created (%(total)s %(currency)s).", name=sale.name,
                                     total=sale.amount_total, currency=sale.currency_id.name), **common)

    @api.model
    def _already_imported(self, backend, binding, order, common):
        sale = binding._record()
        message = _("Already imported as %s.", sale.name or binding.res_id)
        if sale and sale.shop_order_state != order.state:
            allowed = order.state in backend.order_state_ids.filtered("allowed").mapped("code")
            message = _("Already imported as %(name)s; shop state changed from %(old)s to %(new)s (%(verdict)s).",
                        name=sale.name, old=sale.shop_order_state, new=order.state,
                        verdict=_("allowed") if allowed else _("not allowed"))
            sale.shop_order_state = order.state
        return self.env["shop.sync.log"]._record(backend, "order_import", "skipped", reason=_("Order already imported"),
                                                 message=message, record=sale or None, **common)

    # -- building the sale order ----------------------------------------------------------------
    @api.model
    def _create_sale_order(self, backend, order):
        company = backend.company_id
        customer, invoice, delivery = self.env["shop.sync.partner.matcher"]._match(backend, order)
        currency = self.env["res.currency"].with_context(active_test=False).search(
            [("name", "=", (order.currency or "").upper())], limit=1)
        if not currency.active:
            raise UserError(_("Currency %s is not active in Odoo.", order.currency or "?"))
        country = self.env["res.country"].search([("code", "=", (order.country_code or "").upper())], limit=1)
        payment = self.env["shop.sync.mapping"]._lookup(backend, "payment_method", code=order.payment_method)
        values = {
            "company_id": company.id,
            "partner_id": customer.id,
            "partner_invoice_id": invoice.id,
            "partner_shipping_id": delivery.id,
            "client_order_ref": order.number,
            "origin": f"{backend.name}: {order.number}",
            "date_order": order.created_at.astimezone(UTC).replace(tzinfo=None),
            "pricelist_id": self._pricelist(company, currency).id,
            "shop_sync_backend_id": backend.id,
            "shop_order_number": order.number,
            "shop_order_state": order.state,
            "shop_payment_method": order.payment_method or False,
            "note": order.note or False,
            "order_line": [Command.create(values) for values in self._lines_values(backend, order, country)],
        }
        if payment.payment_term_id:
            values["payment_term_id"] = payment.payment_term_id.id
        if backend.warehouse_id:
            values["warehouse_id"] = backend.warehouse_id.id
        sale = self.env["sale.order"].with_company(company).create(values)
        if currency.compare_amounts(sale.amount_total, float(order.total)):
            raise UserError(_("Totals differ: the shop says %(shop)s, Odoo computes %(odoo)s %(currency)s. "
                              "Check the tax mappings.", shop=order.total, odoo=sale.amount_total,
                              currency=currency.name))
        if backend.confirm_orders:
            sale.action_confirm()
        sale._shop_sync_imported()
        return sale

    @api.model
    def _pricelist(self, company, currency):
        Pricelist = self.env["product.pricelist"]
        pricelist = Pricelist.search([("currency_id", "=", currency.id), ("company_id", "in", (False, company.id))],
                                     order="company_id, sequence, id", limit=1)
        return pricelist or Pricelist.create({"name": _("Shop orders (%s)", currency.name),
                                              "currency_id": currency.id, "company_id": company.id})

    @api.model
    def _lines_values(self, backend, order, country):
        """Values of the order's lines.  Products (by SKU) and taxes (by rate) are looked up once
        per order, not once per line."""
        products = self._products_by_sku(backend, {line.sku for line in order.lines if line.kind == "product"})
        taxes = {}
        result = []
        for line in order.lines:
            product = self._line_product(backend, line, products)
            sign = -1 if line.kind == "discount" else 1
            values = {
                "product_id": product.id,
                "name": line.name or product.display_name,
                "product_uom_qty": float(line.quantity),
                "price_unit": sign * float(line.unit_price),
            }
            if line.tax_rate not in taxes:
                taxes[line.tax_rate] = self._taxes(backend, order, line, country)
            if taxes[line.tax_rate] is not None:
                values["tax_ids"] = [Command.set(taxes[line.tax_rate].ids)]
            result.append(values)
        return result

    @api.model
    def _products_by_sku(self, backend, skus):
        """{SKU: product.product recordset} of the products with these internal references."""
        Product = self.env["product.product"]
        skus = [sku for sku in skus if sku]
        found = {sku: Product for sku in skus}
        if skus:
            for product in Product.search([("default_code", "in", skus),
                                           ("company_id", "in", (False, backend.company_id.id))]):
                found[product.default_code] |= product
        return found

    @api.model
    def _line_product(self, backend, line, products):
        if line.kind == "shipping":
            mapping = self.env["shop.sync.mapping"]._lookup(backend, "shipping_method", code=line.code or line.name)
            product = mapping.product_id or backend.shipping_product_id
        elif line.kind == "fee":
            product = backend.fee_product_id
        elif line.kind == "discount":
            product = backend.discount_product_id
        else:
            product = self._product_for_sku(backend, line, products)
        if not product:
            raise UserError(_("No product is configured for %s lines on this backend.", line.kind))
        return product

    @api.model
    def _product_for_sku(self, backend, line, products):
        """The product of a line's SKU among ``products`` (see ``_products_by_sku``), created when
        missing and the backend allows it (and then added to ``products``)."""
        if not line.sku:
            raise UserError(_("Line '%s' has no SKU: it cannot be matched to a product.", line.name))
        matches = products[line.sku]
        if len(matches) > 1:
            raise UserError(_("SKU %s matches several products.", line.sku))
        if matches:
            return matches
        if not backend.create_missing_products:
            raise UserError(_("Unknown SKU %s: no product has this internal reference. Import the product "
                              "or allow creating missing products on the backend.", line.sku))
        products[line.sku] = self.env["shop.sync.product.importer"]._create_from_order_line(backend, line)
        return products[line.sku]

    @api.model
    def _taxes(self, backend, order, line, country):
        """Odoo taxes of a line: the backend's tax mapping for (country, rate) first, else a sales tax
        of that rate with the order's price-includes-tax setting. None: no tax information."""
        if line.tax_rate is None:
            return None
        mapping = self.env["shop.sync.mapping"]._lookup(backend, "tax", country=country, rate=line.tax_rate)
        if mapping.tax_id:
            return mapping.tax_id
        if not line.tax_rate:
            return self.env["account.tax"]
        tax = self.env["account.tax"].search([
            ("type_tax_use", "=", "sale"), ("amount_type", "=", "percent"), ("amount", "=", float(line.tax_rate)),
            ("price_include", "=", order.prices_include_tax), ("company_id", "=", backend.company_id.id),
        ], order="sequence, id", limit=1)
        if not tax:
            raise UserError(_(
                "No sales tax of %(rate)s%% (%(incl)s) for %(country)s: add a tax mapping on the backend.",
                rate=line.tax_rate, country=country.name or order.country_code or "?",
                incl=_("included in price") if order.prices_include_tax else _("excluded from price")))
        return tax
