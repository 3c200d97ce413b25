"""WooCommerce wc/v3 payloads <-> canonical records: pure functions, no I/O (see the adapter's
module docstring for the mapping choices)."""

from datetime import UTC, datetime
from decimal import Decimal

from odoo.addons.shop_sync_base.services import records

from .constants import REFUNDED_ITEM_META, REFUNDS_KEY, RESTOCKED_META, VAT_META_KEYS, ZERO


def _amount(value):
    return Decimal(str(value)) if value not in (None, "") else ZERO


def _optional_amount(value):
    return Decimal(str(value)) if value not in (None, "") else None


def _gmt(payload, field):
    """An aware UTC datetime from WooCommerce's ``<field>_gmt`` (site-local ``<field>`` as fallback)."""
    value = payload.get(f"{field}_gmt") or payload.get(field)
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _wire_date(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _header(headers, name):
    name = name.lower()
    return next((value for key, value in (headers or {}).items() if key.lower() == name), None)


def _money(value):
    return f"{Decimal(value):.2f}"


def _image(image):
    """The canonical image of a WooCommerce image object (``{id, src, name, alt}``), None without one."""
    if not (image and image.get("src")):
        return None
    return records.Image(url=image["src"], external_id=str(image.get("id") or ""))


def _dimensions(dimensions):
    """(length, width, height) of WooCommerce's ``dimensions`` strings (the store's unit, cm by default);
    None when none is set."""
    sizes = [_optional_amount((dimensions or {}).get(key)) for key in ("length", "width", "height")]
    return tuple(size or Decimal(0) for size in sizes) if any(sizes) else None


def _backorders(product, variations):
    """Whether the product (a variable one: any of its variations) may be ordered out of stock."""
    return any(record.get("backorders", "no") != "no" for record in [product, *(variations or [])])


def variant_id(product_id, variation_id):
    return f"{product_id}/{variation_id}"


def _refunds(payload):
    restocked = {str(item.get("id")) for item in payload.get("line_items") or []
                 if any(meta.get("key") == RESTOCKED_META and _amount(meta.get("value")) > 0
                        for meta in item.get("meta_data") or [])}
    result = []
    for refund in payload.get(REFUNDS_KEY) or []:
        lines = []
        for key, kind in (("line_items", "product"), ("shipping_lines", "shipping"), ("fee_lines", "fee")):
            for item in refund.get(key) or []:
                meta = {entry.get("key"): entry.get("value") for entry in item.get("meta_data") or []}
                lines.append(records.RefundLine(
                    kind=kind, amount=-(_amount(item.get("total")) + _amount(item.get("total_tax"))),
                    tax=-_amount(item.get("total_tax")),
                    quantity=-_amount(item.get("quantity")), line_external_id=str(meta.get(REFUNDED_ITEM_META) or ""),
                    sku=item.get("sku") or "", name=item.get("name") or item.get("method_title") or ""))
        result.append(records.Refund(
            external_id=str(refund["id"]), created_at=_gmt(refund, "date_created"),
            amount=_amount(refund.get("amount")), lines=lines,
            restock=any(line.line_external_id in restocked for line in lines), reason=refund.get("reason") or ""))
    return result


def _amount_line(kind, name, item, rates, include_tax, code):
    total, total_tax = _amount(item.get("total")), _amount(item.get("total_tax"))
    return records.OrderLine(
        kind=kind, name=name, quantity=Decimal(1), unit_price=total + total_tax if include_tax else total,
        tax_rate=_rate(item, rates, total, total_tax), code=code, external_id=str(item.get("id") or ""))


def _rate(item, rates, net, tax):
    """Percent rate the shop charged on a line: the rates of the line's own ``taxes`` entries that carry
    an amount (summed when a line has several); derived from the line's amounts when the order's tax
    lines do not give a rate. A rate id listed with empty amounts charged nothing."""
    rate_ids = [str(tax_item["id"]) for tax_item in item.get("taxes") or []
                if _amount(tax_item.get("total")) or _amount(tax_item.get("subtotal"))]
    if not rate_ids:
        return ZERO
    if all(rate_id in rates for rate_id in rate_ids):
        return sum((rates[rate_id] for rate_id in rate_ids), ZERO)
    return (tax * 100 / net).quantize(Decimal("0.01")) if net else ZERO

def _vat(payload):
    meta = {entry.get("key"): entry.get("value") for entry in payload.get("meta_data") or []}
    return next((str(meta[key]).strip() for key in VAT_META_KEYS if meta.get(key)), "")

def _address(address):
    name = " ".join(part for part in (address.get("first_name"), address.get("last_name")) if part)
    return records.Address(
        name=name, company=address.get("company") or "", street=address.get("address_1") or "",
        street2=address.get("address_2") or "", zip=address.get("postcode") or "", city=address.get("city") or "",
        country_code=(address.get("country") or "").upper(),
        phone=address.get("phone") or "", email=address.get("email") or "")


def _product_fields(product, current=None):
    """Product-level fields of ``product`` (categories and tags need the shop's ids: the export adds
    them); ``current``: the shop's product, whose further (gallery) images stay behind a new main image."""
    fields = {}
    if product.name:
        fields["name"] = product.name
    if product.description:
        fields["description"] = records.description_html(product.description)
    if product.short_description is not None:
        fields["short_description"] = records.description_html(product.short_description)
    if product.image:
        # WooCommerce has no upload in its REST API: it downloads ("sideloads") ``src`` itself
        # (docs/_products.md, Product - Images properties); Odoo's image address carries a token
        gallery = [{"id": image["id"]} for image in ((current or {}).get("images") or [])[1:]]
        fields["images"] = [{"src": product.image.url, "name": product.image.filename}, *gallery]
    return fields

def _catalog_fields(variant, backorders=None):
    """Fields a simple product and a variation share; ``backorders``: the product's (None: left)."""
    fields = {} if backorders is None else {"backorders": "yes" if backorders else "no"}
    if variant.dimensions:
        fields["dimensions"] = dict(zip(("length", "width", "height"),
                                        (format(Decimal(size).normalize(), "f") for size in variant.dimensions)))
    if variant.price is not None:
        fields["regular_price"] = _money(variant.price)
    if variant.weight is not None:
        fields["weight"] = format(Decimal(variant.weight).normalize(), "f")
    if variant.barcode:
        fields["global_unique_id"] = variant.barcode
    return fields

def _attributes(variants):
    attributes = {}
    for variant in variants:
        for name, option in variant.options.items():
            values = attributes.setdefault(name, [])
            if str(option) not in values:
                values.append(str(option))
    return attributes


def _error_text(error):
    return f"{error.get('message') or 'error'} [{error.get('code')}]" if error.get("code") else (
        error.get("message") or "error")


def _delivery_note(fulfilment):
    """The customer note of a delivery; it ends with the delivery's reference, read back by
    ``DELIVERY_REFERENCE``."""
    shipped = "Part of your order has been shipped" if fulfilment.partial else "Your order has been shipped"
    text = f"{shipped} with {fulfilment.carrier}." if fulfilment.carrier else f"{shipped}."
    if fulfilment.tracking_number:
        text += f" Tracking number: {fulfilment.tracking_number}"
        text += f" ({fulfilment.tracking_url})." if fulfilment.tracking_url else "."
    return f"{text} (ref. {fulfilment.reference})"


def is_ping(headers, params):
    """WooCommerce's unsigned delivery test on webhook creation: a form post ``webhook_id=<id>``."""
    content_type = (_header(headers, "Content-Type") or "").lower()
    return (content_type.startswith("application/x-www-form-urlencoded") and str(params.get("webhook_id", "")).isdigit()
            and not _header(headers, "X-WC-Webhook-Signature"))
