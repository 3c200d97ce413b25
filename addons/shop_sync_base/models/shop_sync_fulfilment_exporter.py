from collections import Counter
from decimal import Decimal

from odoo import _, api, models
from odoo.exceptions import UserError, ValidationError

from ..services.http import RemoteError, create_once
from ..services.records import Fulfilment, FulfilmentLine

FLOW = "fulfilment_export"


class ShopSyncFulfilmentExporter(models.AbstractModel):
    """One validated delivery of a shop order in, exactly one shipment in the shop out.

    Exactly once: a lock per delivery, the binding stock.picking <-> the shop's shipment id, and
    before creating, a look-up of the shipments the shop already records on the order (the same
    delivery reference, else the same tracking number, else the same lines); a create whose
    answer was lost or failed with 5xx is followed by the same look-up before anything is sent
    again.  The decisions (what is delivered, partial or not, which shipment is ours) live here;
    the adapters only translate.
    """

    _name = "shop.sync.fulfilment.exporter"
    _description = "Shop Sync Fulfilment Export"

    @api.model
    def _export(self, backend, picking):
        Log = self.env["shop.sync.log"]
        Binding = self.env["shop.sync.binding"]
        sale = picking.sale_id
        common = {"ref": f"{sale.shop_order_number or sale.name} ({picking.name})", "record": picking}
        Binding._lock(backend, picking._name, picking.id)
        binding = Binding._for_record(backend, picking)
        if binding:
            return Log._record(backend, FLOW, "skipped", reason=_("Already in the shop"),
                               external_id=binding.external_id,
                               message=_("Delivery %(picking)s was reported as %(remote)s.", picking=picking.name,
                                         remote=binding.external_id), **common)
        order_binding = Binding._for_record(backend, sale) if sale else Binding
        reason = self._not_ready(backend, picking, order_binding)
        if reason:
            picking.shop_fulfilment_state = "skipped"
            return Log._record(backend, FLOW, "skipped", reason=_("Not sent to the shop"), message=reason, **common)
        fulfilment = self._fulfilment(picking, order_binding.external_id)
        try:
            adapter = backend._get_adapter()
            if fulfilment.partial and not adapter.PARTIAL_FULFILMENT:
                picking.shop_fulfilment_state = "skipped"
                return Log._record(backend, FLOW, "skipped", reason=_("Partial delivery"), message=_(
                    "%(shop)s records no partial shipments: the order is reported as shipped with its last "
                    "delivery.", shop=backend.name), **common)
            found = self._find(backend, adapter, fulfilment)
            if found:
                return self._done(backend, picking, found.external_id, common, _(
                    "Found shipment %(remote)s of delivery %(picking)s, recorded by an earlier attempt or in the "
                    "shop; bound to the delivery.", remote=found.external_id, picking=picking.name))
            external_id = self._create(backend, adapter, fulfilment)
        except RemoteError as exc:
            return self._failed(backend, picking, exc, common, fulfilment)
        except (UserError, ValidationError) as exc:
            picking.shop_fulfilment_state = "error"
            return Log._record(backend, FLOW, "error", reason=_("Fulfilment not sent"), message=str(exc), **common)
        return self._done(backend, picking, external_id, common, self._summary(fulfilment, external_id),
                          request=fulfilment)

    @api.model
    def _not_ready(self, backend, picking, order_binding):
        """Why ``picking`` is not to be reported to ``backend``; None when it is."""
        if picking.state != "done":
            return _("Delivery %s is not done.", picking.name)
        if picking.picking_type_code != "outgoing" or picking.location_dest_id.usage != "customer":
            return _("%s is not a delivery to the customer.", picking.name)
        if picking.sale_id.shop_sync_backend_id != backend:
            return _("The order of delivery %(picking)s does not come from %(shop)s.", picking=picking.name,
                     shop=backend.name)
        if not order_binding:
            return _("The order of delivery %s is not bound to an order in the shop.", picking.name)
        if not self._delivered(picking):
            return _("Nothing of the order was delivered with %s.", picking.name)
        return None

    @api.model
    def _delivered(self, picking):
        """``{sale order line: quantity in the line's unit}`` of what ``picking`` delivered."""
        quantities = Counter()
        for move in picking.move_ids.filtered(lambda move: move.state == "done" and move.sale_line_id):
            line = move.sale_line_id
            quantities[line] += move.product_uom._compute_quantity(move.quantity, line.product_uom_id)
        return +quantities

    @api.model
    def _fulfilment(self, picking, order_external_id):
        """The canonical record of ``picking``; partial when the order still has goods to deliver."""
        carrier, number, url = picking._shop_sync_tracking()
        lines = [FulfilmentLine(quantity=Decimal(str(quantity)).normalize(), sku=line.product_id.default_code or "",
                                external_id=line.shop_line_external_id or "")
                 for line, quantity in self._delivered(picking).items()]
        stocked = picking.sale_id.order_line.filtered(lambda line: line.qty_delivered_method == "stock_move")
        partial = any(line.product_uom_id.compare(line.qty_delivered, line.product_uom_qty) < 0 for line in stocked)
        return Fulfilment(order_external_id=order_external_id, reference=picking.name, lines=lines, carrier=carrier,
                          tracking_number=number, tracking_url=url, partial=partial)

    @api.model
    def _find(self, backend, adapter, fulfilment):
        """The shipment the shop already records for this delivery, not bound to another one."""
        remote = [shipment for shipment in adapter.fulfilments(fulfilment.order_external_id)
                  if self._same_delivery(fulfilment, shipment)]
        if not remote:
            return None
        taken = set(self.env["shop.sync.binding"].search([
            ("backend_id", "=", backend.id), ("model", "=", "stock.picking"),
            ("external_id", "in", [shipment.external_id for shipment in remote])]).mapped("external_id"))
        return next((shipment for shipment in remote if shipment.external_id not in taken), None)

    @staticmethod
    def _same_delivery(ours, theirs):
        """Whether the shop's shipment ``theirs`` records our delivery ``ours``: by delivery
        reference where the shop keeps one, else by tracking number, else by the lines shipped
        (a shop recording shipping per order has no lines: the whole order)."""
        if theirs.reference:
            return theirs.reference == ours.reference
        if ours.tracking_number or theirs.tracking_number:
            return ours.tracking_number == theirs.tracking_number
        if not theirs.lines:
            return not ours.partial

        def shipped(lines):
            return sorted((line.external_id or line.sku, line.quantity) for line in lines)
        return shipped(ours.lines) == shipped(theirs.lines)

    @api.model
    def _create(self, backend, adapter, fulfilment):
        """Create the shipment; an uncertain answer (5xx, lost) is followed by the look-up, and
        the create is sent again only when the shop does not have it."""
        def find():
            found = self._find(backend, adapter, fulfilment)
            return found and found.external_id
        return create_once(lambda: adapter.create_fulfilment(fulfilment), find)

    @api.model
    def _done(self, backend, picking, external_id, common, message, request=None):
        """Bind the delivery to the shop's shipment, unless a concurrent job (committed after this
        transaction's snapshot) bound it meanwhile: that job reported it."""
        Log = self.env["shop.sync.log"]
        if not self.env["shop.sync.binding"]._bind_once(backend, picking, external_id, picking.name):
            return Log._record(backend, FLOW, "skipped", reason=_("Already in the shop"), external_id=external_id,
                               message=_("Reported meanwhile by a concurrent job."), **common)
        picking.write({"shop_fulfilment_state": "done", "shop_fulfilment_ref": external_id})
        return Log._record(backend, FLOW, "done", external_id=external_id, message=message, request=request,
                           **common)

    @api.model
    def _summary(self, fulfilment, external_id):
        tracking = ", ".join(part for part in (fulfilment.carrier, fulfilment.tracking_number) if part)
        return _("%(kind)s shipment %(remote)s recorded in the shop%(tracking)s.",
                 kind=_("Partial") if fulfilment.partial else _("Complete"), remote=external_id,
                 tracking=_(" with tracking %s", tracking) if tracking else "")

    @api.model
    def _failed(self, backend, picking, exc, common, fulfilment):
        """Log a refusal with the shop's message.  A transient failure inside a job with tries left
        is logged in its own transaction and the job retried later; otherwise Retry on the log
        (or the delivery's button) sends it again."""
        backend._shop_sync_retry_later(FLOW, exc, reason=_("Fulfilment not sent (will retry)"), message=str(exc),
                                       request=fulfilment, **common)
        picking.shop_fulfilment_state = "error"
        return self.env["shop.sync.log"]._record(backend, FLOW, "error", reason=_("Fulfilment not sent"),
                                                  message=str(exc), request=fulfilment, response=exc.body, **common)
