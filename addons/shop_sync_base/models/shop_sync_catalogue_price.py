from decimal import Decimal

from odoo import api, models


class ShopSyncCataloguePrice(models.AbstractModel):
    """Whether a catalogue price includes VAT, decided once for every connector.

    Adapters and mappers state a product's price as the remote keeps it and say whether it includes
    VAT (``records.Product.price_includes_tax``, from the backend's setting or the remote's
    documented convention); the product export hands them the price in the same convention
    (``ShopAdapter.prices_include_tax``).  Odoo's sales price (``list_price``) includes the
    product's price-included sales taxes and excludes the others, so the conversion goes through
    Odoo's tax computation with the Odoo product's sales taxes of the backend's company (a product
    not created yet: the company's default sales tax).

    The Odoo product's taxes win: a rate the remote keeps per product (CCV's ``vatrate``) is not used
    to convert, so a price means the same whichever connector it came through.
    """

    _name = "shop.sync.catalogue.price"
    _description = "Shop Sync Catalogue Prices"

    @api.model
    def _sale_taxes(self, backend, product=None):
        """The sales taxes of ``product`` (template or variant) for the backend's company; of a product
        not created yet (None or empty), the company's default sales tax."""
        if product:
            return product.taxes_id._filter_taxes_by_company(backend.company_id)
        return backend.company_id.account_sale_tax_id

    @api.model
    def _vat_rate(self, backend, product):
        """The VAT rate (percent, Decimal) the sales taxes of ``product`` charge for the backend's
        company, for a remote that keeps one per product; None when the product has none.  Fixed
        amounts (e.g. a recycling fee) are no rate and left out."""
        taxes = self._sale_taxes(backend, product).flatten_taxes_hierarchy().filtered(
            lambda tax: tax.amount_type != "fixed")
        if not taxes:
            return None
        # on 100 excluded, whatever the taxes' own price-included setting; the amounts are the rate
        result = taxes.with_context(force_price_include=False).compute_all(100.0)
        return Decimal(str(result["total_included"])) - Decimal(str(result["total_excluded"]))

    @api.model
    def _same_convention(self, taxes, includes_tax):
        """True when Odoo's sales price with ``taxes`` states VAT as the remote does: nothing to convert
        (no tax, or every tax included in the price exactly when the remote's prices include VAT)."""
        return all(tax.price_include == bool(includes_tax) for tax in taxes)

    @api.model
    def _to_odoo(self, backend, price, includes_tax, product=None):
        """Odoo's sales price (a float) of the remote's ``price`` (Decimal; None stays None), which
        includes VAT when ``includes_tax``, for ``product`` (None: a new product)."""
        if price is None:
            return None
        taxes = self._sale_taxes(backend, product)
        if self._same_convention(taxes, includes_tax):
            return float(price)
        result = taxes.with_context(force_price_include=bool(includes_tax)).compute_all(
            float(price), currency=backend.company_id.currency_id)
        included = sum(tax["amount"] for tax in result["taxes"] if tax["price_include"])
        return backend.company_id.currency_id.round(result["total_excluded"] + included)

    @api.model
    def _to_remote(self, backend, list_price, includes_tax, product):
        """The price (Decimal) a remote keeping prices with VAT (``includes_tax``) or without states
        for Odoo's sales price ``list_price`` of ``product``."""
        taxes = self._sale_taxes(backend, product)
        price = list_price
        if not self._same_convention(taxes, includes_tax):
            result = taxes.compute_all(list_price, currency=backend.company_id.currency_id)
            price = result["total_included"] if includes_tax else result["total_excluded"]
        return Decimal(str(backend.company_id.currency_id.round(price)))
