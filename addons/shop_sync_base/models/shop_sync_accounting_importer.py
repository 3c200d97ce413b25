"""What every accounting connector reads back the same way, once: the product import and stock
pull flows (watermark with the backend's overlap, batches, the retry rule, logs) and the loading
of its reference values.  Connectors inherit them and implement the hooks: what to read and how
it maps.  See the README section "Accounting contract: what an accounting addon implements".
"""

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..services.http import RemoteError
from .shop_sync_event import PRODUCT_BATCH


def changed_since(backend, watermark):
    """The moment to read changes from: ``watermark`` less the backend's poll overlap (None: all)."""
    return watermark - timedelta(minutes=backend.poll_overlap) if watermark else None


class ShopSyncAccountingProductImporter(models.AbstractModel):
    """Flow 3: products maintained in the accounting system become Odoo products (matched by SKU,
    through the hub's product import pipeline and the backend's product import rules), in batches;
    what was read before a failure is imported, the watermark moves only after a complete read.
    Hooks: ``_remote_products``, ``_imported_message``."""

    _name = "shop.sync.accounting.product.importer"
    _description = "Accounting Product Import (shared flow)"

    @api.model
    def _import_all(self, backend, full=False):
        Log = self.env["shop.sync.log"]
        Importer = self.env["shop.sync.product.importer"]
        started = fields.Datetime.now()
        since = None if full else changed_since(backend, backend.products_synced_until)
        batch, imported, failure = [], 0, None
        try:
            for record in self._remote_products(backend, backend._accounting_client(), since):
                batch.append(record)
                if len(batch) == PRODUCT_BATCH:
                    imported += len(Importer._import_batch(backend, batch))
                    batch = []
        except (RemoteError, UserError) as exc:
            if isinstance(exc, RemoteError):
                backend._shop_sync_retry_later("product_import", exc, reason=_("Product import stopped"),
                                               message=str(exc))
            failure = exc
        if batch:  # what was read before the end (or the failure) is imported
            imported += len(Importer._import_batch(backend, batch))
        if failure:
            Log._record(backend, "product_import", "error", reason=_("Product import stopped"), message=str(failure),
                        response=getattr(failure, "body", None))
            return imported
        backend.products_synced_until = started
        Log._record(backend, "product_import", "done", reason=_("Poll"), message=self._imported_message(imported))
        return imported

    @api.model
    def _remote_products(self, backend, client, since):
        """The catalogue's products changed since ``since`` (None: all) as canonical ``Product``
        records (read lazily: a failure keeps what was read)."""
        raise NotImplementedError

    @api.model
    def _imported_message(self, count):
        raise NotImplementedError


class ShopSyncAccountingStockImporter(models.AbstractModel):
    """The accounting system as the stock master: what changed since the watermark becomes the
    on-hand quantity at the backend's warehouse (the base's stock master, which locks those
    products against manual changes).  Hooks: ``_remote_stock``, ``_apply_stock``, and the
    backend's watermark field ``_stock_synced_field``."""

    _name = "shop.sync.accounting.stock.importer"
    _description = "Accounting Stock Pull (shared flow)"

    # The accounting system's name in log texts and the backend field of the pull's watermark: set
    # by each connector.
    _accounting_system = None
    _stock_synced_field = None

    @api.model
    def _pull(self, backend):
        Log = self.env["shop.sync.log"]
        if not backend.accounting_stock_master:  # e.g. a retry queued before the option was switched off
            Log._record(backend, "stock_import", "skipped", reason=_("Not the stock master"), message=_(
                "%(system)s is not the stock master of %(backend)s: no stock is pulled.",
                system=self._accounting_system, backend=backend.name))
            return 0
        started = fields.Datetime.now()
        since = changed_since(backend, backend[self._stock_synced_field])
        try:
            location = self.env["shop.sync.stock.master"]._location(backend)
            documents = list(self._remote_stock(backend, backend._accounting_client(), since))
        except (RemoteError, UserError) as exc:
            if isinstance(exc, RemoteError):
                backend._shop_sync_retry_later("stock_import", exc, reason=_("Stock not pulled"), message=str(exc))
            Log._record(backend, "stock_import", "error", reason=_("Stock not pulled"), message=str(exc),
                        response=getattr(exc, "body", None))
            return 0
        changed, message = self._apply_stock(backend, location, documents)
        backend[self._stock_synced_field] = started
        Log._record(backend, "stock_import", "done", reason=_("Stock pulled"), message=message)
        return changed

    @api.model
    def _remote_stock(self, backend, client, since):
        """The remote products (with their stock) changed since ``since`` (None: all)."""
        raise NotImplementedError

    @api.model
    def _apply_stock(self, backend, location, documents):
        """Set the quantities of ``documents`` at ``location`` (``shop.sync.stock.master._set_quantity``);
        return (number of quantities changed, the log message)."""
        raise NotImplementedError


class ShopSyncAccountingOption(models.AbstractModel):
    """Reference values of an accounting system (VAT codes, groups, terms, units...), loaded so the
    backend's defaults and mappings are picked from a list.  The connector's option model inherits
    this and implements ``_remote_options``; ``_option_key`` names its remote identifier field."""

    _name = "shop.sync.accounting.option"
    _inherit = "shop.sync.backend.record"
    _description = "Accounting Reference Value (shared loading)"

    _option_key = None

    @api.model
    def _load(self, backend, client):
        """Fetch every type's collection; create or update the options, archive vanished ones."""
        key_field = self._option_key
        existing = {(option.option_type, option[key_field]): option
                    for option in self.with_context(active_test=False).search([("backend_id", "=", backend.id)])}
        seen = set()
        for option_type, key, values in self._remote_options(client):
            option = existing.get((option_type, key))
            if option:
                option.write(values)
            else:
                self.create({"backend_id": backend.id, "option_type": option_type, key_field: key, **values})
            seen.add((option_type, key))
        for key, option in existing.items():
            if key not in seen and option.active:
                option.active = False
        return len(seen)

    @api.model
    def _remote_options(self, client):
        """``(option type, remote identifier, values)`` of every reference value the system holds
        (values with ``"active": True``)."""
        raise NotImplementedError
