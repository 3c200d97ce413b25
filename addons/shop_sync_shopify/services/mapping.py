"""Shopify Admin GraphQL payloads <-> canonical records: pure functions, no I/O (the adapter
reads and writes; see its module docstring for the mapping choices)."""

import re
from datetime import UTC, datetime
from decimal import Decimal

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.http import RemoteError

from .constants import CENT, CREATED_TAG, DEFAULT_OPTION, KILOGRAMS_PER, RESTOCKING


def _topic_name(topic):
    """``ORDERS_CREATE`` -> ``orders/create``, as the X-Shopify-Topic header names it."""
    return topic.lower().replace("_", "/", 1)


def _order_lines(node):
    """Product, fee and shipping lines of an order node, and the order-level discount as discount lines."""
    lines = []
    line_level = Decimal(0)  # discounts already inside discountedUnitPriceSet
    allocated = {}  # VAT rate -> order-level discount allocated to lines of that rate
    allocated_tax = {}  # VAT rate -> the tax that discount took off those lines (taxed per line)
    included = bool(node["taxesIncluded"])
    exempt = bool(node.get("taxExempt"))
    for item in node["lineItems"]["nodes"]:
        quantity = Decimal(item["quantity"])
        unit_price = _money(item["discountedUnitPriceSet"])
        in_price = (_money(item["originalUnitPriceSet"]) - unit_price) * quantity
        rate = _rate(item["taxLines"]) if item.get("taxable", True) and not exempt else Decimal(0)
        line_level += in_price
        share = max(_allocated(item) - in_price, Decimal(0))
        allocated[rate] = allocated.get(rate, Decimal(0)) + share
        allocated_tax[rate] = allocated_tax.get(rate, Decimal(0)) + _reduced_tax(
            unit_price * quantity, share, rate, included)
        lines.append(records.OrderLine(
            kind="product" if item.get("variant") or item.get("sku") else "fee", name=item["name"],
            quantity=quantity, unit_price=unit_price, tax_rate=rate, sku=item.get("sku") or "",
            external_id=item["id"]))
    for item in node["shippingLines"]["nodes"]:
        rate = Decimal(0) if exempt else _rate(item["taxLines"])
        allocated[rate] = allocated.get(rate, Decimal(0)) + _allocated(item)
        allocated_tax[rate] = allocated_tax.get(rate, Decimal(0)) + _reduced_tax(
            _money(item["originalPriceSet"]), _allocated(item), rate, included)
        lines.append(records.OrderLine(
            kind="shipping", name=item["title"] or item["code"] or "Shipping", quantity=Decimal(1),
            unit_price=_money(item["originalPriceSet"]), tax_rate=rate, code=item["code"] or item["title"] or "",
            external_id=item["id"]))
    discount = _money(node["totalDiscountsSet"]) - line_level
    if discount > 0:
        label = " ".join(["Discount", *(node.get("discountCodes") or [])])
        lines += _discount_lines(discount, allocated, lines, label, allocated_tax)
    return lines


def _refunds(node):
    """Refunds as records: a line's gross is its subtotal (plus its tax when prices exclude tax), its
    tax Shopify's (``RefundLineItem.totalTaxSet``, ``RefundShippingLine.taxAmountSet``); what the lines
    and shipping lines leave of ``totalRefundedSet`` was refunded without lines."""
    taxed = not node["taxesIncluded"]
    result = []
    for refund in node.get("refunds") or []:
        lines = [records.RefundLine(
            kind="product", quantity=Decimal(item["quantity"]), name=(item.get("lineItem") or {}).get("name") or "",
            amount=_money(item["subtotalSet"]) + (_money(item["totalTaxSet"]) if taxed else 0),
            tax=_money(item["totalTaxSet"]), line_external_id=(item.get("lineItem") or {}).get("id") or "",
            sku=(item.get("lineItem") or {}).get("sku") or "") for item in refund["refundLineItems"]["nodes"]]
        lines += [records.RefundLine(
            kind="shipping", name=(item.get("shippingLine") or {}).get("title") or "",
            amount=_money(item["subtotalAmountSet"]) + (_money(item["taxAmountSet"]) if taxed else 0),
            tax=_money(item["taxAmountSet"]), line_external_id=(item.get("shippingLine") or {}).get("id") or "")
            for item in refund["refundShippingLines"]["nodes"]]
        result.append(records.Refund(
            external_id=refund["id"], created_at=_datetime(refund["createdAt"]),
            amount=_money(refund["totalRefundedSet"]), lines=lines, reason=refund.get("note") or "",
            restock=any(item["restockType"] in RESTOCKING for item in refund["refundLineItems"]["nodes"])))
    return result


