import itertools
import logging
import os
from datetime import UTC, timedelta

from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from ..services.http import RemoteError
from ..services.server_flags import DRY_RUN, raised

_logger = logging.getLogger(__name__)

#: fields shown per model: (Odoo field, field rule that governs it on update, or None)
SHOWN_FIELDS = {
    "product.template": [("name", "name"), ("description_sale", "description"), ("list_price", "price"),
                         ("categ_id", "category"), ("sale_ok", "published"), ("default_code", None)],
    "product.product": [("default_code", None), ("barcode", "barcode"), ("weight", "weight")],
    "sale.order": [("name", None), ("partner_id", None), ("partner_shipping_id", None), ("date_order", None),
                   ("client_order_ref", None), ("shop_order_state", None), ("payment_term_id", None),
                   ("state", None), ("amount_untaxed", None), ("amount_tax", None), ("amount_total", None)],
    "res.partner": [("name", "name"), ("email", "email"), ("phone", "phone"), ("street", "address"),
                    ("zip", "address"), ("city", "address"), ("country_id", "address"), ("vat", "vat")],
}
RULE_OBJECT = {"product.template": "product", "product.product": "product", "res.partner": "customer"}
MAX_TEXT = 200


class ShopSyncDryRun(models.TransientModel):
    """What the next poll would create or update, field by field, without writing anything.

    The real pipeline (inbox, importers, field rules, mappings) runs inside a savepoint that is
    always rolled back; the resulting values are read before the rollback and the previous ones
    after it.  Sequences are read, not drawn (the ``DRY_RUN`` server flag, which no client can
    raise), queue jobs are created inside the savepoint (so rolled back) and never run inline.
    """

    _name = "shop.sync.dry.run"
    _description = "Shop Sync Import Dry-run"

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade",
                                 domain=[("role", "=", "shop")])
    objects = fields.Selection([("orders", "Orders"), ("products", "Products"), ("both", "Orders and products")],
                               "Import", required=True, default="orders")
    record_limit = fields.Integer("At most", default=20, required=True, help="Records fetched per object.")
    since = fields.Datetime("Changes since", readonly=True,
                            help="The watermark minus the overlap window, as the next poll asks (first object).")
    line_ids = fields.One2many("shop.sync.dry.run.line", "wizard_id", readonly=True)
    summary = fields.Char(readonly=True)

    _limit_positive = models.Constraint("CHECK(record_limit > 0)", "Fetch at least one record.")

    def action_run(self):
        self.ensure_one()
        if os.getenv("QUEUE_JOB__NO_DELAY"):
            raise UserError(_("A dry-run is not possible while QUEUE_JOB__NO_DELAY is set: queued work would run "
                              "at once and could write to remote systems."))
        backend = self.backend_id._check_access_company()
        # the pipeline runs as in a job (superuser); nothing it does survives the rollback
        dry = self.sudo().with_company(backend.company_id).with_context(
            queue_job__no_delay=False, job_uuid=False, tracking_disable=True,
            mail_notrack=True, mail_create_nolog=True)
        objects = ("order", "product") if self.objects == "both" else (self.objects[:-1],)
        dry.line_ids.unlink()
        dry.since = False
        results = []
        backend = backend.with_env(dry.env)
        adapter = backend._get_adapter()
        with raised(self.env.cr, DRY_RUN):
            for object_name in objects:
                results += dry._preview(backend, adapter, object_name)
        lines = [values for result in results for values in result]
        # the lines are read-only for users: only this method writes them
        dry.write({"line_ids": [fields.Command.create(values) for values in lines],
                   "summary": self._summary(results)})
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "target": "new"}

    def _preview(self, backend, adapter, object_name):
        """Line values per fetched record of ``object_name`` (a list of lists)."""
        watermark = backend.orders_synced_until if object_name == "order" else backend.products_synced_until
        since = watermark - timedelta(minutes=backend.poll_overlap) if watermark else None
        self.since = self.since or since
        fetch = adapter.fetch_orders if object_name == "order" else adapter.fetch_products
        try:
            payloads = list(itertools.islice(fetch(since and since.replace(tzinfo=UTC)), self.record_limit))
        except RemoteError as exc:
            return [[{"object": object_name, "action": "error", "reason": _("Fetching failed: %s", exc)}]]
        outcomes, touched = self._run_rolled_back(backend, adapter, object_name, payloads)
        # the shop's values of the fields the rules keep: the same run with every field written
        _outcomes, unruled = self._run_rolled_back(backend, adapter, object_name, payloads, all_fields=True)
        return [self._lines(backend, object_name, outcome, touched, unruled) for outcome in outcomes]

    def _run_rolled_back(self, backend, adapter, object_name, payloads, all_fields=False):
        """Run the pipeline on ``payloads`` in a savepoint that is always rolled back; return the
        outcomes and ``{(model, id): values}`` of the records touched, read before the rollback."""
        outcomes, touched = [], {}
        savepoint = self.env.cr.savepoint()
        try:
            if all_fields:
                backend.field_rule_ids.filtered(lambda rule: rule.direction == "import").on_update = True
            for payload in payloads:
                outcome = self._run_one(backend, adapter, object_name, payload)
                outcomes.append(outcome)
                for model, ids in outcome["records"].items():
                    for record in self.env[model].browse(ids):
                        touched[(model, record.id)] = _snapshot(record)
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()
        return outcomes, touched

    def _run_one(self, backend, adapter, object_name, payload):
        """Store and process one payload through the real pipeline; return what it touched."""
        Event = self.env["shop.sync.event"]
        external_id, ref = adapter.identify(object_name, payload)
        outcome = {"ref": ref or external_id, "external_id": external_id, "records": {}, "log": None,
                   "reason": ""}
        event = Event._store(backend, "poll", object_name, payload, adapter=adapter)
        if not event:
            outcome["reason"] = _("Unchanged since the last poll (this payload is in the inbox already).")
            return outcome
        log = event._process_one()
        outcome.update(log={"state": log.state, "reason": log.reason or "", "message": log.message or ""},
                       reason=" ".join(filter(None, (log.reason, log.message))))
        record = log.res_model and self.env[log.res_model].browse(log.res_id).exists()
        if record:
            outcome["records"][record._name] = record.ids
            if record._name == "sale.order":
                outcome["records"]["res.partner"] = (record.partner_id | record.partner_shipping_id).ids
            elif record._name == "product.template":
                outcome["records"]["product.product"] = record.with_context(active_test=False).product_variant_ids.ids
        return outcome

    def _lines(self, backend, object_name, outcome, touched, unruled):
        """Dry-run lines of one record: one per field created or changed, and one per field the
        rules keep although the shop has another value."""
        base = {"object": object_name, "external_ref": outcome["ref"], "external_id": outcome["external_id"],
                "reason": ""}
        log = outcome["log"]
        if log and log["state"] == "error":
            return [{**base, "action": "error", "reason": outcome["reason"]}]
        lines = []
        for model, ids in outcome["records"].items():
            for record_id in ids:
                new = touched.get((model, record_id), {})
                record = self.env[model].browse(record_id).exists()
                old = _snapshot(record) if record else {}
                shop = unruled.get((model, record_id), {})
                kept = self._kept_fields(backend, model) if record else set()
                label = new.get("display_name") or old.get("display_name") or f"{model},{record_id}"
                for field_name, _rule in SHOWN_FIELDS[model]:
                    before, after = old.get(field_name, ""), new.get(field_name, "")
                    if field_name in kept and shop.get(field_name, before) != before:
                        lines.append({**base, "action": "kept", "record": label,
                                      "field": self._label(model, field_name), "old_value": before,
                                      "new_value": shop[field_name],
                                      "reason": _("Not written on update (field rule): Odoo keeps its value.")})
                    elif before != after:
                        lines.append({**base, "action": "update" if record else "create", "record": label,
                                      "field": self._label(model, field_name), "old_value": before,
                                      "new_value": after})
                if model == "sale.order" and not record:
                    lines += [{**base, "action": "create", "record": label, "field": _("Line %s", number),
                               "new_value": text} for number, text in enumerate(new.get("lines", ()), start=1)]
        if not any(line["action"] in ("create", "update") for line in lines):
            lines.insert(0, {**base, "action": "skip", "reason": outcome["reason"] or _("No change.")})
        return lines

    def _kept_fields(self, backend, model):
        """Fields of ``model`` that the backend's import rules do not write on update."""
        obj = RULE_OBJECT.get(model)
        if not obj:
            return set()
        allowed = self.env["shop.sync.field.rule"]._allowed_fields(backend, obj, "import", creating=False)
        return {field_name for field_name, rule in SHOWN_FIELDS[model] if rule and rule not in allowed}

    def _label(self, model, field_name):
        return f"{self.env[model]._description}: {self.env[model]._fields[field_name]._description_string(self.env)}"

    @staticmethod
    def _summary(results):
        counts = {}
        for lines in results:
            action = "create" if any(line["action"] == "create" for line in lines) else (
                "update" if any(line["action"] == "update" for line in lines) else lines[0]["action"])
            counts[action] = counts.get(action, 0) + 1
        return ", ".join(f"{count} {action}" for action, count in sorted(counts.items())) or _("Nothing fetched.")


