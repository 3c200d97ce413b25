"""WooCommerce adapter: wc/v3 payloads <-> the hub's canonical records.

Amounts.  Orders say whether their prices included tax (``prices_include_tax``); lines are handed
over the same way, so the hub picks matching Odoo taxes and its total equals WooCommerce's to the
cent: product lines at their price before coupons (``(subtotal + subtotal_tax) / quantity``, or
``subtotal / quantity`` without tax), shipping and fee lines at ``total (+ total_tax)``, and the
coupon reduction (``subtotal - total`` of the lines, which is what ``coupon_lines`` add up to) as
one discount line per tax rate, with the coupon's tax as WooCommerce computed it (``subtotal_tax -
total_tax``: the difference of rounded line taxes).  The rate of a line comes from ``tax_lines[].rate_percent`` of
the rate ids in the line's own ``taxes`` that carry an amount: WooCommerce lists a rate id with
empty amounts on a line it did not tax (e.g. a custom shipping method without tax).  WooCommerce
rounds tax per line (unless "round tax at subtotal level" is set, which the REST API does not show).

Catalogue prices.  ``regular_price`` is the Odoo sales price one to one, without tax conversion:
WooCommerce's "prices entered with tax" and the Odoo product's sales tax (price included or not)
must say the same.  ``Product.price_includes_tax`` carries the backend's setting (default: yes).

Refunds.  An order lists its refunds as ``{id, reason, total}``; their lines come from
``/orders/<id>/refunds`` (embedded under ``shop_sync_refunds`` when the order is fetched, so the
inbox keeps them).  A refund line points at the order item in meta ``_refunded_item_id``; its gross
amount is ``-(total + total_tax)``.  The resource lists product lines only: a refund of shipping or
fees, or of an amount, is what ``amount`` has beyond its lines.  WooCommerce keeps no restock flag per
refund: a refund counts as restocked when an item it refunds has ``_restock_refunded_items``.
``cancelled`` is the state that cancels an imported order.

Variants.  A simple product is one variant with the product's SKU and id; a variation's id is
``"<product id>/<variation id>"`` so stock can be written through the parent's variations batch
endpoint without looking the parent up first.
"""

import hashlib
import math
import re
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.adapter import ShopAdapter, WebhookRejected
from odoo.addons.shop_sync_base.services.http import RemoteError, create_once
from odoo.addons.shop_sync_base.services.signatures import hmac_base64, same

from .client import WooClient