def _fulfillment_order_items(fulfilment, open_orders):
    """``lineItemsByFulfillmentOrder`` shipping exactly the fulfilment's quantities from the open
    fulfillment orders' remaining ones; RemoteError when Shopify has less left to ship."""
    groups = {}
    for line in fulfilment.lines:
        needed = line.quantity
        if needed != needed.to_integral_value():
            raise RemoteError(f"Shopify ships whole units: {line.sku or line.external_id} has {needed}.")
        for node in open_orders:
            for item in node["lineItems"]["nodes"]:
                same = (item["lineItem"]["id"] == line.external_id if line.external_id
                        else (item["lineItem"]["sku"] or "") == line.sku)
                take = min(needed, Decimal(item["remainingQuantity"])) if same else 0
                if take > 0:
                    groups.setdefault(node["id"], []).append({"id": item["id"], "quantity": int(take)})
                    needed -= take
        if needed > 0:
            raise RemoteError(f"Shopify has {line.quantity - needed} of {line.sku or line.external_id} left to fulfil, "
                              f"the delivery ships {line.quantity}.")
    return [{"fulfillmentOrderId": node_id, "fulfillmentOrderLineItems": items} for node_id, items in groups.items()]


def _is_graphql(payload):
    return str(payload.get("id", "")).startswith("gid://")


def _gid(payload, type_name):
    """The gid of a GraphQL node or of a REST payload (``admin_graphql_api_id`` or numeric id)."""
    if _is_graphql(payload):
        return payload["id"]
    if payload.get("admin_graphql_api_id"):
        return payload["admin_graphql_api_id"]
    return f"gid://shopify/{type_name}/{payload['id']}" if payload.get("id") else None


def _gid_type(value):
    match = re.match(r"gid://shopify/(\w+)/", value or "")
    return match.group(1) if match else None


def _product_ref(payload):
    """The SKU of a simple product, else its title (GraphQL node or REST payload)."""
    variants = payload.get("variants") or []
    if isinstance(variants, dict):
        variants = variants.get("nodes") or []
    if len(variants) == 1 and variants[0].get("sku"):
        return variants[0]["sku"]
    return payload.get("title")


