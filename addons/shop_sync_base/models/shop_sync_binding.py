import logging
from datetime import UTC

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.tools import mute_logger

_logger = logging.getLogger(__name__)


class ShopSyncBinding(models.Model):
    """Link between one Odoo record and its id in one remote system.

    The unique constraint makes "already imported" structural: a second record for the same
    external id cannot exist, whatever the timing of webhooks, polls and retries.
    """

    _name = "shop.sync.binding"
    _inherit = "shop.sync.backend.record"
    _description = "Shop Sync Binding"
    _order = "id desc"

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, precompute=True)
    model = fields.Char(required=True, index=True, help="Odoo model of the bound record.")
    res_id = fields.Integer("Record ID", required=True, index=True)
    external_id = fields.Char(required=True, help="Id of the record in the remote system.")
    external_ref = fields.Char("External reference", index=True, help="Order number, SKU or product number.")
    sync_date = fields.Datetime(default=fields.Datetime.now)
    last_value = fields.Char(help="Last value pushed (e.g. stock quantity), to push only changes.")
    image_ref = fields.Char(
        "Remote image", readonly=True, copy=False,
        help="The shop's image (id and address) last imported: an image is downloaded again only when it changes.")
    image_checksum = fields.Char(
        readonly=True, copy=False,
        help="SHA-1 of Odoo's image as last sent to or received from the remote: it is sent only when it changes.")
    export_checksum = fields.Char(
        readonly=True, copy=False,
        help="Fingerprint of the record last exported (products): an unchanged record is not sent again.")
    export_category = fields.Char(
        readonly=True, copy=False,
        help="The category last exported into a category the shop has (products): an update adds the product "
             "to its category again only when it changed.")
    remote_updated_at = fields.Datetime(
        "Remote version", readonly=True, copy=False,
        help="When the remote last changed the record, as of the version imported last; a delivery of an "
             "older version (webhooks can arrive out of order) is skipped.")

    _external_unique = models.Constraint(
        "UNIQUE(backend_id, model, external_id)",
        "This remote record is already bound to an Odoo record for this backend.")
    _record_unique = models.Constraint(
        "UNIQUE(backend_id, model, res_id)",
        "This Odoo record is already bound to a remote record for this backend.")

    @api.model
    def _lock(self, backend, model, *external_ids):
        """Serialise work on external ids across transactions (released at commit/rollback);
        several ids are locked in a fixed order, so two batches cannot deadlock."""
        keys = sorted({f"{backend.id}|{model}|{external_id}" for external_id in external_ids})
        self.env.cr.execute("SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest(%s) AS key",
                            [keys])

    @api.model
    def _find(self, backend, model, external_id):
        return self.search([("backend_id", "=", backend.id), ("model", "=", model),
                            ("external_id", "=", str(external_id))], limit=1)

    @api.model
    def _for_record(self, backend, record):
        return self.search([("backend_id", "=", backend.id), ("model", "=", record._name),
                            ("res_id", "=", record.id)], limit=1)

    @api.model
    def _bind(self, backend, record, external_id, external_ref=None):
        """Bind ``record`` to ``external_id`` (updating the existing binding of the record)."""
        return self._bind_many(backend, [(record, external_id, external_ref)])[record]

    @api.model
    def _bind_many(self, backend, entries):
        """``_bind`` of each ``(record, external id, external ref)`` of ``entries``, with one search
        and one create: ``{record: binding}``."""
        existing = self.search([("backend_id", "=", backend.id),
                                ("model", "in", list({record._name for record, *_rest in entries})),
                                ("res_id", "in", list({record.id for record, *_rest in entries}))])
        by_record = {(binding.model, binding.res_id): binding for binding in existing}
        now = fields.Datetime.now()
        result, missing = {}, []
        for record, external_id, external_ref in entries:
            values = {"external_id": str(external_id), "external_ref": external_ref, "sync_date": now}
            binding = by_record.get((record._name, record.id))
            if binding:
                binding.write(values)
                result[record] = binding
            else:
                missing.append((record, values))
        created = self.create([{"backend_id": backend.id, "model": record._name, "res_id": record.id, **values}
                               for record, values in missing])
        result.update(zip([record for record, _values in missing], created))
        return result

    @api.model
    def _bind_new(self, backend, bindings):
        """Bind records just created (so not bound yet), from ``(record, external id, external ref)``
        triples, in one create; a fourth item, when given, is the remote's ``updated_at`` of the
        version imported (see ``_applied``), a fifth the product export's fingerprint of the record."""
        now = fields.Datetime.now()
        return self.create([{"backend_id": backend.id, "model": record._name, "res_id": record.id,
                             "external_id": str(external_id), "external_ref": external_ref, "sync_date": now,
                             "remote_updated_at": naive_utc(extra[0]) if extra and extra[0] else False,
                             "export_checksum": extra[1] if len(extra) > 1 else False}
                            for record, external_id, external_ref, *extra in bindings])

    def _outdated_by(self, updated_at):
        """Whether a remote version changed at ``updated_at`` (aware datetime, None: unknown) is older
        than the version this binding imported last: a delivery that arrived out of order."""
        return bool(self and self.remote_updated_at and updated_at
                    and naive_utc(updated_at) < self.remote_updated_at)

    def _applied(self, updated_at):
        """Remember that the remote version changed at ``updated_at`` is imported (None: unknown,
        the remembered version stays)."""
        if updated_at and naive_utc(updated_at) != self.remote_updated_at:
            self.remote_updated_at = naive_utc(updated_at)

    @api.model
    def _bind_once(self, backend, record, external_id, external_ref=None):
        """Bind ``record``, found unbound by this transaction, unless a concurrent job bound it
        meanwhile (committed after this transaction's snapshot): that binding then stands."""
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                return self._bind(backend, record, external_id, external_ref)
        except pg_errors.UniqueViolation:
            _logger.info("%s %s of backend %s was bound meanwhile by another job", record._name, external_id,
                         backend.id)
            return self.browse()

    def _record(self):
        """The bound Odoo record (empty if it was deleted); None on an empty binding recordset."""
        if not self:
            return None
        self.ensure_one()
        return self.env[self.model].browse(self.res_id).exists()

    def action_open_record(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": self.model, "res_id": self.res_id,
                "view_mode": "form", "target": "current"}


def naive_utc(moment):
    """An aware datetime as Odoo stores it (naive UTC); a naive one is taken as UTC already."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