ORDER_STATES = [
    ("pending", "Pending payment"),
    ("processing", "Processing"),
    ("on-hold", "On hold"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
    ("refunded", "Refunded"),
    ("failed", "Failed"),
]
WEBHOOK_TOPICS = ("order.created", "order.updated", "product.created", "product.updated")
IMPORTED_TYPES = ("simple", "variable")
# meta entry on each product the hub creates (value: its first SKU), to find it again after an
# uncertain create when it has no SKU of its own (a variable product's SKUs are its variations')
CREATED_META = "shop_sync_created"
VARIATIONS_KEY = "shop_sync_variations"  # full variations embedded in a polled variable product
REFUNDS_KEY = "shop_sync_refunds"  # full refunds embedded in a fetched order
REFUNDED_ITEM_META, RESTOCKED_META = "_refunded_item_id", "_restock_refunded_items"
VAT_META_KEYS = ("_billing_vat_number", "_vat_number", "vat_number", "_billing_vat")
ZERO = Decimal(0)
TRACKING_META = "_wc_shipment_tracking_items"  # WooCommerce Shipment Tracking's order meta
DELIVERY_REFERENCE = re.compile(r"\(ref\. ([^()]+)\)$")


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


def variant_id(product_id, variation_id):
    return f"{product_id}/{variation_id}"


class WooCommerceAdapter(ShopAdapter):
    """One WooCommerce shop behind its REST API (wc/v3)."""

    WEBHOOK_TOPICS = WEBHOOK_TOPICS
    TAX_ROUNDING = "round_per_line"
    FIELD_MAPPING = (
        ("order.number", "Sale order: Customer reference, Shop order number", ""),
        ("order.status", "Sale order: Shop order state", "checked against the allowed states"),
        ("order.date_created_gmt", "Sale order: Order date", "the accounting date in the company's time zone"),
        ("order.date_paid_gmt", "Sale order: Accounting date", "when the backend dates by payment"),
        ("order.currency", "Sale order: Pricelist currency", "the currency must be active"),
        ("order.payment_method", "Sale order: Shop payment method", "payment method mapping"),
        ("order.customer_note", "Sale order: Terms and conditions / note", ""),
        ("order.billing.email", "Customer: E-mail", "customers are matched by e-mail"),
        ("order.billing.first_name + last_name", "Customer: Name", ""),
        ("order.billing.company", "Customer: parent company", "empty: a private person"),
        ("order.meta_data._billing_vat_number", "Company: Tax ID", ""),
        ("order.billing.address_1/2, postcode, city, country", "Customer: Address", ""),
        ("order.shipping.*", "Sale order: Delivery address", "a delivery contact when it differs"),
        ("line_items[].sku", "Order line: Product (Internal reference)", ""),
        ("line_items[].quantity", "Order line: Quantity", ""),
        ("line_items[].subtotal + subtotal_tax", "Order line: Unit price × quantity",
         "net subtotal when prices_include_tax is false"),
        ("line_items[].taxes (with an amount) → tax_lines[].rate_percent", "Order line: Taxes",
         "the buyer's fiscal position, checked against this rate; or the tax mapping"),
        ("shipping_lines[].method_id", "Shipping line: Product", "shipping method mapping, else the shipping product"),
        ("shipping_lines[].total + total_tax", "Shipping line: Unit price", ""),
        ("fee_lines[].name, total + total_tax", "Fee line: Description, Unit price", "gift wrapping, payment fees"),
        ("coupon_lines[].code, discount + discount_tax", "Discount line: Description, Unit price",
         "one line per tax rate"),
        ("order.total", "Sale order: Total", "checked to the cent"),
        ("product.name", "Product: Name", "field rules"),
        ("product.sku / variations[].sku", "Product variant: Internal reference", "products are matched by SKU"),
        ("product.regular_price / variations[].regular_price", "Product: Sales price", "no tax conversion"),
        ("product.description", "Product: Sales description", "HTML to text"),
        ("product.categories[0].name", "Product: Product category", "import only"),
        ("product.weight / variations[].weight", "Product variant: Weight", "kg"),
        ("product.global_unique_id", "Product variant: Barcode", "GTIN/EAN"),
        ("product.status (publish/draft)", "Product: Can be sold", "flow 3 creates draft or publish"),
        ("variations[].attributes[].name/option", "Product variant: Attribute values", ""),
        ("product/variation stock_quantity", "Product variant: Free quantity of the warehouse",
         "written with manage_stock true, rounded down"),
    )

    def __init__(self, backend_config, client=None):
        super().__init__(backend_config)
        self._client = client

    @property
    def client(self):
        if self._client is None:
            self._client = WooClient(self.config.get("url"), self.config.get("consumer_key"),
                                     self.config.get("consumer_secret"))
        return self._client

    # -- connection ---------------------------------------------------------------------------
    def test_connection(self):
        orders = self.client.count("orders")
        products = self.client.count("products")
        return f"WooCommerce {self.config.get('url')}: {orders} orders, {products} products"

    def order_states(self):
        return list(ORDER_STATES)

    def default_allowed_states(self):
        return ["processing", "completed"]

    def default_cancel_states(self):
        return ["cancelled"]

    def identify(self, object_name, payload):
        if object_name == self.ORDER:
            return str(payload["id"]), str(payload.get("number") or payload["id"])
        if payload.get("type") == "variation":
            return str(payload["parent_id"]), payload.get("sku") or payload.get("name") or ""
        return str(payload["id"]), payload.get("sku") or payload.get("name") or ""

    # -- orders -------------------------------------------------------------------------------
    def fetch_orders(self, updated_since):
        params = {"status": ",".join(code for code, _label in ORDER_STATES), "orderby": "id", "order": "asc"}
        if updated_since:
            params.update(modified_after=_wire_date(updated_since), dates_are_gmt="true")
        for order in self.client.paginate("orders", params):
            yield self._with_refunds(order)

    def fetch_order(self, external_id):
        return self._with_refunds(self.client.get(f"orders/{external_id}"))

    def _with_refunds(self, order):
        if order.get("refunds") and REFUNDS_KEY not in order:
            order = {**order, REFUNDS_KEY: list(self.client.paginate(f"orders/{order['id']}/refunds"))}
        return order

    def parse_order(self, payload):
        payload = self._with_refunds(payload)  # a webhook's order: read its refunds
        include_tax = bool(payload.get("prices_include_tax"))
        rates = {str(tax["rate_id"]): _amount(tax["rate_percent"]) for tax in payload.get("tax_lines") or []
                 if tax.get("rate_percent") not in (None, "")}
        lines, reductions, reduction_taxes = [], defaultdict(Decimal), defaultdict(Decimal)
        for item in payload.get("line_items") or []:
            quantity = _amount(item.get("quantity"))
            subtotal, subtotal_tax = _amount(item.get("subtotal")), _amount(item.get("subtotal_tax"))
            total, total_tax = _amount(item.get("total")), _amount(item.get("total_tax"))
            rate = self._rate(item, rates, subtotal, subtotal_tax)
            amount = subtotal + subtotal_tax if include_tax else subtotal
            lines.append(records.OrderLine(
                kind="product", name=item.get("name") or "", quantity=quantity,
                unit_price=amount / quantity if quantity else amount, tax_rate=rate,
                sku=item.get("sku") or "", external_id=str(item.get("id") or "")))
            reductions[rate] += amount - (total + total_tax if include_tax else total)
            reduction_taxes[rate] += subtotal_tax - total_tax
        for shipping in payload.get("shipping_lines") or []:
            lines.append(self._amount_line("shipping", shipping.get("method_title") or shipping.get("method_id") or "",
                                           shipping, rates, include_tax, code=shipping.get("method_id") or ""))
        for fee in payload.get("fee_lines") or []:
            lines.append(self._amount_line("fee", fee.get("name") or "", fee, rates, include_tax, code="fee"))
        codes = ", ".join(coupon.get("code") or "" for coupon in payload.get("coupon_lines") or [])
        for rate, amount in sorted(reductions.items()):
            if amount:
                lines.append(records.OrderLine(kind="discount", name=f"Coupon {codes}" if codes else "Discount",
                                               quantity=Decimal(1), unit_price=amount, tax_rate=rate,
                                               tax_amount=reduction_taxes[rate]))
        billing, shipping = payload.get("billing") or {}, payload.get("shipping") or {}
        customer_id = payload.get("customer_id") or 0
        return records.Order(
            external_id=str(payload["id"]), number=str(payload.get("number") or payload["id"]),
            state=payload.get("status") or "", created_at=_gmt(payload, "date_created"),
            updated_at=_gmt(payload, "date_modified"), currency=payload.get("currency") or "",
            total=_amount(payload.get("total")),
            customer=records.Customer(
                email=(billing.get("email") or "").strip(), first_name=billing.get("first_name") or "",
                last_name=billing.get("last_name") or "", company=(billing.get("company") or "").strip(),
                vat=self._vat(payload), phone=billing.get("phone") or "",
                external_id=str(customer_id) if customer_id else ""),
            billing=self._address(billing), shipping=self._address(shipping),
            lines=lines, prices_include_tax=include_tax, payment_method=payload.get("payment_method") or "",
            paid=bool(payload.get("date_paid_gmt") or payload.get("date_paid")), paid_at=_gmt(payload, "date_paid"),
            note=payload.get("customer_note") or "",
            refunds=self._refunds(payload),
        )

    @staticmethod
    def _refunds(payload):
        restocked = {str(item.get("id")) for item in payload.get("line_items") or []
                     if any(meta.get("key") == RESTOCKED_META and _amount(meta.get("value")) > 0
                            for meta in item.get("meta_data") or [])}
        result = []
        for refund in payload.get(REFUNDS_KEY) or []:
            lines = []
            for item in refund.get("line_items") or []:
                meta = {entry.get("key"): entry.get("value") for entry in item.get("meta_data") or []}
                lines.append(records.RefundLine(
                    kind="product", amount=-(_amount(item.get("total")) + _amount(item.get("total_tax"))),
                    quantity=-_amount(item.get("quantity")), line_external_id=str(meta.get(REFUNDED_ITEM_META) or ""),
                    sku=item.get("sku") or "", name=item.get("name") or ""))
            result.append(records.Refund(
                external_id=str(refund["id"]), order_external_id=str(payload["id"]),
                created_at=_gmt(refund, "date_created"), amount=_amount(refund.get("amount")), lines=lines,
                restock=any(line.line_external_id in restocked for line in lines), reason=refund.get("reason") or ""))
        return result

    def _amount_line(self, kind, name, item, rates, include_tax, code):
        total, total_tax = _amount(item.get("total")), _amount(item.get("total_tax"))
        return records.OrderLine(
            kind=kind, name=name, quantity=Decimal(1), unit_price=total + total_tax if include_tax else total,
            tax_rate=self._rate(item, rates, total, total_tax), code=code, external_id=str(item.get("id") or ""))

    @staticmethod
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

    @staticmethod
    def _vat(payload):
        meta = {entry.get("key"): entry.get("value") for entry in payload.get("meta_data") or []}
        return next((str(meta[key]).strip() for key in VAT_META_KEYS if meta.get(key)), "")

    @staticmethod
    def _address(address):
        name = " ".join(part for part in (address.get("first_name"), address.get("last_name")) if part)
        return records.Address(
            name=name, company=address.get("company") or "", street=address.get("address_1") or "",
            street2=address.get("address_2") or "", zip=address.get("postcode") or "", city=address.get("city") or "",
            state=address.get("state") or "", country_code=(address.get("country") or "").upper(),
            phone=address.get("phone") or "", email=address.get("email") or "")

    # -- products -----------------------------------------------------------------------------
    def fetch_products(self, updated_since=None):
        params = {"orderby": "id", "order": "asc"}
        if updated_since:
            params.update(modified_after=_wire_date(updated_since), dates_are_gmt="true")
        for product in self.client.paginate("products", params):
            if product.get("type") in IMPORTED_TYPES:
                yield self._with_variations(product)

    def fetch_product(self, external_id):
        return self._with_variations(self.client.get(f"products/{external_id}"))

    def _with_variations(self, product):
        if product.get("type") == "variable" and VARIATIONS_KEY not in product:
            product = {**product, VARIATIONS_KEY: list(self.client.paginate(f"products/{product['id']}/variations"))}
        return product

    def parse_product(self, payload):
        if payload.get("type") == "variation":  # a webhook about one variation: read its product
            payload = self.fetch_product(payload["parent_id"])
        if payload.get("type") == "variable":
            payload = self._with_variations(payload)
            variants = [records.Variant(
                sku=variation.get("sku") or "",
                options={attribute["name"]: attribute["option"] for attribute in variation.get("attributes") or []},
                price=_optional_amount(variation.get("regular_price")), barcode=variation.get("global_unique_id") or "",
                weight=_optional_amount(variation.get("weight")),
                external_id=variant_id(payload["id"], variation["id"]),
                stock=_optional_amount(variation.get("stock_quantity")),
            ) for variation in payload[VARIATIONS_KEY] if variation.get("status") != "trash"]
        else:
            variants = [records.Variant(
                sku=payload.get("sku") or "", price=_optional_amount(payload.get("regular_price")),
                barcode=payload.get("global_unique_id") or "", weight=_optional_amount(payload.get("weight")),
                external_id=str(payload["id"]), stock=_optional_amount(payload.get("stock_quantity")))]
        categories = payload.get("categories") or []
        return records.Product(
            external_id=str(payload["id"]), name=payload.get("name") or "", sku=payload.get("sku") or "",
            description=payload.get("description") or "", price=_optional_amount(payload.get("regular_price")),
            price_includes_tax=self.config.get("prices_include_tax", True),
            barcode=payload.get("global_unique_id") or "", weight=_optional_amount(payload.get("weight")),
            category=categories[0].get("name", "") if categories else "",
            published=payload.get("status") == "publish", variants=variants,
            updated_at=_gmt(payload, "date_modified"))

    def export_product(self, product, external_id=None, publish=False):
        """Create (status draft, or publish when asked and the product is sellable) or update with
        the given fields only; never deletes.  A product found by SKU is updated, not duplicated."""
        if not external_id:
            external_id = self._find_by_sku(product) or (
                product.has_variants and not product.sku and self._find_created(product))
        if external_id:
            return self._update_product(product, str(external_id))
        body = {**self._product_fields(product), "status": "publish" if publish and product.published else "draft",
                "meta_data": [{"key": CREATED_META, "value": self._created_ref(product)}]}
        if not product.has_variants:
            variant = product.variants[0] if product.variants else records.Variant(sku=product.sku)
            sku = product.sku or variant.sku
            body.update({"type": "simple", "sku": sku, **self._catalog_fields(variant)})
        else:
            attributes = self._attributes(product.variants)
            body.update({"type": "variable", **({"sku": product.sku} if product.sku else {}), "attributes": [
                {"name": name, "position": position, "visible": True, "variation": True, "options": options}
                for position, (name, options) in enumerate(attributes.items())]})
        # an uncertain answer: the product found is the one just sent (no variations yet); a variable
        # product with neither a SKU nor a name cannot be found, so it is never sent twice blindly
        findable = product.sku or product.name or not product.has_variants
        product_id = create_once(lambda: str(self.client.post("products", body)["id"]),
                                 (lambda: self._find_by_sku(product) or self._find_created(product)) if findable
                                 else None)
        if not product.has_variants:
            return {"": product_id, body["sku"]: product_id}
        return {"": product_id, **self._write_variations(int(product_id), [], product.variants)}

    @staticmethod
    def _created_ref(product):
        return product.sku or next((variant.sku for variant in product.variants if variant.sku), "")

    def _find_created(self, product):
        """Id of the product the hub created for ``product`` (its ``CREATED_META``), found by name:
        a variable product without a parent SKU has no SKU of its own until its variations exist."""
        if not product.name:
            return None
        ref = self._created_ref(product)
        for candidate in self.client.get("products", {"search": product.name, "per_page": 100}) or []:
            if any(meta.get("key") == CREATED_META and meta.get("value") == ref
                   for meta in candidate.get("meta_data") or []):
                return str(candidate["id"])
        return None

    def _find_by_sku(self, product):
        """Id of the shop product holding the product's (or a variant's) SKU, if any (check-before-create)."""
        skus = [sku for sku in [product.sku, *(variant.sku for variant in product.variants)] if sku]
        if not skus:
            return None
        found = self.client.get("products", {"sku": ",".join(dict.fromkeys(skus)), "per_page": 1})
        if not found:
            return None
        return str(found[0]["parent_id"] if found[0].get("type") == "variation" else found[0]["id"])

    def _update_product(self, product, external_id):
        body = self._product_fields(product)
        if not product.has_variants and product.variants:
            body.update(self._catalog_fields(product.variants[0]))
        if not product.has_variants:
            current = self.client.put(f"products/{external_id}", body) if body else self.client.get(
                f"products/{external_id}")
            return {"": external_id, **({current["sku"]: external_id} if current.get("sku") else {})}
        current = self.client.get(f"products/{external_id}")
        existing = list(self.client.paginate(f"products/{external_id}/variations"))
        attributes = self._merged_attributes(current.get("attributes") or [], product.variants)
        if attributes != current.get("attributes"):
            body["attributes"] = attributes
        if body:
            self.client.put(f"products/{external_id}", body)
        return {"": external_id, **self._write_variations(int(external_id), existing, product.variants)}

    def _write_variations(self, product_id, existing, variants, looked_up=False):
        """Update matched variations (by SKU, then options) and create the others; return
        ``{sku: variant id}``.  A variation the shop refused raises RemoteError naming it; an
        uncertain create is looked up once (``looked_up``) before creating what is missing."""
        by_sku = {variation["sku"]: variation for variation in existing if variation.get("sku")}
        by_options = {frozenset((a["name"], a["option"]) for a in variation.get("attributes") or []): variation
                      for variation in existing}
        updates, creates = [], []
        for variant in variants:
            match = by_sku.get(variant.sku) or by_options.get(frozenset(variant.options.items()))
            fields = self._catalog_fields(variant)
            if match:
                if match.get("sku") != variant.sku:
                    fields["sku"] = variant.sku
                updates.append((variant, {"id": match["id"], **fields}))
            else:
                creates.append((variant, {"sku": variant.sku, **fields, "attributes": [
                    {"name": name, "option": option} for name, option in variant.options.items()]}))
        path = f"products/{product_id}/variations"
        ids, refused = {}, []
        for section, pending in (("update", updates), ("create", creates)):
            try:
                answered = self.client.batch(path, section, [item for _variant, item in pending]) if pending else []
            except RemoteError as exc:
                if not (exc.uncertain and section == "create" and not looked_up):
                    raise
                # some variations may exist now: read them and create only the missing ones
                existing = list(self.client.paginate(path))
                return {**ids, **self._write_variations(product_id, existing, variants, looked_up=True)}
            for (variant, _item), answer in zip(pending, answered):
                if answer.get("error"):
                    refused.append(f"{variant.sku}: {self._error_text(answer['error'])}")
                else:
                    ids[variant.sku] = variant_id(product_id, answer["id"])
        if refused:
            raise RemoteError("WooCommerce refused variations: " + "; ".join(refused))
        return ids

    @staticmethod
    def _product_fields(product):
        fields = {}
        if product.name:
            fields["name"] = product.name
        if product.description:
            fields["description"] = records.description_html(product.description)
        return fields

    @staticmethod
    def _catalog_fields(variant):
        fields = {}
        if variant.price is not None:
            fields["regular_price"] = _money(variant.price)
        if variant.weight is not None:
            fields["weight"] = format(Decimal(variant.weight).normalize(), "f")
        if variant.barcode:
            fields["global_unique_id"] = variant.barcode
        return fields

    @staticmethod
    def _attributes(variants):
        attributes = {}
        for variant in variants:
            for name, option in variant.options.items():
                values = attributes.setdefault(name, [])
                if str(option) not in values:
                    values.append(str(option))
        return attributes

    def _merged_attributes(self, current, variants):
        """The product's attributes extended with the options of ``variants`` (none removed)."""
        merged = [dict(attribute, options=list(attribute.get("options") or [])) for attribute in current]
        for name, options in self._attributes(variants).items():
            attribute = next((a for a in merged if a["name"].lower() == name.lower()), None)
            if attribute is None:
                merged.append({"name": name, "position": len(merged), "visible": True, "variation": True,
                               "options": options})
                continue
            attribute["variation"] = True
            attribute["options"] += [option for option in options if option not in attribute["options"]]
        return merged

    # -- stock --------------------------------------------------------------------------------
    def push_stock(self, levels):
        """Write ``stock_quantity`` (managed stock, whole units rounded down) through the products
        batch endpoint and each parent's variations batch endpoint; one result per level."""
        groups, results = defaultdict(list), []
        for level in levels:
            product_id, _slash, variation = (level.external_id or "").partition("/")
            if not product_id:
                results.append(records.PushResult(key=level.sku, ok=False, message="No WooCommerce id is known."))
                continue
            path = f"products/{product_id}/variations" if variation else "products"
            groups[path].append((level, int(variation or product_id)))
        for path, pending in groups.items():
            items = [{"id": remote_id, "manage_stock": True, "stock_quantity": max(math.floor(level.quantity), 0)}
                     for level, remote_id in pending]
            try:
                answered = {str(answer.get("id")): answer for answer in self.client.batch(path, "update", items)}
            except RemoteError as exc:
                if exc.status not in (400, 404):
                    raise
                answered = {str(remote_id): {"error": {"message": exc.message}} for _level, remote_id in pending}
            for level, remote_id in pending:
                answer = answered.get(str(remote_id))
                ok = bool(answer) and not answer.get("error")
                message = "" if ok else (self._error_text(answer["error"]) if answer else "Not in the batch answer.")
                results.append(records.PushResult(key=level.external_id, ok=ok, external_id=level.external_id,
                                                  message=message))
        return results

    @staticmethod
    def _error_text(error):
        return f"{error.get('message') or 'error'} [{error.get('code')}]" if error.get("code") else (
            error.get("message") or "error")

    # -- fulfilments --------------------------------------------------------------------------
    # WooCommerce core has no shipments: a delivery is a customer note (e-mailed to the buyer)
    # carrying the tracking and the delivery's reference, and the delivery that completes the order
    # also sets the status ``completed``.  A partial delivery is the note only, since core cannot
    # mark part of an order shipped.  Stores with the Shipment Tracking extension also get a
    # tracking item in the order meta ``_wc_shipment_tracking_items`` (the extension's own keys).
    def fulfilments(self, order_external_id):
        """The customer notes of the order written for a delivery (found by their reference)."""
        notes = self.client.get(f"orders/{order_external_id}/notes", params={"type": "customer"}) or []
        return [records.Fulfilment(order_external_id=order_external_id, external_id=f"note/{note['id']}",
                                   reference=match.group(1))
                for note in notes if (match := DELIVERY_REFERENCE.search(note.get("note") or ""))]

    def create_fulfilment(self, fulfilment):
        """Status and tracking meta first (a PUT, safe to repeat), then the note, which marks the
        delivery as reported: a failure in between is repaired by the next attempt."""
        path = f"orders/{fulfilment.order_external_id}"
        changes = {} if fulfilment.partial else {"status": "completed"}
        if self.config.get("shipment_tracking") and fulfilment.tracking_number:
            changes["meta_data"] = [{"key": TRACKING_META, "value": self._tracking_items(path, fulfilment)}]
        if changes:
            self.client.put(path, changes)
        note = self.client.post(f"{path}/notes", {"note": _delivery_note(fulfilment), "customer_note": True})
        return f"note/{note['id']}"

    def _tracking_items(self, path, fulfilment):
        """The order's tracking items with this delivery's added once (by tracking number)."""
        order = self.client.get(path) or {}
        items = next((meta.get("value") for meta in order.get("meta_data") or [] if meta.get("key") == TRACKING_META),
                     None) or []
        if any(item.get("tracking_number") == fulfilment.tracking_number for item in items):
            return items
        return [*items, {
            "tracking_provider": "", "custom_tracking_provider": fulfilment.carrier,
            "custom_tracking_link": fulfilment.tracking_url, "tracking_number": fulfilment.tracking_number,
            "date_shipped": str(int(datetime.now(UTC).timestamp())),
            "tracking_id": hashlib.md5(f"{fulfilment.reference}-{fulfilment.tracking_number}".encode()).hexdigest(),
        }]

    # -- webhooks -----------------------------------------------------------------------------
    def register_webhooks(self, callback_url):
        """Subscribe ``callback_url`` to order and product creations and updates, signed with the
        backend's webhook secret; existing subscriptions of that URL are updated, not duplicated."""
        secret = self.config.get("webhook_secret")
        if not secret:
            raise RemoteError("A webhook secret is required to register WooCommerce webhooks.")
        existing = [hook for hook in self.client.paginate("webhooks") if hook.get("delivery_url") == callback_url]
        registered = []
        for topic in WEBHOOK_TOPICS:
            hook = next((hook for hook in existing if hook.get("topic") == topic), None)
            if hook:
                hook = self.client.put(f"webhooks/{hook['id']}", {"secret": secret, "status": "active"})
            else:
                hook = self.client.post("webhooks", {"name": f"shop-sync {topic}", "topic": topic, "status": "active",
                                                     "delivery_url": callback_url, "secret": secret})
            registered.append((topic, str(hook["id"])))
        return registered

    def list_webhooks(self):
        """Every webhook of the shop (status ``all``): a paused or disabled one counts as not active."""
        return [records.WebhookSubscription(topic=hook.get("topic") or "", address=hook.get("delivery_url") or "",
                                            active=hook.get("status") == "active", external_id=str(hook["id"]))
                for hook in self.client.paginate("webhooks", {"status": "all"})]

    def verify_webhook(self, headers, body):
        secret = self.config.get("webhook_secret")
        if not secret:
            raise WebhookRejected("no webhook secret is configured on the backend")
        received = _header(headers, "X-WC-Webhook-Signature")
        if not received:
            raise WebhookRejected("X-WC-Webhook-Signature header missing")
        if not same(hmac_base64(secret, body), received):
            raise WebhookRejected("X-WC-Webhook-Signature does not match the body")

    def webhook_ack(self, headers, params):
        """WooCommerce keeps a new webhook only if its unsigned delivery test is answered 200."""
        if is_ping(headers, params):
            return f"Delivery test of WooCommerce webhook {params['webhook_id']} acknowledged."
        return None

    def webhook_topic(self, headers):
        return _header(headers, "X-WC-Webhook-Topic")

    def webhook_event(self, headers, payload):
        resource, _dot, event = (self.webhook_topic(headers) or "").partition(".")
        if event not in ("created", "updated") or "id" not in payload:
            return None
        if resource == "order":
            return (self.ORDER, *self.identify(self.ORDER, payload))
        if resource == "product" and payload.get("type") in (*IMPORTED_TYPES, "variation"):
            return (self.PRODUCT, *self.identify(self.PRODUCT, payload))
        return None


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