class ShopSyncDryRunLine(models.TransientModel):
    _name = "shop.sync.dry.run.line"
    _description = "Shop Sync Import Dry-run Line"
    _order = "id"

    wizard_id = fields.Many2one("shop.sync.dry.run", required=True, ondelete="cascade", index=True)
    object = fields.Selection([("order", "Order"), ("product", "Product")], required=True)
    external_ref = fields.Char("Reference")
    external_id = fields.Char()
    action = fields.Selection([("create", "Create"), ("update", "Update"), ("kept", "Kept"), ("skip", "Skip"),
                               ("error", "Error")], required=True)
    record = fields.Char("Odoo record")
    field = fields.Char()
    old_value = fields.Char("Old")
    new_value = fields.Char("New")
    reason = fields.Char()


def _snapshot(record):
    """Display values of the shown fields of ``record`` (strings), plus its lines for a sale order."""
    values = {"display_name": record.display_name}
    for field_name, _rule in SHOWN_FIELDS[record._name]:
        values[field_name] = _display(record, field_name)
    if record._name == "sale.order":
        values["lines"] = [
            f"{line.product_id.default_code or line.product_id.display_name} × {line.product_uom_qty:g} @ "
            f"{line.price_unit:.2f} {', '.join(line.tax_ids.mapped('name'))}".strip()
            for line in record.order_line]
    return values


def _display(record, field_name):
    field = record._fields[field_name]
    value = record[field_name]
    if field.type == "many2one":
        return value.display_name or ""
    if field.type == "boolean":
        return _("Yes") if value else _("No")
    if field.type == "selection":
        return dict(field._description_selection(record.env)).get(value, value or "")
    if field.type in ("float", "monetary"):
        return f"{value:.2f}"
    if field.type == "datetime":
        return fields.Datetime.to_string(value) if value else ""
    if field.type == "html":
        value = html2plaintext(value or "")
    text = str(value or "")
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"
