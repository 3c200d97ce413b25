"""CCV REST v1 payloads <-> canonical records: pure functions, no I/O (see the adapter's module
docstring for the mapping choices)."""

from datetime import UTC, datetime
from decimal import Decimal

from odoo.addons.shop_sync_base.services import records


def _decimal(value):
    return Decimal(str(value or 0))


def _timestamp(text):
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(value):
    """A JSON number from a Decimal: an int when it is whole."""
    return int(value) if value == value.to_integral_value() else float(value)


def _address(data, email):
    data = data or {}
    number = f"{data.get('housenumber') or ''}{data.get('housenumber_suffix') or ''}"
    street = data.get("address_line_1") or " ".join(part for part in (data.get("street"), number) if part)
    name = data.get("full_name") or " ".join(
        part for part in (data.get("first_name"), data.get("last_name")) if part)
    return records.Address(
        name=name or "", company=data.get("company") or "", street=street or "",
        street2=data.get("address_line_2") or "", zip=data.get("zipcode") or "", city=data.get("city") or "",
        country_code=(data.get("country_code") or "").upper(),
        phone=data.get("telephone") or data.get("mobile") or "", email=email)

def _customer(customer, billing):
    """A company when CCV says b2b or the billing address names a company; else a person."""
    data = customer.get("billingaddress") or {}
    company = billing.company
    if customer.get("customertype") == "b2b" and not company:
        company = billing.name or customer.get("email") or ""
    return records.Customer(
        email=(customer.get("email") or "").strip(), first_name=data.get("first_name") or "",
        last_name=data.get("last_name") or "", company=company, vat=customer.get("btw") or "",
        phone=billing.phone)

def _row_line(row):
    options = ", ".join(f"{part.get('option_name')}: {part.get('value_name')}"
                        for part in row.get("attributes") or ())
    name = row.get("product_name") or row.get("sub_sku_number") or row.get("product_number") or ""
    return records.OrderLine(
        kind="product", name=f"{name} ({options})" if options else name,
        quantity=_decimal(row.get("count")),
        unit_price=_decimal(row.get("price")) - _decimal(row.get("discount")),
        tax_rate=None if row.get("tax") is None else _decimal(row["tax"]),
        sku=row.get("sub_sku_number") or row.get("product_number") or "",
        external_id=str(row.get("id") or ""))

def _cost_lines(order, rows_gross):
    """Shipping, payment costs, extra costs and discounts: amounts at
    ``shipping_tax_percentage``, converted to the rows' tax basis when CCV reports them on
    another one (``shipping_taxes_included``)."""
    rate = _decimal(order.get("shipping_tax_percentage"))
    costs_gross = order.get("shipping_taxes_included", True)

    def amount(value):
        value = _decimal(value)
        if costs_gross and not rows_gross:
            value = value * 100 / (100 + rate)
        elif rows_gross and not costs_gross:
            value = value * (100 + rate) / 100
        return value

    candidates = (
        ("shipping", order.get("total_shipping"), order.get("deliver_method") or "shipping", "Shipping"),
        ("fee", order.get("paymethod_costs"), order.get("paymethod") or "paymethod_costs",
         f"Payment costs ({order['paymethod_label']})" if order.get("paymethod_label") else "Payment costs"),
        ("fee", order.get("extra_costs"), "extra_costs", order.get("extra_costs_description") or "Extra costs"),
        ("discount", order.get("total_discounts"), "total_discounts", "Discount"),
    )
    return [records.OrderLine(kind=kind, name=name, quantity=Decimal(1), unit_price=amount(value),
                              tax_rate=rate, code=code)
            for kind, value, code, name in candidates if _decimal(value)]



def _credit_invoice_refunds(invoices):
    """CCV credit invoices (each with its rows under ``invoicerows.items``) as refunds: a row refunds
    its order row (``orderrow`` link) by ``count`` for ``total_price``, the invoice's
    ``total_shipping`` the shipping; what they leave of ``total_price`` was refunded without lines.
    CCV states a row's VAT rate, not its tax: the refund's tax is the invoice's ``total_tax``.
    Amounts are taken without their sign (CCV does not document a credit invoice's)."""
    result = []
    for invoice in invoices:
        lines = [records.RefundLine(
            kind="product", quantity=abs(_decimal(row.get("count"))), amount=abs(_decimal(row.get("total_price"))),
            line_external_id=((row.get("orderrow") or {}).get("href") or "").rstrip("/").rpartition("/")[2],
            sku=row.get("sub_sku_number") or row.get("product_number") or "", name=row.get("product_name") or "")
            for row in (invoice.get("invoicerows") or {}).get("items") or []]
        if _decimal(invoice.get("total_shipping")):
            lines.append(records.RefundLine(kind="shipping", amount=abs(_decimal(invoice["total_shipping"])),
                                            name="Shipping"))
        result.append(records.Refund(
            external_id=f"invoices/{invoice['id']}", created_at=_timestamp(invoice.get("create_date")),
            amount=abs(_decimal(invoice.get("total_price"))), lines=lines,
            tax=abs(_decimal(invoice["total_tax"])) if invoice.get("total_tax") is not None else None,
            reason=f"Credit invoice {invoice.get('invoicenumber_full') or invoice.get('invoicenumber') or ''}".strip()))
    return result
