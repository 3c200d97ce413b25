import logging
import math
import secrets
from datetime import UTC, timedelta
from functools import partial

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_datetime

from ..services.adapter import WEBHOOK_SEVERITY, webhook_health
from ..services.http import Postponed, RemoteError
from ..services.jobs import retryable_job_error

_logger = logging.getLogger(__name__)

USER = "shop_sync_base.group_shop_sync_user"
MANAGER = "shop_sync_base.group_shop_sync_manager"
# seconds before an interrupted poll continues when the shop named no wait (a 5xx, no answer)
POLL_RESUME_DELAY = 60
# the polls that continue where the shop interrupted them: object -> (resume field, poll flow)
RESUMABLE_POLLS = {"order": ("orders_poll_resume", "orders_poll"), "product": ("products_poll_resume", "products_poll")}


class ShopSyncBackend(models.Model):
    """One configured remote system: a webshop or an accounting system.

    Connector addons add their ``kind`` (``selection_add``), their credential fields (readable by
    Shop Sync Managers only) and override ``_get_adapter`` / ``_compute_role``.
    """

    _name = "shop.sync.backend"
    _description = "Shop Sync Backend"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    kind = fields.Selection([("none", "No connector")], required=True, default="none",
                            help="The remote system this backend talks to.")
    role = fields.Selection([("shop", "Webshop"), ("accounting", "Accounting")],
                            compute="_compute_role", store=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    api_url = fields.Char("Shop / API URL", help="Base URL of the remote API, e.g. https://myshop.example.")

    # webhooks: the endpoint URL carries a random token; the shop signs with webhook_secret
    webhook_token = fields.Char(groups=MANAGER, copy=False, readonly=True,
                                default=lambda self: secrets.token_urlsafe(24))
    webhook_secret = fields.Char(groups=MANAGER, copy=False,
                                 help="Secret the shop signs webhooks with.")
    webhook_url = fields.Char(compute="_compute_webhook_url", groups=MANAGER,
                              help="Where the shop must send its webhooks.")

    webhook_state = fields.Selection(
        [("unknown", "Not checked"), ("ok", "OK"), ("disabled", "Disabled"), ("wrong_address", "Wrong address"),
         ("missing", "Missing topics"), ("failed", "Check failed")],
        "Webhook health", default="unknown", readonly=True, copy=False,
        help="Whether the shop has an active subscription to this backend's webhook URL for every topic "
             "the hub needs, as found by the last 'Check webhooks'.")
    webhook_checked_at = fields.Datetime("Webhooks checked at", readonly=True, copy=False)
    webhook_health = fields.Json(readonly=True, copy=False,
                                 help="Per needed topic: [topic, status, detail] of the last check.")
    connection_state = fields.Selection(
        [("unknown", "Not tested"), ("ok", "Connected"), ("failed", "Failed")],
        default="unknown", readonly=True, copy=False)
    connection_message = fields.Char(readonly=True, copy=False)

    # schedule
    sync_interval = fields.Integer("Sync every (minutes)", default=5, required=True)
    next_sync_at = fields.Datetime(readonly=True, copy=False)
    sync_orders = fields.Boolean("Import orders", default=True)
    sync_products = fields.Boolean("Import product changes", default=False)
    sync_stock = fields.Boolean("Export stock", default=False)
    poll_overlap = fields.Integer(
        "Overlap window (minutes)", default=10,
        help="Each poll asks for changes since the last run minus this window, so nothing is missed "
             "between runs; records already imported are recognised and skipped.")
    orders_synced_until = fields.Datetime("Orders polled until", copy=False)
    orders_poll_resume = fields.Json(
        copy=False, readonly=True,
        help="Where an order poll interrupted by the shop (e.g. its rate limit) continues: the shop's cursor "
             "after the last page it stored, with that walk's period; cleared when the walk ends.")
    products_synced_until = fields.Datetime("Products polled until", copy=False)
    products_poll_resume = fields.Json(
        copy=False, readonly=True,
        help="Where a product poll interrupted by the shop continues (as for orders).")

    # orders
    order_state_ids = fields.One2many("shop.sync.order.state", "backend_id", "Order states", copy=True)
    confirm_orders = fields.Boolean("Confirm imported orders", default=True)
    salesperson_id = fields.Many2one(
        "res.users", check_company=True, domain="[('share', '=', False)]",
        help="Salesperson of the imported orders whose customer has none of their own. Empty: none (not the "
             "user the import runs as).")
    sales_team_id = fields.Many2one(
        "crm.team", "Sales team", check_company=True,
        help="Sales team of the imported orders, e.g. one per shop to report sales by channel. Empty: Odoo's "
             "default team of the order's salesperson.")
    create_missing_products = fields.Boolean(
        help="Create a product for an unknown SKU on an order (with the fields the product rules allow on "
             "create). Otherwise the order is not imported and the log says which SKU is unknown.")
    shipping_product_id = fields.Many2one(
        "product.product", default=lambda self: self.env.ref("shop_sync_base.product_shop_shipping", False),
        check_company=True, help="Product of shipping lines when no shipping-method mapping matches.")
    fee_product_id = fields.Many2one(
        "product.product", default=lambda self: self.env.ref("shop_sync_base.product_shop_fee", False),
        check_company=True)
    discount_product_id = fields.Many2one(
        "product.product", default=lambda self: self.env.ref("shop_sync_base.product_shop_discount", False),
        check_company=True)
    accounting_date_source = fields.Selection(
        [("order", "Order date"), ("paid", "Payment date")], "Accounting date", default="order", required=True,
        help="Which date of a shop order dates its accounting document (and so its VAT period), in the company's "
             "time zone: when it was placed, or when the shop recorded its payment (the order date when the shop "
             "sends none).")
    tax_rounding_warning = fields.Char(
        compute="_compute_tax_rounding_warning",
        help="Set when Odoo rounds taxes otherwise than the shop: order totals would then differ by cents.")
    accounting_tz_warning = fields.Char(
        "Accounting time zone warning", compute="_compute_accounting_tz_warning",
        help="Set when the company has no time zone of its own: accounting dates are then UTC days.")

    # products and stock
    field_rule_ids = fields.One2many("shop.sync.field.rule", "backend_id", "Field rules", copy=True)
    product_category_id = fields.Many2one(
        "product.category", "Parent of shop categories",
        help="A category the shop sends that Odoo lacks is created under this one (empty: the category of that name "
             "anywhere in Odoo, else a new top-level one).")
    product_publish = fields.Selection(
        [("draft", "Draft"), ("published", "Published")], "Create products in the shop as", default="draft")
    shop_manages_stock = fields.Boolean(
        "Shop manages stock", default=True,
        help="Off: the shop keeps no stock (made to order, dropshipping), so no stock is pushed to it.")
    stock_location_ids = fields.One2many(
        "shop.sync.stock.location", "backend_id", "Shop locations", copy=False,
        help="Each shop location gets the free quantity of its Odoo location; without any mapped, the shop's "
             "default location gets the warehouse's.")
    warehouse_id = fields.Many2one(
        "stock.warehouse", check_company=True,
        help="Warehouse whose free quantity (on hand minus reserved) is pushed to the shop.",
        domain="[('company_id', '=', company_id)]")

    cockpit_html = fields.Html("Overview", compute="_compute_cockpit_html", sanitize=False)
    field_mapping_html = fields.Html("Field mapping", compute="_compute_field_mapping_html", sanitize=False,
                                     help="Which shop field lands in which Odoo field.")
    mapping_ids = fields.One2many("shop.sync.mapping", "backend_id", "Mappings", copy=True)
    log_ids = fields.One2many("shop.sync.log", "backend_id")
    log_error_count = fields.Integer(compute="_compute_counts")
    event_count = fields.Integer(compute="_compute_counts")

    _sync_interval_positive = models.Constraint(
        "CHECK(sync_interval > 0)", "The sync interval must be at least one minute.")

    @api.depends("kind")
    def _compute_role(self):
        for backend in self:
            backend.role = "shop"

    @api.depends("kind", "company_id.tax_calculation_rounding_method")
    def _compute_tax_rounding_warning(self):
        for backend in self:
            backend.tax_rounding_warning = backend._tax_rounding_problem()

    @api.depends("company_id.partner_id.tz", "company_id.country_id")
    def _compute_accounting_tz_warning(self):
        for backend in self:
            backend.accounting_tz_warning = backend.company_id._shop_sync_tz_warning()

    def _tax_rounding_problem(self):
        """Why Odoo's totals may differ from the shop's by cents (the company rounds taxes otherwise than
        the shop), or False."""
        self.ensure_one()
        shop = self._shop_tax_rounding()
        odoo = self.company_id.tax_calculation_rounding_method
        if not shop or shop == odoo:
            return False
        methods = dict(self.env["res.company"]._fields["tax_calculation_rounding_method"]._description_selection(
            self.env))
        return _("Company %(company)s rounds taxes '%(odoo)s' but %(shop)s rounds '%(shop_method)s', so totals "
                 "differ by cents: set Invoicing settings → Taxes → Rounding method '%(shop_method)s'.",
                 company=self.company_id.name, odoo=methods.get(odoo, odoo), shop_method=methods.get(shop, shop),
                 shop=dict(self._fields["kind"]._description_selection(self.env)).get(self.kind, self.kind))

    def _shop_tax_rounding(self):
        """How the shop rounds taxes, in Odoo's terms ('round_per_line' or 'round_globally'); None when the
        connector does not say."""
        self.ensure_one()
        if self.role != "shop":
            return None
        try:
            return self._get_adapter().TAX_ROUNDING
        except UserError:
            return None

    def _compute_webhook_url(self):
        for backend in self:
            # get_base_url(): the record's root URL (Odoo's hook for a per-record or per-website address)
            backend.webhook_url = (
                f"{backend.get_base_url() or ''}/shop_sync/webhook/{backend.id}/{backend.sudo().webhook_token}"
                if backend.id else False)

    @api.depends("kind")
    def _compute_field_mapping_html(self):
        for backend in self:
            rows = backend._field_mapping()
            backend.field_mapping_html = rows and _html_table(
                (_("Remote field"), _("Odoo field"), _("Note")),
                ((Markup("<code>%s</code>") % remote, odoo, note) for remote, odoo, note in rows))

    def _compute_cockpit_html(self):
        """Per flow: last successful run, last error, errors in the last 24 h; plus the job backlog.
        Listed: the flows that ran, and the declared flows switched on (never run yet: '-')."""
        Log = self.env["shop.sync.log"].sudo()
        since = fields.Datetime.now() - timedelta(hours=24)
        flows = dict(Log._fields["flow"].selection)
        jobs = self._job_counts()
        last = {(backend.id, flow, state): date for backend, flow, state, date in Log._read_group(
            [("backend_id", "in", self.ids)], ["backend_id", "flow", "state"], ["create_date:max"])}
        recent = {(backend.id, flow): count for backend, flow, count in Log._read_group(
            [("backend_id", "in", self.ids), ("state", "=", "error"), ("create_date", ">=", since)],
            ["backend_id", "flow"], ["__count"])}
        for backend in self:
            if not backend.id:
                backend.cockpit_html = False
                continue
            ran = {flow for backend_id, flow, _state in last if backend_id == backend.id}
            ran |= {flow.log_flow for flow in backend._shop_sync_scheduled_flows()}
            rows = ((label, backend._moment(last.get((backend.id, flow, "done"))),
                     backend._moment(last.get((backend.id, flow, "error"))),
                     recent.get((backend.id, flow), 0)) for flow, label in flows.items() if flow in ran)
            queued, failed = jobs.get(backend.id, (0, 0))
            backend.cockpit_html = Markup("<p>%s</p>") % _(
                "Jobs of this backend: %(queued)s queued or running, %(failed)s failed.",
                queued=queued, failed=failed) + \
                _html_table((_("Flow"), _("Last success"), _("Last error"), _("Errors (24 h)")), rows) + \
                backend._webhook_health_html()

    def _job_counts(self):
        """``{backend id: (queued or running, failed)}``: queue jobs of the backends themselves and of
        their inbox events (queue_job stores a job's records as a JSON text in a jsonb column)."""
        self.env["queue.job"].flush_model(["model_name", "records", "state"])
        self.env.cr.execute("""
            SELECT backend_id, count(*) FILTER (WHERE state != 'failed'), count(*) FILTER (WHERE state = 'failed')
              FROM (SELECT DISTINCT job.id, job.state,
                           CASE WHEN job.model_name = 'shop.sync.backend' THEN rec.id::int ELSE event.backend_id END
                           AS backend_id
                      FROM queue_job job
                      CROSS JOIN LATERAL jsonb_array_elements_text((job.records #>> '{}')::jsonb -> 'ids') AS rec(id)
                      LEFT JOIN shop_sync_event event
                             ON job.model_name = 'shop.sync.event' AND event.id = rec.id::int
                     WHERE job.model_name IN ('shop.sync.backend', 'shop.sync.event')
                       AND job.state IN ('wait_dependencies', 'pending', 'enqueued', 'started', 'failed')) jobs
             WHERE backend_id = ANY(%s)
             GROUP BY backend_id
        """, [self.ids])
        return {backend_id: (queued, failed) for backend_id, queued, failed in self.env.cr.fetchall()}

    def _webhook_health_html(self):
        """The webhook section of the overview: state of the last check and its rows per topic."""
        if self.role != "shop":
            return Markup()
        states = dict(self._fields["webhook_state"].selection)
        title = _("Webhooks: %(state)s (checked %(date)s)", state=states[self.webhook_state],
                  date=self._moment(self.webhook_checked_at, _("never")))
        return Markup("<p><strong>%s</strong></p>") % title + (self.webhook_health and _html_table(
            (_("Topic"), _("Status"), _("Detail")),
            ((topic, states.get(status, status), detail) for topic, status, detail in self.webhook_health)) or Markup())

    def _moment(self, value, empty="-"):
        """A UTC datetime of the overview as the reader sees it: in their time zone, to the second."""
        return format_datetime(self.env, value) if value else empty

    def _field_mapping(self):
        """Rows (remote field, Odoo field, note) of the connector; empty without one."""
        self.ensure_one()
        return ()

    def _compute_counts(self):
        since = fields.Datetime.now() - timedelta(hours=24)
        errors = dict(self.env["shop.sync.log"]._read_group(
            [("backend_id", "in", self.ids), ("state", "=", "error"), ("create_date", ">=", since)],
            ["backend_id"], ["__count"]))
        events = dict(self.env["shop.sync.event"]._read_group(
            [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]))
        for backend in self:
            backend.log_error_count = errors.get(backend, 0)
            backend.event_count = events.get(backend, 0)

    @api.model_create_multi
    def create(self, vals_list):
        backends = super().create(vals_list)
        for backend in backends:
            backend.env["shop.sync.field.rule"]._ensure_defaults(backend)
        return backends

    def write(self, vals):
        result = super().write(vals)
        if "company_id" in vals:  # the record rules saw the old company only: the new one must be the writer's too
            self._check_manager()
        return result

    # -- access -------------------------------------------------------------------------------
    def _check_access_company(self, group=USER):
        """Raise AccessError unless the current user is in ``group`` and every backend of ``self``
        belongs to one of the user's active companies.  Methods reachable over RPC call this first:
        a hidden button is still callable, and the work after it runs as superuser."""
        if self.env.su:
            return self
        if not self.env.user.has_group(group):
            raise AccessError(_("Only %(group)s may do this.", group=self.env.ref(group).sudo().full_name))
        foreign = self.sudo().filtered(lambda backend: backend.company_id not in self.env.companies)
        if foreign:
            raise AccessError(_("Backend %(names)s belongs to a company you are not working in.",
                                names=", ".join(foreign.mapped("name"))))
        return self

    def _check_manager(self):
        """``_check_access_company`` for configuration and writes to remote systems."""
        return self._check_access_company(MANAGER)

    # -- adapter ------------------------------------------------------------------------------
    def _get_adapter(self):
        """Return the connector's adapter for this backend (overridden per ``kind``)."""
        self.ensure_one()
        raise UserError(_("No connector is installed for backend %(name)s (%(kind)s).",
                          name=self.name, kind=self.kind))

    def _adapter_config(self):
        """Connection settings handed to the adapter; connectors extend with their credentials."""
        self.ensure_one()
        backend = self.sudo()
        return {"url": backend.api_url or "", "webhook_secret": backend.webhook_secret or ""}

    # -- buttons ------------------------------------------------------------------------------
    def action_test_connection(self):
        self.ensure_one()
        self._check_manager()
        try:
            description = self._get_adapter().test_connection()
        except (RemoteError, UserError) as exc:
            self.write({"connection_state": "failed", "connection_message": str(exc)[:250]})
            self.env["shop.sync.log"]._record(self, "connection", "error", message=str(exc),
                                               reason=_("Connection failed"))
            return self._notify(_("Connection failed: %s", exc), "danger")
        self.write({"connection_state": "ok", "connection_message": description})
        self.env["shop.sync.log"]._record(self, "connection", "done", message=description)
        return self._notify(_("Connected: %s", description), "success")

    def action_load_order_states(self):
        """(Re)load the shop's order states, keeping the allowed flags already chosen."""
        self._check_manager()
        for backend in self:
            adapter = backend._get_adapter()
            known = {state.code: state for state in backend.order_state_ids}
            defaults = set(adapter.default_allowed_states())
            cancelling = set(adapter.default_cancel_states())
            for sequence, (code, label) in enumerate(adapter.order_states()):
                if code in known:
                    known[code].write({"name": label, "sequence": sequence})
                else:
                    backend.order_state_ids.create({
                        "backend_id": backend.id, "code": code, "name": label,
                        "sequence": sequence, "allowed": code in defaults, "cancels_order": code in cancelling})
        return True

    def action_load_stock_locations(self):
        """(Re)load the shop's stock locations, keeping the Odoo locations already chosen."""
        self.ensure_one()
        self._check_manager()
        known = {location.external_id: location for location in self.stock_location_ids}
        try:
            remote = self._get_adapter().stock_locations()
        except RemoteError as exc:
            return self._notify(_("Loading the shop's locations failed: %s", exc), "danger")
        for sequence, (external_id, name) in enumerate(remote):
            if external_id in known:
                known[external_id].write({"name": name, "sequence": sequence})
            else:
                self.stock_location_ids.create({"backend_id": self.id, "external_id": external_id, "name": name,
                                                "sequence": sequence})
        if not remote:
            return self._notify(_("This shop keeps one stock per product: the warehouse's is pushed."), "info")
        return self._notify(_("%s shop locations loaded: choose the Odoo location of each.", len(remote)), "success")

    def action_register_webhooks(self):
        """Subscribe the shop's webhooks to our URL; the secret the shop returns replaces ours."""
        self.ensure_one()
        self._check_manager()
        backend = self.sudo()
        adapter = backend._get_adapter()
        try:
            topics = adapter.register_webhooks(backend.webhook_url)
        except RemoteError as exc:
            self.env["shop.sync.log"]._record(self, "webhook", "error", message=str(exc),
                                               reason=_("Webhook registration failed"))
            return self._notify(_("Webhook registration failed: %s", exc), "danger")
        secret = adapter.webhook_secret()
        if secret:
            backend.webhook_secret = secret
        summary = ", ".join(topic for topic, _remote_id in topics)
        self.env["shop.sync.log"]._record(self, "webhook", "done", message=_("Registered: %s", summary))
        return self._notify(_("Webhooks registered: %s", summary), "success")

    def action_check_webhooks(self):
        """Ask the shop which webhooks it has and store how they compare with what the hub needs."""
        self.ensure_one()
        self._check_manager()
        backend = self.sudo()
        adapter = backend._get_adapter()
        now = fields.Datetime.now()
        try:
            subscriptions = adapter.list_webhooks()
        except RemoteError as exc:
            self.write({"webhook_state": "failed", "webhook_checked_at": now, "webhook_health": False})
            self.env["shop.sync.log"]._record(self, "webhook", "error", message=str(exc), response=exc.body,
                                               reason=_("Webhook check failed"))
            return self._notify(_("Webhook check failed: %s", exc), "danger")
        rows = webhook_health(adapter.WEBHOOK_TOPICS, subscriptions, backend.webhook_url)
        state = max((status for _topic, status, _detail in rows), key=WEBHOOK_SEVERITY.index, default="ok")
        self.write({"webhook_state": state, "webhook_checked_at": now, "webhook_health": [list(row) for row in rows]})
        problems = [f"{topic}: {status}" for topic, status, _detail in rows if status != "ok"]
        if problems:
            message = _("Webhooks not healthy: %s", ", ".join(problems))
            self.env["shop.sync.log"]._record(self, "webhook", "error", reason=_("Webhooks not healthy"),
                                               message=message)
            return self._notify(message, "warning")
        message = _("All %s webhook topics are registered and active.", len(rows))
        self.env["shop.sync.log"]._record(self, "webhook", "done", reason=_("Webhook check"), message=message)
        return self._notify(message, "success")

    def action_dry_run(self):
        """Open the import dry-run for this backend."""
        self.ensure_one()
        self._check_access_company()
        return {"type": "ir.actions.act_window", "res_model": "shop.sync.dry.run", "view_mode": "form",
                "target": "new", "name": _("Import dry-run"),
                "context": {"default_backend_id": self.id, "default_objects": "orders"}}

    def action_sync_now(self):
        self._check_manager()
        for backend in self:
            backend._enqueue_sync()
        return self._notify(_("Synchronisation queued."), "info")

    def action_import_all_products(self):
        """One-time full product import (all products, not only recent changes)."""
        self._check_manager()
        for backend in self:
            backend._shop_sync_enqueue("products_full_import")
        return self._notify(_("Full product import queued."), "info")

    def action_view_logs(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("shop_sync_base.action_shop_sync_log")
        action["domain"] = [("backend_id", "in", self.ids)]
        return action

    def action_view_events(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("shop_sync_base.action_shop_sync_event")
        action["domain"] = [("backend_id", "in", self.ids)]
        return action

    @staticmethod
    def _notify(message, kind):
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"message": message, "type": kind, "sticky": kind == "danger"}}

    # -- scheduling ---------------------------------------------------------------------------
    @api.model
    def _cron_sync(self):
        """Scheduled action: enqueue the jobs of every backend whose interval has elapsed."""
        now = fields.Datetime.now()
        due = self.search(["|", ("next_sync_at", "=", False), ("next_sync_at", "<=", now)])
        for backend in due:
            backend._enqueue_sync()
            backend.next_sync_at = now + timedelta(minutes=backend.sync_interval)
        return len(due)

    def _enqueue_sync(self):
        """Queue one job per declared flow whose enabling field is on (see ``_shop_sync_flows``)."""
        self.ensure_one()
        for flow in self._shop_sync_scheduled_flows():
            self._shop_sync_enqueue(flow.key)

    # -- jobs ---------------------------------------------------------------------------------
    def _poll_orders(self):
        """Job: store every order changed since the watermark (minus the overlap) in the inbox
        and queue its processing; then move the watermark.  A walk the shop interrupts after
        complete pages continues after them (``_poll_paused``)."""
        self.ensure_one()
        return self._poll("order", "orders_synced_until",
                          lambda adapter, since, **resume: adapter.fetch_orders(since, **resume), "order_import",
                          resumable=True)

    def _import_products(self, full=False):
        """Job: like ``_poll_orders`` for products; ``full`` ignores the watermark (and reads
        everything in one walk: a shop with a bulk export gives it at once)."""
        self.ensure_one()
        if full:
            return self._poll("product", "products_synced_until",
                              lambda adapter, since: adapter.fetch_all_products(), "product_import")
        return self._poll("product", "products_synced_until",
                          lambda adapter, since, **resume: adapter.fetch_products(since, **resume), "product_import",
                          resumable=True)

    def _poll(self, object_name, watermark_field, fetch, flow, resumable=False):
        """Store what ``fetch`` yields in the inbox, queue it, then move the watermark to the walk's
        start.  A request that fails, or an answer the adapter cannot walk (HTML instead of JSON, a page
        without its keys), fails the poll: logged, the watermark stays so the next run asks again.  A
        ``resumable`` walk keeps the pages it stored (``_poll_paused``), and one kept in its resume field
        (``RESUMABLE_POLLS``) is continued with its own period.  A record that cannot be
        identified is kept in error by ``_store`` (its own log); the others go on."""
        resume_field = resumable and RESUMABLE_POLLS[object_name][0]
        resume = (resume_field and self[resume_field]) or {}
        if resume:
            since = resume["since"] and fields.Datetime.to_datetime(resume["since"])
            started = fields.Datetime.to_datetime(resume["started"])
            fetch = partial(fetch, resume_from=resume["after"])
        else:
            watermark = self[watermark_field]
            since = watermark - timedelta(minutes=self.poll_overlap) if watermark else None
            started = fields.Datetime.now()
        adapter = self._get_adapter()
        Event = self.env["shop.sync.event"]
        fetched, events = 0, Event
        try:
            for payload in fetch(adapter, since and since.replace(tzinfo=UTC)):
                fetched += 1
                events |= Event._store(self, "poll", object_name, payload, adapter=adapter)
        except Postponed as exc:  # e.g. a bulk export still running: the job runs again later, its tries intact
            raise retryable_job_error(exc, ignore_retry=True) from exc
        except RemoteError as exc:
            if resumable and adapter.resume_point and adapter.resume_point != resume.get("after"):
                return self._poll_paused(object_name, flow, exc, (since, started, adapter.resume_point), events,
                                         fetched)
            if resume and not (exc.retryable or exc.uncertain):  # e.g. a cursor the shop no longer knows
                self[resume_field] = False  # the next poll starts again
            self._shop_sync_retry_later(flow, exc, reason=_("Polling failed"), message=str(exc))
            # keep what was stored; the watermark stays so the next run asks again
            self.env["shop.sync.log"]._record(self, flow, "error", reason=_("Polling failed"), message=str(exc),
                                               response=exc.body)
            events._poll_enqueue()
            return False
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            _logger.exception("polling %s of backend %s failed", object_name, self.id)
            self.env["shop.sync.log"]._record(self, flow, "error", reason=_("Polling failed"), message=_(
                "The shop's answer could not be read: %s", f"{type(exc).__name__}: {exc}"))
            events._poll_enqueue()
            return False
        unreadable = events._poll_enqueue()
        if adapter.fetched_as_of:  # a bulk export is as of when it was taken, before this run
            started = min(started, adapter.fetched_as_of.astimezone(UTC).replace(tzinfo=None))
        self[watermark_field] = started
        if resume:
            self[resume_field] = False
        message = _("%(fetched)s fetched, %(new)s new or changed.", fetched=fetched, new=len(events) - unreadable)
        if unreadable:
            message += " " + _("%s not understood (each has its error log).", unreadable)
        self.env["shop.sync.log"]._record(self, flow, "done", reason=_("Poll"), message=message)
        return len(events)

    def _poll_paused(self, object_name, flow, exc, walk, events, fetched):
        """A walk the shop interrupted (``RemoteError`` ``exc``) after pages it had not stored before:
        what they held is kept and queued, and ``walk`` (its period's start, its own start and the
        adapter's ``resume_point`` after those pages) is kept in ``object_name``'s resume field, so
        the next poll continues after them with the same period and moves the watermark to this walk's
        start when it ends.  Started again instead, a walk longer than the shop's rate limit allows in
        one go would stop at the same page every time and never reach the records after it.  A
        retryable failure (429, a 5xx, no answer) queues that poll (its flow) after the
        shop's wait; otherwise the next run continues.  A failure before any new page follows the retry
        rule (``_poll``)."""
        (resume_field, poll_flow), (since, started, resume_point) = RESUMABLE_POLLS[object_name], walk
        self[resume_field] = {"since": since and fields.Datetime.to_string(since),
                              "started": fields.Datetime.to_string(started), "after": resume_point}
        unreadable = events._poll_enqueue()
        message = _("%(fetched)s fetched, %(new)s new or changed, then: %(error)s", fetched=fetched,
                    new=len(events) - unreadable, error=exc)
        if exc.retryable or exc.uncertain:
            delay = math.ceil(exc.retry_after or POLL_RESUME_DELAY)  # queue_job takes whole seconds
            self._shop_sync_enqueue(poll_flow, eta=delay)
            return self.env["shop.sync.log"]._record(
                self, flow, "skipped", reason=_("Poll paused"), response=exc.body, message=message + " " + _(
                    "The poll continues after the last page stored in %s s.", delay))
        return self.env["shop.sync.log"]._record(
            self, flow, "error", reason=_("Polling failed"), response=exc.body, message=message + " " + _(
                "The next poll continues after the last page stored."))

    def _export_stock(self, products=None):
        """Job: push changed stock levels of bound products to the shop."""
        self.ensure_one()
        return self.env["shop.sync.stock.exporter"]._export(self, products)


class ShopSyncBackendRecord(models.AbstractModel):
    """A record of one backend (binding, log, mapping...), whose company is its backend's.  Record rules
    are checked before a write, not after: moving the record to another backend is checked here, so
    nobody moves records into (or out of reach of) a company they do not manage."""

    _name = "shop.sync.backend.record"
    _description = "Shop Sync Backend Record"

    def write(self, vals):
        if "backend_id" in vals:
            self.env["shop.sync.backend"].browse(vals["backend_id"])._check_manager()
        return super().write(vals)


def _html_table(headers, rows):
    """A small read-only HTML table; cells are escaped unless they are Markup already."""
    def line(tag, cells):
        return Markup("<tr>%s</tr>") % Markup().join(Markup(f"<{tag}>%s</{tag}>") % cell for cell in cells)
    return Markup("<table class='table table-sm'><thead>%s</thead><tbody>%s</tbody></table>") % (
        line("th", headers), Markup().join(line("td", row) for row in rows))
