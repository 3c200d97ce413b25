from odoo import _, api, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.services.http import RemoteError, create_once

from ..services.client import eq

MAX_NUMBER = 40  # Article.Number
# product export rule -> eAccounting properties it decides
PROPERTIES_OF_RULE = {"name": ("Name",), "price": ("NetPrice", "GrossPrice")}
READ_ONLY = frozenset({"Id", "CodingName", "UnitName", "UnitAbbreviation", "StockBalanceManuallyChangedUtc",
                       "StockBalanceReserved", "StockBalanceAvailable", "ChangedUtc", "PurchasePriceManuallyChangedUtc",
                       "ArticleLabels"})


class ShopSyncEaccountingArticleExporter(models.AbstractModel):
    """Odoo variants to eAccounting articles, one simple article per variant, numbered by SKU.

    An article's account coding decides the VAT rate and revenue account of the rows it is sold
    on (see ``_ensure``, used by documents).  The product export rules decide what is written on
    create and overwritten on update."""

    _name = "shop.sync.eaccounting.article.exporter"
    _inherit = "shop.sync.accounting.product.exporter"
    _description = "eAccounting Article Export"

    @api.model
    def _number(self, product):
        number = product.default_code
        if not number:
            raise UserError(_("Product '%s' has no internal reference (SKU): eAccounting articles are numbered by "
                              "SKU.", product.display_name))
        if len(number) > MAX_NUMBER:
            raise UserError(_("Article number '%(number)s' of '%(product)s' is longer than the %(max)s characters "
                              "eAccounting allows.", number=number, product=product.display_name, max=MAX_NUMBER))
        return number

    @api.model
    def _find(self, client, number):
        return client.first("articles", filter=eq("Number", number))

    @api.model
    def _ensure(self, backend, client, product, coding):
        """The article to sell ``product`` on in account ``coding`` (an option; None: the article's
        own), created first when missing and allowed.

        A row takes no account or VAT code: its article's coding decides them.  The article of a SKU
        is created in the coding of the product's VAT rate; a sale booked in another coding (e.g. a
        domestic sale without VAT) uses a companion article ``<SKU>.<coding id prefix>`` in that coding."""
        number = self._number(product)
        common = {"ref": number, "record": product}
        try:
            document = self._find_or_create(backend, client, product, number, None, common, fallback=coding)
            if coding is not None and document.get("CodingId") != coding.remote_id:
                companion = f"{number}.{coding.remote_id[:8]}"
                if len(companion) > MAX_NUMBER:
                    raise UserError(_("Article number '%(number)s' (the article in account coding %(coding)s) is "
                                      "longer than the %(max)s characters eAccounting allows.", number=companion,
                                      coding=coding.display_name, max=MAX_NUMBER))
                return self._find_or_create(backend, client, product, companion, coding, common)
        except (RemoteError, UserError) as exc:
            self._log_error(backend, exc, common)
            raise
        self._bind(backend, product, document)
        return document

    @api.model
    def _find_or_create(self, backend, client, product, number, coding, common, fallback=None):
        """The article ``number``, created in ``coding`` when missing (None: the product's own coding;
        ``fallback`` when the product's VAT rate has no coding)."""
        self.env["shop.sync.binding"]._lock(backend, "product.product", number)
        document = self._find(client, number)
        if document is None:
            if not backend.eacc_create_articles:
                raise UserError(_("Article %s does not exist in eAccounting and creating missing articles is off on "
                                  "the backend.", number))
            if coding is None:
                try:
                    coding = backend._eacc_product_coding(product)
                except UserError:
                    if not fallback:
                        raise
                    coding = fallback
            document = self._create(backend, client, product, number, coding, common)
        return document

    @api.model
    def _export_one(self, backend, client, product):
        number = self._number(product)
        common = {"ref": number, "record": product}
        self.env["shop.sync.binding"]._lock(backend, "product.product", number)
        document = self._find(client, number)
        if document is None:
            document = self._create(backend, client, product, number, backend._eacc_product_coding(product), common)
        else:
            self._update(backend, client, product, document, common)
        self._bind(backend, product, document)
        return document

    @api.model
    def _create(self, backend, client, product, number, coding, common):
        allowed = self._allowed(backend, creating=True)
        body = {**self._values(backend, product, allowed), "Number": number, "IsActive": True,
                "Name": self._name_of(product)[:50], "CodingId": coding.remote_id,
                "UnitId": backend._eacc_required("eacc_unit_id").remote_id}
        # an uncertain answer (5xx, lost): the article may exist; look its number up before sending again
        created = create_once(lambda: client.post("articles", body), lambda: self._find(client, number))
        self.env["shop.sync.log"]._record(backend, "product_export", "done", external_id=created.get("Id"),
                                           request=body, message=_("Article %s created.", number), **common)
        return created

    @api.model
    def _update(self, backend, client, product, document, common):
        """Overwrite what the update rules allow (PUT takes the full document)."""
        allowed = self._allowed(backend, creating=False)
        values = self._values(backend, product, allowed)
        current = {key: value for key, value in document.items() if key not in READ_ONLY and value is not None}
        desired = {**current, **{name: values[name] for rule in allowed
                                 for name in PROPERTIES_OF_RULE.get(rule, ()) if name in values}}
        number = document.get("Number")
        if desired == current:
            return self.env["shop.sync.log"]._record(backend, "product_export", "skipped", external_id=document["Id"],
                                                      reason=_("Unchanged"), message=_("Nothing to update."), **common)
        client.put(f"articles/{document['Id']}", desired)
        return self.env["shop.sync.log"]._record(backend, "product_export", "done", external_id=document["Id"],
                                                  request=desired, message=_("Article %s updated.", number), **common)

    @api.model
    def _values(self, backend, product, allowed):
        values = {}
        if "name" in allowed:
            values["Name"] = self._name_of(product)[:50]
        if "price" in allowed:
            values.update(self._prices(backend, product))
        return values

    @api.model
    def _prices(self, backend, product):
        """Net and gross sales price, converted by the base with the product's sales taxes."""
        Price = self.env["shop.sync.catalogue.price"]
        return {"NetPrice": float(Price._to_remote(backend, product.lst_price, False, product)),
                "GrossPrice": float(Price._to_remote(backend, product.lst_price, True, product))}

    @api.model
    def _bind(self, backend, product, document):
        self._bind_product(backend, product, document["Id"], document.get("Number"))
