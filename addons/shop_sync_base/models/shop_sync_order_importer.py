import logging
from datetime import UTC
from decimal import Decimal

from psycopg2 import errors as pg_errors

from odoo import Command, _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from odoo.addons.queue_job.exception import RetryableJobError

from ..services import records
from .shop_sync_binding import naive_utc
from .shop_sync_event import ORDER_BATCH

_logger = logging.getLogger(__name__)

# A shop order's chatter gets neither a "created" message, nor the import's user as follower, nor the
# tracking of its values as imported and confirmed: its Shop Sync log says when and from where it came
# (issue 14: those messages were a tenth of an order's queries).  Later changes are tracked as usual.
QUIET_CHATTER = {"mail_create_nolog": True, "mail_create_nosubscribe": True, "mail_notrack": True}


class ShopSyncOrderImporter(models.AbstractModel):
    """Canonical ``records.Order`` in, sale order out; every outcome logged.

    The decisions live here once for every shop: allowed states, skip-if-exists (binding, its
    unique constraint and a lock per external id), partner match by e-mail, product match by
    SKU, shipping/fee/discount lines, taxes by destination (the buyer's fiscal position, checked
    against the rate the shop charged), the accounting date, and a total check to the cent.
    """

    _name = "shop.sync.order.importer"
    _description = "Shop Sync Order Import Pipeline"

    @api.model
    def _prepare_batch(self, backend, orders):
        """Lock the orders of a batch (the ``records.Order`` of one backend's inbox events, see
        ``shop.sync.event._import_orders``) at once and look up their bindings and their buyers' contacts
        in one search each: the ``OrderBatch`` ``_import`` then takes them from.  An id that occurs twice
        in the batch is looked up again by ``_import`` (an earlier event of the batch may bind it)."""
        ids = [str(order.external_id) for order in orders if order.external_id]
        once = {external_id for external_id in ids if ids.count(external_id) == 1}
        Binding = self.env["shop.sync.binding"]
        if ids:
            Binding._lock(backend, "sale.order", *ids)
        bindings = dict.fromkeys(once, Binding)
        if once:
            for binding in Binding.search([("backend_id", "=", backend.id), ("model", "=", "sale.order"),
                                           ("external_id", "in", list(once))]):
                bindings[binding.external_id] = binding
        contacts = self.env["shop.sync.partner.matcher"]._contacts_by_email(backend, orders)
        return OrderBatch(backend.id, bindings, contacts, len(orders))

    @api.model
    def _import(self, backend, order, event=None):
        """Import one order; one of a batch of inbox events finds its ``OrderBatch`` (``_prepare_batch``)
        in the context (``shop_sync_order_batch``), and its new order waits for the confirmation job
        (``_confirm_waiting``) instead of being confirmed here (when the backend confirms orders).  An order
        imported on its own (a dry run, a test) is confirmed at once."""
        Log = self.env["shop.sync.log"]
        Binding = self.env["shop.sync.binding"]
        common = {"ref": order.number, "external_id": order.external_id, "event": event}
        batch = self.env.context.get("shop_sync_order_batch")
        batch = batch if batch and batch.backend_id == backend.id else None
        if batch and str(order.external_id) in batch.bindings:  # locked and looked up with its batch
            binding = batch.bindings[str(order.external_id)]
        else:
            Binding._lock(backend, "sale.order", order.external_id)
            binding = Binding._find(backend, "sale.order", order.external_id)
        Refunds = self.env["shop.sync.refund.importer"]
        if binding:
            log = self._already_imported(backend, binding, order, common)
            Refunds._import_refunds(backend, order, binding._record(), event)
            return log
        if order.state not in backend.order_state_ids.filtered("allowed").mapped("code"):
            log = Log._record(backend, "order_import", "skipped", reason=_("Order state not allowed"),
                              message=_("State '%s' is not an allowed order state of this backend.", order.state),
                              **common)
            Refunds._import_refunds(backend, order, None, event)
            return log
        try:
            with self.env.cr.savepoint():
                sale = self._create_sale_order(backend, order, batch)
                Binding._bind_new(backend, [(sale, order.external_id, order.number, order.updated_at)])
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
        message = _("Sale order %(name)s created (%(total)s %(currency)s).", name=sale.name,
                    total=sale.amount_total, currency=sale.currency_id.name)
        if backend.accounting_date_source == "paid" and not order.paid_at:
            message += " " + _("The shop sent no payment date: its accounting date is the order date.")
        if sale.shop_sync_to_confirm:
            batch.to_confirm.append(sale)
        log = Log._record(backend, "order_import", "done", record=sale, message=message, **common)
        Refunds._import_refunds(backend, order, sale, event)
        return log

    @api.model
    def _already_imported(self, backend, binding, order, common):
        """Follow the shop state of an imported order, unless this version is older than the one
        imported last (deliveries arrive out of order): then nothing is rolled back."""
        sale = binding._record()
        if binding._outdated_by(order.updated_at):
            return self.env["shop.sync.log"]._record(
                backend, "order_import", "skipped", reason=_("Older than the version already imported"),
                message=_("Imported as %(name)s from the shop's version of %(applied)s (UTC); this one is of "
                          "%(version)s (shop state %(state)s) and changes nothing.", name=sale.name or binding.res_id,
                          applied=binding.remote_updated_at, version=naive_utc(order.updated_at), state=order.state),
                record=sale or None, **common)
        binding._applied(order.updated_at)
        message = _("Already imported as %s.", sale.name or binding.res_id)
        if sale and sale.shop_order_state != order.state:
            allowed = order.state in backend.order_state_ids.filtered("allowed").mapped("code")
            message = _("Already imported as %(name)s; shop state changed from %(old)s to %(new)s (%(verdict)s).",
                        name=sale.name, old=sale.shop_order_state, new=order.state,
                        verdict=_("allowed") if allowed else _("not allowed"))
            sale.shop_order_state = order.state
            if order.state in backend.order_state_ids.filtered("cancels_order").mapped("code"):
                return self._cancel(backend, sale, order, common)
        return self.env["shop.sync.log"]._record(backend, "order_import", "skipped", reason=_("Order already imported"),
                                                 message=message, record=sale or None, **common)

    @api.model
    def _cancel(self, backend, sale, order, common):
        """The shop cancelled an imported order: cancel the sale order unless something was delivered
        (then a person must take the goods back first), and let accounting reverse its document.  When
        the shop cancelled it is kept (the shop's time, else now: when Odoo learnt it), the day its
        accounting document is reversed."""
        Log = self.env["shop.sync.log"]
        sale.shop_cancelled_at = naive_utc(order.cancelled_at) if order.cancelled_at else fields.Datetime.now()
        if sale.state == "cancel":
            if not sale.accounting_backend_id:
                return Log._record(backend, "order_import", "skipped", reason=_("Order already cancelled"),
                                   record=sale, message=_("%s is cancelled already.", sale.name), **common)
            # cancelled in Odoo alone, its accounting document stayed: the shop's cancellation reverses it now
            sale._shop_sync_accounting_cancel()
            return Log._record(backend, "order_import", "done", reason=_("Order cancelled"), record=sale, message=_(
                "The shop cancelled order %(number)s; %(name)s was cancelled in Odoo already: its accounting document "
                "is reversed now.", number=order.number, name=sale.name), **common)
        delivered = sale.order_line.filtered(lambda line: line.qty_delivered)
        if delivered:
            return Log._record(backend, "order_import", "error", reason=_("Cancelled order was delivered"), record=sale,
                               message=_("The shop cancelled order %(number)s, but %(name)s was delivered (%(lines)s): "
                                         "create a return of the delivery, then cancel the sale order.",
                                         number=order.number, name=sale.name,
                                         lines=", ".join(delivered.mapped("name"))), **common)
        try:
            with self.env.cr.savepoint():
                sale.shop_sync_to_confirm = False  # cancelled before its confirmation: never confirmed
                sale._action_cancel()
                sale._shop_sync_accounting_cancel()
        except (UserError, ValidationError) as exc:
            return Log._record(backend, "order_import", "error", reason=_("Order not cancelled"), message=str(exc),
                               record=sale, **common)
        return Log._record(backend, "order_import", "done", reason=_("Order cancelled"), record=sale,
                           message=_("The shop cancelled order %(number)s: %(name)s is cancelled.",
                                     number=order.number, name=sale.name), **common)

    # -- confirming the orders marked to confirm (flow order_confirm) -----------------------------
    @api.model
    def _confirm_waiting(self, backend):
        """Confirm ``backend``'s orders marked to confirm, at most ``ORDER_BATCH`` with one ``action_confirm``
        (procurement, stock rules and reservations run once for all of them), then announce them
        (``_shop_sync_imported``: e.g. their invoices queued); the next job takes the rest.  Orders a
        concurrent job is confirming are left to it (locked), so none is confirmed twice."""
        sales, next_id = self.env["sale.order"]._shop_sync_lock_to_confirm(backend, ORDER_BATCH)
        if not sales:
            return sales
        if next_id:
            backend._shop_sync_queue_confirmation(next_id)
        sales = sales.with_company(backend.company_id).with_context(mail_notrack=True)
        try:
            with self.env.cr.savepoint():
                sales.action_confirm()
            confirmed = sales
        except (RetryableJobError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
            raise  # not the orders' fault: the whole job is retried
        except Exception as exc:  # noqa: BLE001 - the refused order is found one by one and logged
            _logger.info("orders %s of backend %s not confirmed together (%s): confirming them one by one",
                         ", ".join(sales.mapped("shop_order_number")), backend.id, exc)
            confirmed = self._confirm_each(backend, sales)
        sales.shop_sync_to_confirm = False
        confirmed._shop_sync_imported()
        return confirmed

    @api.model
    def _confirm_each(self, backend, sales):
        """The orders of ``sales`` that ``action_confirm`` accepts on their own; each refused one keeps its
        quotation and gets an error log with Odoo's message (Retry on it confirms it again)."""
        refused = []
        for sale in sales:
            try:
                with self.env.cr.savepoint():
                    sale.action_confirm()
            except (RetryableJobError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                raise
            except (UserError, ValidationError) as exc:
                refused.append((sale, str(exc)))
            except Exception as exc:  # noqa: BLE001 - one refused order must not keep the others out
                _logger.exception("order %s of backend %s not confirmed", sale.shop_order_number, backend.id)
                refused.append((sale, f"{type(exc).__name__}: {exc}"))
        self.env["shop.sync.log"]._record_many(backend, [
            ("order_confirm", "error", {"ref": sale.shop_order_number, "record": sale, "message": message,
                                        "reason": _("Order not confirmed")}) for sale, message in refused])
        return sales - self.env["sale.order"].concat(*(sale for sale, _message in refused))

    # -- building the sale order ----------------------------------------------------------------
    @api.model
    def _create_sale_order(self, backend, order, batch=None):
        """The sale order of ``order``, checked against the shop's totals; confirmed (when the backend
        says so) and announced (``_shop_sync_imported``), unless it is one of a ``batch`` that must be
        confirmed: then it is marked to confirm, and the confirmation job does both."""
        company = backend.company_id
        currency = self.env["res.currency"].browse(self._currency_id((order.currency or "").upper()))
        if not currency.active:
            raise UserError(_("Currency %s is not active in Odoo.", order.currency or "?"))
        country = self._country(order)
        self._check_vat_number(order, country)
        customer, invoice, delivery = self.env["shop.sync.partner.matcher"]._match(backend, order, batch)
        unconfirmed = self._vies_unconfirmed(company, delivery, batch)
        fiscal_position = self._fiscal_position(company, invoice, delivery, batch)
        if unconfirmed:
            self._check_reverse_charge_confirmed(order, company, unconfirmed, fiscal_position, country)
        payment = self.env["shop.sync.mapping"]._lookup(backend, "payment_method", code=order.payment_method)
        values = {
            "company_id": company.id,
            "partner_id": customer.id,
            "partner_invoice_id": invoice.id,
            "partner_shipping_id": delivery.id,
            "fiscal_position_id": fiscal_position.id,
            # Odoo's default would be the user the job runs as
            "user_id": (customer.user_id or customer.commercial_partner_id.user_id or backend.salesperson_id).id,
            "client_order_ref": order.number,
            "origin": f"{backend.name}: {order.number}",
            "date_order": order.created_at.astimezone(UTC).replace(tzinfo=None),
            "shop_accounting_date": self._accounting_date(backend, order),
            "pricelist_id": self._pricelist(company, currency, batch).id,
            "shop_sync_backend_id": backend.id,
            "shop_order_number": order.number,
            "shop_order_state": order.state,
            "shop_payment_method": order.payment_method or False,
            "note": order.note or False,
            "shop_sync_to_confirm": bool(batch) and backend.confirm_orders,
            "order_line": [Command.create(values)
                           for values in self._lines_values(backend, order, country, fiscal_position, currency, batch)],
        }
        if payment.payment_term_id:
            values["payment_term_id"] = payment.payment_term_id.id
        if backend.warehouse_id:
            values["warehouse_id"] = backend.warehouse_id.id
        if backend.sales_team_id:
            values["team_id"] = backend.sales_team_id.id
        Sale = self.env["sale.order"].with_company(company)
        sale = Sale.with_context(**QUIET_CHATTER).create(values).with_env(Sale.env)
        self._book_shop_tax_total(backend, order, sale)
        if currency.compare_amounts(sale.amount_total, float(order.total)):
            raise UserError(_("Totals differ: the shop says %(shop)s, Odoo computes %(odoo)s %(currency)s. %(cause)s",
                              shop=order.total, odoo=sale.amount_total, currency=currency.name,
                              cause=backend._tax_rounding_problem() or _("Check the tax mappings.")))
        if order.tax_total is not None and currency.compare_amounts(sale.amount_tax, float(order.tax_total)):
            # with prices including VAT the totals agree whatever the rate: only this catches a wrong one
            raise UserError(_("VAT differs: the shop charged %(shop)s, Odoo computes %(odoo)s %(currency)s. %(cause)s",
                              shop=order.tax_total, odoo=sale.amount_tax, currency=currency.name,
                              cause=backend._tax_rounding_problem() or _(
                                  "Check the tax mappings and the fiscal position of the buyer's country.")))
        if not sale.shop_sync_to_confirm:
            if backend.confirm_orders:
                sale.with_context(mail_notrack=True).action_confirm()
            sale._shop_sync_imported()
        return sale

    @api.model
    def _fiscal_position(self, company, invoice, delivery, batch=None):
        """The buyer's fiscal position, as Odoo's ``_get_fiscal_position`` decides it; once per ``batch`` of
        several orders for the buyers alike in all it reads: VAT numbers, positions set on the partners, the
        delivery's country, state, VIES validity and (when a position of the company has a zip range) zip."""
        FiscalPosition = self.env["account.fiscal.position"].with_company(company)
        if not batch or batch.size < 2:  # nothing to share (a lone webhook's order): no zip range lookup
            return FiscalPosition._get_fiscal_position(invoice, delivery)
        if company.id not in batch.zip_ranges:
            batch.zip_ranges[company.id] = bool(FiscalPosition.search_count([
                *FiscalPosition._check_company_domain(company), ("auto_apply", "=", True),
                ("zip_from", "!=", False)], limit=1))
        invoice, delivery = invoice.with_company(company), delivery.with_company(company)
        key = (company.id, invoice.vat, invoice.country_id.id, invoice.property_account_position_id.id, delivery.vat,
               delivery.country_id.id, delivery.state_id.id, delivery.property_account_position_id.id,
               batch.zip_ranges[company.id] and delivery.zip, "vies_valid" in delivery._fields and delivery.vies_valid)
        if key not in batch.fiscal_positions:
            batch.fiscal_positions[key] = FiscalPosition._get_fiscal_position(invoice, delivery)
        return batch.fiscal_positions[key]

    @api.model
    def _vies_unconfirmed(self, company, delivery, batch=None):
        """The buyer (``delivery``, the partner Odoo's fiscal position looks at) whose VAT number VIES has not
        confirmed, when the company has Odoo check VAT numbers with VIES (``base_vat``); else no partner.

        Odoo asks VIES once, when a VAT number is set, and keeps the answer: a buyer created while VIES did
        not answer, or before the check was switched on, stays unconfirmed and would lose reverse charge for
        good.  An existing buyer is therefore asked about again (Odoo's own check) before its orders while
        unconfirmed, once per ``batch`` (VIES may take seconds to time out); one created by this job was asked just
        now."""
        if "vat_check_vies" not in company._fields or not company.vat_check_vies:
            return delivery.browse()
        delivery = delivery.with_company(company)
        if not delivery.perform_vies_validation or delivery.vies_valid or \
                "EU" not in delivery.country_id.country_group_codes:  # outside the EU, VIES changes nothing
            return delivery.browse()
        asked = batch.vies_asked if batch else set()
        partners = (delivery.commercial_partner_id | delivery).filtered(
            lambda partner: partner.create_date != self.env.cr.now() and partner.id not in asked)
        asked.update(partners.ids)
        for partner in partners:  # the company first: its contacts of the same VAT number take its answer
            self.env.add_to_compute(partner._fields["vies_valid"], partner)
            partner.vies_valid  # noqa: B018 - computed now: Odoo asks VIES
        return delivery.browse() if delivery.vies_valid else delivery

    @api.model
    def _check_reverse_charge_confirmed(self, order, company, buyer, fiscal_position, country):
        """Refuse an order the shop charged no VAT on, as for a business buyer under reverse charge, while
        VIES has not confirmed the buyer's VAT number and Odoo's fiscal position therefore charges VAT: booked
        as it is, a reverse-charge sale would be an untaxed sale in the buyer's country, missing from the EU
        sales list.  Refused, the order waits for VIES (Retry asks again) or for a person's decision."""
        charged = [line.tax_rate for line in order.lines if line.tax_rate is not None]
        odoo_rate = self._rate_of(fiscal_position.map_tax(company.account_sale_tax_id))
        if any(charged) or not odoo_rate:
            return
        raise UserError(_(
            "Order %(order)s: the shop charged no VAT, as for a business buyer under reverse charge, but VIES has not "
            "confirmed the VAT number %(vat)s of %(partner)s, so Odoo charges %(rate)s%% VAT for %(country)s (fiscal "
            "position '%(position)s'). VIES may not have answered: Retry asks it again. If you have checked the "
            "number yourself, tick 'Intra-Community Valid' on %(partner)s, then retry.",
            order=order.number, vat=buyer.vat, partner=buyer.commercial_partner_id.display_name, rate=odoo_rate,
            country=country.name or order.country_code or "?", position=fiscal_position.display_name))

    @api.model
    @tools.ormcache("name", cache="stable")
    def _currency_id(self, name):
        """Id of the currency of an ISO code, active or not, looked up once per server (a currency
        created, renamed, (de)activated or deleted clears that cache)."""
        return self.env["res.currency"].sudo().with_context(active_test=False).search([("name", "=", name)], limit=1).id

    @api.model
    def _country(self, order):
        """The Odoo country of the order's destination; an unknown code is refused (its VAT cannot be decided)."""
        code = (order.country_code or "").upper()
        country = self.env["res.country"]._shop_sync_by_code(code)
        if code and not country:
            raise UserError(_("Order %(order)s is delivered to country code '%(code)s', which Odoo does not know: "
                              "its VAT cannot be decided.", order=order.number, code=order.country_code))
        return country

    @api.model
    def _check_vat_number(self, order, country):
        """A company buyer's VAT number must pass Odoo's format check (``base_vat`` when installed):
        an invalid one must not get reverse charge, nor be written on a partner."""
        vat = "".join((order.customer.vat or "").split())
        if not vat:
            return
        buyer_country = self._country_of(order.billing.country_code) or country
        try:
            self.env["res.partner"]._run_vat_checks(buyer_country, vat, partner_name=order.customer.company
                                                    or order.customer.name)
        except ValidationError as exc:
            raise UserError(_("Order %(order)s: the buyer's VAT number %(vat)s is not valid for %(country)s, so the "
                              "order cannot be booked as reverse charge. Correct it in the shop, then retry.\n%(why)s",
                              order=order.number, vat=vat, country=buyer_country.name or "?", why=exc)) from exc

    @api.model
    def _country_of(self, code):
        return self.env["res.country"]._shop_sync_by_code(code) if code else None

    @api.model
    def _accounting_date(self, backend, order):
        """The date of the order's accounting document: the order date, or the payment date when the backend
        says so and the shop sent one, as a date in the company's time zone (``res.company._shop_sync_tz``) - the
        VAT period is the company's, not the server's, the importing user's or the buyer's."""
        moment = order.paid_at if backend.accounting_date_source == "paid" and order.paid_at else order.created_at
        return backend.company_id._shop_sync_day(moment)

    @api.model
    def _pricelist(self, company, currency, batch=None):
        """The pricelist of the order's currency (looked up once per ``batch``; one created here is
        not remembered: the order's savepoint may still undo it)."""
        key = (company.id, currency.id)
        if batch and key in batch.pricelists:
            return batch.pricelists[key]
        Pricelist = self.env["product.pricelist"]
        pricelist = Pricelist.search([("currency_id", "=", currency.id), ("company_id", "in", (False, company.id))],
                                     order="company_id, sequence, id", limit=1)
        if pricelist and batch:
            batch.pricelists[key] = pricelist
        return pricelist or Pricelist.create({"name": _("Shop orders (%s)", currency.name),
                                              "currency_id": currency.id, "company_id": company.id})

    @api.model
    def _lines_values(self, backend, order, country, fiscal_position, currency, batch=None):
        """Values of the order's lines.  Products (by SKU) and taxes (by rate and product taxes) are looked up
        once per order, not once per line; whether analytic models apply, once per ``batch``."""
        products = self._products_by_sku(backend, {line.sku for line in order.lines if line.kind == "product"})
        line_products = [self._line_product(backend, order, line, products) for line in order.lines]
        # every line's product, template and taxes read at once (shipping, fee and discount products too)
        together = self.env["product.product"].concat(*line_products)
        without_analytic = self._without_analytic_models(backend.company_id, batch)
        taxes_by_key = {}
        result = []
        for line, product in zip(order.lines, line_products):
            product = product.with_prefetch(together._ids)
            sign = -1 if line.kind == "discount" else 1
            values = {
                "product_id": product.id,
                "name": line.name or product.display_name,
                "product_uom_qty": float(line.quantity),
                "price_unit": sign * float(line.unit_price),
                "shop_line_external_id": line.external_id or False,
                "shop_line_kind": line.kind,
            }
            if without_analytic:
                values["analytic_distribution"] = False
            key = (line.tax_rate, tuple(product.taxes_id.ids))
            if key not in taxes_by_key:
                taxes_by_key[key] = self._taxes(backend, order, line, product, country, fiscal_position)
            if taxes_by_key[key] is not None:
                values["tax_ids"] = [Command.set(taxes_by_key[key].ids)]
                if line.tax_amount is not None and len(taxes_by_key[key]) == 1:
                    values["extra_tax_data"] = self._shop_tax_data(backend, order, line, values, taxes_by_key[key],
                                                                   currency)
            result.append(values)
        return result

    @api.model
    def _without_analytic_models(self, company, batch=None):
        """Whether no analytic distribution model can apply to the company's order lines (looked up once per
        ``batch``): their distribution is then given empty, as Odoo's compute leaves it, instead of computed
        (two searches of the models per line)."""
        if batch and company.id in batch.analytic_models:
            return not batch.analytic_models[company.id]
        found = bool(self.env["account.analytic.distribution.model"].sudo().search_count(
            [("company_id", "in", (company.id, False))], limit=1))
        if batch:
            batch.analytic_models[company.id] = found
        return not found

    @api.model
    def _shop_tax_data(self, backend, order, line, values, tax, currency):
        """Odoo's manual tax amounts (``extra_tax_data``, kept on the invoice) giving a line the tax the shop
        charged on it, so the order's tax equals the shop's to the cent."""
        company = backend.company_id
        rate = self.env["res.currency"]._get_conversion_rate(company.currency_id, currency, company,
                                                             order.created_at.astimezone(UTC).date())
        amount = values["price_unit"] * values["product_uom_qty"]
        tax_amount = (-1 if line.kind == "discount" else 1) * float(line.tax_amount)
        net = currency.round(amount - tax_amount if tax.price_include else amount)
        net_company, tax_company = (company.currency_id.round(value / rate) for value in (net, tax_amount))
        return {
            "currency_id": currency.id, "price_unit": values["price_unit"], "discount": 0.0,
            "quantity": values["product_uom_qty"], "rate": rate,
            "manual_total_excluded_currency": net, "manual_total_excluded": net_company,
            "manual_tax_amounts": {str(tax.id): {"tax_amount_currency": tax_amount, "tax_amount": tax_company,
                                                 "base_amount_currency": net, "base_amount": net_company}},
        }

    @api.model
    def _book_shop_tax_total(self, backend, order, sale):
        """A shop that rounds its tax once per order (or per rate) differs from Odoo's rounding by a few cents:
        the largest taxed line takes the difference (Odoo's manual tax amounts), so the order's tax is the
        shop's. A bigger difference is not rounding: the VAT check after it refuses the order."""
        currency = sale.currency_id
        if order.tax_total is None:
            return
        difference = currency.round(float(order.tax_total) - sale.amount_tax)
        lines = sale.order_line.filtered(lambda line: len(line.tax_ids) == 1 and line.tax_ids.amount)
        if not lines or currency.is_zero(difference) or abs(difference) > len(sale.order_line) * currency.rounding:
            return
        line = max(lines, key=lambda line: abs(line.price_total))
        tax = line.tax_ids
        values = {"price_unit": line.price_unit, "product_uom_qty": line.product_uom_qty}
        shop_line = records.OrderLine(kind="product", name=line.name, quantity=Decimal(str(line.product_uom_qty)),
                                      unit_price=Decimal(0), tax_amount=Decimal(str(line.price_tax + difference)))
        line.extra_tax_data = self._shop_tax_data(backend, order, shop_line, values, tax, currency)
        line._compute_amount()
        sale._compute_amounts()

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
    def _line_product(self, backend, order, line, products):
        if line.kind == "shipping":
            mapping = self.env["shop.sync.mapping"]._lookup(backend, "shipping_method", code=line.code or line.name)
            product = mapping.product_id or backend.shipping_product_id
        elif line.kind == "fee":
            product = backend.fee_product_id
        elif line.kind == "discount":
            product = backend.discount_product_id
        else:
            product = self._product_for_sku(backend, order, line, products)
        if not product:
            raise UserError(_("No product is configured for %s lines on this backend.", line.kind))
        return product

    @api.model
    def _product_for_sku(self, backend, order, line, products):
        """The product of a line's SKU among ``products`` (see ``_products_by_sku``), created when
        missing and the backend allows it (and then added to ``products``), priced from ``order``'s line."""
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
        products[line.sku] = self.env["shop.sync.product.importer"]._create_from_order_line(
            backend, line, order.prices_include_tax)
        return products[line.sku]

    @api.model
    def _taxes(self, backend, order, line, product, country, fiscal_position):
        """Odoo taxes of a line, of exactly the rate the shop charged on it; None: no tax information.

        The backend's tax mapping for (country, rate) wins.  Else the product's sales tax (the company's
        default one when it has none) goes through the buyer's fiscal position - Odoo's destination rules:
        domestic, OSS per EU country for private buyers, reverse charge for EU companies with a VAT number,
        export outside the EU - and must carry the shop's rate; when it does not (e.g. a reduced rate),
        a tax of the position with that rate is used.  No such tax is an error naming the order, the
        country, the position and the rates.  A line the shop did not tax stays untaxed.  Without a
        fiscal position (a company without localisation) a sales tax of that rate is used."""
        if line.tax_rate is None:
            return None
        mapping = self.env["shop.sync.mapping"]._lookup(backend, "tax", country=country, rate=line.tax_rate)
        if mapping.tax_id:
            return mapping.tax_id
        company = backend.company_id
        Tax = self.env["account.tax"]
        domestic = product.taxes_id.filtered(lambda tax: tax.company_id == company) or company.account_sale_tax_id
        taxes = fiscal_position.map_tax(domestic)
        if self._rate_of(taxes) != line.tax_rate and line.tax_rate and fiscal_position:
            # a product without a tax of this category: the position's own tax of the shop's rate
            taxes = fiscal_position.tax_ids.filtered(
                lambda tax: tax.type_tax_use == "sale" and tax.amount_type == "percent"
                and self._rate_of(tax) == line.tax_rate).sorted(
                lambda tax: (tax.price_include != order.prices_include_tax, tax.sequence, tax.id))[:1] or taxes
        if self._rate_of(taxes) == line.tax_rate:
            as_sent = self._price_included_as_sent(taxes, order)
            if as_sent is not None:
                return as_sent
            if fiscal_position:
                tax = next(tax for tax in taxes if tax.amount and tax.price_include != order.prices_include_tax)
                raise UserError(_(
                    "Order %(order)s: the shop sends prices %(shop)s, but Odoo's tax '%(tax)s' (fiscal position "
                    "'%(position)s') is %(odoo)s and has no twin with the same accounts that is %(shop)s. Create "
                    "one (a copy of it with 'Included in price' changed), then retry.",
                    order=order.number, tax=tax.display_name, position=fiscal_position.display_name,
                    shop=_("including tax") if order.prices_include_tax else _("excluding tax"),
                    odoo=_("including tax") if tax.price_include else _("excluding tax")))
        elif line.tax_rate and fiscal_position:
            raise UserError(_(
                "Order %(order)s: the shop charged %(rate)s%% VAT for %(country)s but Odoo's fiscal position "
                "'%(position)s' maps the product's tax to %(odoo)s%%. Correct the rate in the shop, the fiscal "
                "position in Odoo, or add a tax mapping on the backend.",
                order=order.number, rate=line.tax_rate, country=country.name or order.country_code or "?",
                position=fiscal_position.display_name, odoo=self._rate_of(taxes)))
        if not line.tax_rate:
            return Tax
        tax = Tax.search([
            ("type_tax_use", "=", "sale"), ("amount_type", "=", "percent"), ("amount", "=", float(line.tax_rate)),
            ("price_include", "=", order.prices_include_tax), ("company_id", "=", company.id),
        ], order="sequence, id", limit=1)
        if not tax:
            raise UserError(_(
                "No sales tax of %(rate)s%% (%(incl)s) for %(country)s: add a tax mapping on the backend.",
                rate=line.tax_rate, country=country.name or order.country_code or "?",
                incl=_("included in price") if order.prices_include_tax else _("excluded from price")))
        return tax

    @staticmethod
    def _rate_of(taxes):
        """Total percent rate of percent taxes, comparable with the shop's ``Decimal`` rate."""
        return Decimal(str(round(sum(taxes.filtered(lambda tax: tax.amount_type == "percent").mapped("amount")), 4))
                       ).normalize()

    @api.model
    def _price_included_as_sent(self, taxes, order):
        """``taxes`` with the shop's price-includes-tax setting, or None when one has no twin: a tax that
        charges VAT but includes it otherwise is replaced by its twin - same rate, tax group and distribution
        (accounts, tax grids), the other 'Included in price' - so Odoo reads the shop's prices as meant."""
        result = self.env["account.tax"]
        for tax in taxes:
            if not tax.amount or tax.price_include == order.prices_include_tax:
                result |= tax
                continue
            twin = self.env["account.tax"].search([
                ("company_id", "=", tax.company_id.id), ("type_tax_use", "=", tax.type_tax_use),
                ("amount_type", "=", tax.amount_type), ("amount", "=", tax.amount),
                ("tax_group_id", "=", tax.tax_group_id.id), ("country_id", "=", tax.country_id.id),
                ("price_include", "=", order.prices_include_tax), ("id", "!=", tax.id),
            ], order="sequence, id").filtered(lambda candidate: _distribution(candidate) == _distribution(tax))[:1]
            if not twin:
                return None
            result |= twin
        return result


class OrderBatch:
    """What the orders of one batch of inbox events share: their bindings, looked up (and their
    ids locked) together before the first is imported, the pricelists found, and its new orders
    marked to confirm (the confirmation job queued for them once)."""

    def __init__(self, backend_id, bindings, contacts, size):
        self.backend_id = backend_id
        self.size = size  # how many orders it has
        self.bindings = bindings  # {external id: binding, empty when the order is new}
        self.contacts = contacts  # {buyer's e-mail: contact, empty when none}, see _contacts_by_email
        self.pricelists = {}  # {(company id, currency id): pricelist}
        self.fiscal_positions = {}  # {what _fiscal_position reads of the buyer: fiscal position}
        self.zip_ranges = {}  # {company id: whether a fiscal position of the company applies to a zip range}
        self.analytic_models = {}  # {company id: whether an analytic distribution model may apply to its lines}
        self.vies_asked = set()  # ids of the known buyers VIES was asked about again (_vies_unconfirmed)
        self.to_confirm = []  # its new sale orders marked to confirm


def _distribution(tax):
    """What a tax books: its repartition lines' kind, share, account and tax grids."""
    return sorted((line.document_type, line.repartition_type, line.factor_percent, line.account_id.id,
                   tuple(sorted(line.tag_ids.ids))) for line in tax.repartition_line_ids)


class ShopSyncBackend(models.Model):
    _inherit = "shop.sync.backend"

    def _confirm_orders(self):
        """Job of flow ``order_confirm``: confirm this backend's orders marked to confirm (``_confirm_waiting``)."""
        self.ensure_one()
        self.env["shop.sync.order.importer"]._confirm_waiting(self)
        return True

    def _shop_sync_queue_confirmation(self, sale_id):
        """Have this backend's orders marked to confirm (order ``sale_id`` among them) confirmed by a job soon.

        A confirmation job that has not started yet takes them: its row is locked until this transaction
        commits, and the runner's update that starts it waits for that lock, so it reads them once they
        are committed.  Otherwise a new job is queued, its identity key ending with ``sale_id``: with the
        flow's plain key queue_job would take a job the runner has handed to a worker already for one
        waiting, and that job may read the orders before this transaction commits."""
        self.ensure_one()
        if not self._shop_sync_lock_pending_job("order_confirm"):
            self._shop_sync_enqueue("order_confirm", key_suffix=str(sale_id))