def _header(headers, name):
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _datetime(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(bag):
    return Decimal(str(bag["presentmentMoney"]["amount"]))


def _allocated(item):
    return sum((_money(allocation["allocatedAmountSet"]) for allocation in item.get("discountAllocations") or []),
               Decimal(0))


def _rate(tax_lines):
    """The VAT rate in percent of a line; no tax line means no VAT was charged (0).  A line that is
    not ``taxable`` (or an order that is ``taxExempt``) may still list its rate with a 0.00 amount:
    the callers give it 0 %, since no VAT was charged on it."""
    return sum((Decimal(str(line["ratePercentage"])) for line in tax_lines or []), Decimal(0)).normalize()


def _reduced_tax(amount, reduction, rate, included):
    """The tax ``reduction`` takes off a line of ``amount``: Shopify taxes each line after its discounts, rounded
    per line, so the discount's tax is the difference of two rounded line taxes (not the tax of the discount)."""
    def tax(value):
        return (value * rate / (100 + rate) if included else value * rate / 100).quantize(CENT)
    return tax(amount) - tax(amount - reduction)


def _discount_lines(amount, allocated, lines, label="Discount", allocated_tax=None):
    """Discount lines for ``amount``, one per VAT rate in proportion to the allocations; a line that takes
    exactly its rate's allocation carries the tax that allocation took off (``allocated_tax``)."""
    weights = {rate: value for rate, value in allocated.items() if value > 0}
    if not weights:  # no allocation to go by: the rate of the largest line
        largest = max((line for line in lines if line.kind != "shipping"), default=None,
                      key=lambda line: line.quantity * line.unit_price)
        weights = {largest.tax_rate if largest else Decimal(0): Decimal(1)}
    total = sum(weights.values())
    shares, rest = {}, amount
    for index, (rate, weight) in enumerate(sorted(weights.items())):
        share = rest if index == len(weights) - 1 else (amount * weight / total).quantize(CENT)
        shares[rate], rest = share, rest - share
    return [records.OrderLine(kind="discount", name=label if len(shares) == 1 else f"{label} ({rate}% VAT)",
                              quantity=Decimal(1), unit_price=share, tax_rate=rate,
                              tax_amount=(allocated_tax or {}).get(rate) if share == allocated.get(rate) else None)
            for rate, share in shares.items() if share]


def _address(node, email=None):
    node = node or {}
    return records.Address(
        name=node.get("name") or "", company=node.get("company") or "", street=node.get("address1") or "",
        street2=node.get("address2") or "", zip=node.get("zip") or "", city=node.get("city") or "",
        country_code=node.get("countryCodeV2") or "",
        phone=node.get("phone") or "", email=email or "")


def _first_name(address):
    return (address or {}).get("firstName") or ""


def _last_name(address):
    return (address or {}).get("lastName") or ""


def _variant(node):
    weight = ((node.get("inventoryItem") or {}).get("measurement") or {}).get("weight") or {}
    kilograms = None
    if weight.get("value"):
        kilograms = (Decimal(str(weight["value"])) * KILOGRAMS_PER.get(weight.get("unit"), Decimal(1))).normalize()
    options = {option["name"]: option["value"] for option in node.get("selectedOptions") or []
               if (option["name"], option["value"]) != DEFAULT_OPTION}
    return records.Variant(
        sku=node.get("sku") or "", options=options, price=Decimal(str(node["price"])) if node.get("price") else None,
        barcode=node.get("barcode") or "", weight=kilograms,
        external_id=(node.get("inventoryItem") or {}).get("id") or "")


def _options(variants):
    """``{option name: [values]}`` of the variants, in order (empty for a simple product)."""
    options = {}
    for variant in variants:
        for name, value in variant.options.items():
            values = options.setdefault(name, [])
            if str(value) not in values:
                values.append(str(value))
    return options


def _product_fields(product):
    """Product input fields carried by the record (empty ones are not allowed by the export rules)."""
    fields = {}
    if product.description:
        fields["descriptionHtml"] = records.description_html(product.description)
    if product.category:
        fields["productType"] = product.category
    if product.vendor is not None:
        fields["vendor"] = product.vendor
    if product.tags is not None:
        fields["tags"] = [tag for tag in product.tags if not _ours(tag)]
    return fields


def _category(node):
    """The Odoo category of a product node: the custom collection named like its product type (the
    one an export added it to), else its first custom collection, else its product type (see the
    adapter's docstring).  Smart collections are left out: their rules, not the merchant, fill them."""
    product_type = node.get("productType") or ""
    custom = [collection["title"] for collection in (node.get("collections") or {}).get("nodes") or []
              if not collection.get("ruleSet")]
    return next((title for title in custom if title.casefold() == product_type.casefold()),
                custom[0] if custom else product_type)


def _ours(tag):
    """Whether ``tag`` is the hub's creation tag (CREATED_TAG), kept out of Odoo's tags."""
    return tag.startswith(CREATED_TAG.split("{", 1)[0])


def _featured_image(node):
    """The product's featured media as ``records.Image`` when Shopify has it ready (a media still
    processing, or failed, has no image yet)."""
    media = node.get("featuredMedia") or {}
    url = ((media.get("preview") or {}).get("image") or {}).get("url")
    return records.Image(url=url, external_id=media["id"]) if url and media.get("status") == "READY" else None


def _media_input(image):
    """A ``CreateMediaInput`` of an exported image: Shopify downloads ``originalSource`` itself."""
    return {"originalSource": image.url, "mediaContentType": "IMAGE", "alt": image.filename}


def _inventory_items(variants):
    return {variant["sku"]: variant["inventoryItem"]["id"] for variant in variants or [] if variant.get("sku")}


def _search_value(value):
    """A value for Shopify's search syntax, quoted when it contains spaces or quotes."""
    return value if re.fullmatch(r"[\w.\-/]+", value) else '"' + value.replace('"', '\\"') + '"'



def _user_error(error):
    field = ".".join(str(part) for part in error.get("field") or [])
    code = f" [{error['code']}]" if error.get("code") else ""
    return f"{field}: {error['message']}{code}" if field else f"{error['message']}{code}"
