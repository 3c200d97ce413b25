"""Canonical records: what every adapter translates remote payloads into (and back from).

Plain dataclasses with no ORM; amounts are ``Decimal``.  The base pipelines in
``shop_sync_base.models`` take only these, so adding a shop needs no change to the base.
"""

import html
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

LINE_KINDS = ("product", "shipping", "fee", "discount")


def description_html(text):
    """An exported product's plain-text description as the HTML shops store and render: every
    character escaped (``<script>`` is text, ``&`` stays ``&``), line breaks kept as ``<br/>``."""
    if not text:
        return ""
    lines = html.escape(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<p>" + "<br/>".join(lines) + "</p>"


@dataclass
class Address:
    name: str = ""
    company: str = ""
    street: str = ""
    street2: str = ""
    zip: str = ""
    city: str = ""
    country_code: str = ""  # ISO 3166-1 alpha-2
    phone: str = ""
    email: str = ""


@dataclass
class Customer:
    email: str
    first_name: str = ""
    last_name: str = ""
    company: str = ""  # empty: a private person
    vat: str = ""
    phone: str = ""

    @property
    def is_company(self):
        return bool(self.company)

    @property
    def name(self):
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.email


@dataclass
class OrderLine:
    """One order line.  ``kind`` is product, shipping, fee or discount; a discount has a positive
    ``unit_price`` that is subtracted.  ``unit_price`` is gross when ``Order.prices_include_tax``."""

    kind: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal | None = None  # percent; None: no tax information from the shop
    sku: str = ""
    code: str = ""  # shipping method / fee code, used by the shipping-method mapping
    external_id: str = ""
    # the tax the shop charged on the line when Odoo cannot recompute it from the line's amount (positive; a
    # discount's is subtracted like its price): a coupon's tax is the difference of its lines' rounded taxes,
    # costs taxed as one sum are rounded once
    tax_amount: Decimal | None = None

    def __post_init__(self):
        if self.kind not in LINE_KINDS:
            raise ValueError(f"unknown order line kind {self.kind!r}")


REFUND_LINE_KINDS = ("product", "shipping", "fee")


@dataclass
class RefundLine:
    """One refunded order line: ``amount`` is the gross amount given back (tax included), positive;
    ``quantity`` the items refunded (0 for an amount on a line without items, e.g. shipping).  The
    order line is found by ``line_external_id`` (the shop's line id), else by ``sku``.  ``tax``: the
    tax inside ``amount`` as the shop computed it, when its API says (its rounding may differ from
    a split of ``amount`` in the proportion of the order line by a cent); None: the base splits."""

    kind: str
    amount: Decimal
    quantity: Decimal = Decimal(0)
    line_external_id: str = ""
    sku: str = ""
    name: str = ""
    tax: Decimal | None = None

    def __post_init__(self):
        if self.kind not in REFUND_LINE_KINDS:
            raise ValueError(f"unknown refund line kind {self.kind!r}")


@dataclass
class Refund:
    """A refund of an order as the shop recorded it.  ``amount`` is the gross total given back;
    what the lines do not account for is an amount refunded without lines.  ``restock``: the shop
    put the refunded items back in stock.  ``tax``: the refund's total tax as the shop computed it,
    when its API states the total but not each line's (CCV's credit invoice); None: not stated."""

    external_id: str
    created_at: datetime
    amount: Decimal
    lines: list = field(default_factory=list)
    restock: bool = False
    reason: str = ""
    tax: Decimal | None = None


@dataclass
class Order:
    external_id: str
    number: str  # the order number people search for (e.g. "#1001" or "1001")
    state: str  # the shop's own state code, checked against the backend's allowed states
    created_at: datetime
    currency: str
    total: Decimal  # gross total as the shop computed it; checked against Odoo's total
    customer: Customer
    billing: Address
    shipping: Address
    lines: list = field(default_factory=list)
    prices_include_tax: bool = True
    tax_total: Decimal | None = None  # the order's tax as the shop computed it, when it says
    payment_method: str = ""
    paid_at: datetime | None = None  # when the shop recorded the payment (aware); None: not paid or not told
    updated_at: datetime | None = None  # the shop's last change: the version; an older one is skipped
    cancelled_at: datetime | None = None  # when the shop cancelled the order (aware); None: not cancelled or not told
    note: str = ""
    refunds: list = field(default_factory=list)  # records.Refund, every refund the shop has for the order

    @property
    def country_code(self):
        """Country that decides VAT: delivery address first, then billing."""
        return self.shipping.country_code or self.billing.country_code


@dataclass
class Image:
    """A product's main image.

    Imported: ``url`` where the shop serves it, ``external_id`` the shop's id of it when it has one;
    the base downloads it.  Exported: ``url`` a public address of Odoo's image (valid for weeks, so
    shops that fetch it later still can), ``content`` its bytes for shops that take an upload
    (``ShopAdapter.IMAGE_EXPORT == "content"``), ``checksum`` (SHA-1 of the bytes) names the version."""

    url: str = ""
    external_id: str = ""
    content: bytes = b""
    checksum: str = ""
    filename: str = ""
    mimetype: str = ""

    @property
    def ref(self):
        """What identifies the shop's version of the image: its id with its address (a new upload
        gets a new one), compared with the binding's ``image_ref`` to download only changes."""
        return f"{self.external_id}|{self.url}" if self.external_id else self.url


@dataclass
class Variant:
    sku: str
    options: dict = field(default_factory=dict)  # {"Size": "M"}; empty for the only variant of a simple product
    price: Decimal | None = None
    barcode: str = ""
    weight: Decimal | None = None  # kg
    external_id: str = ""
    dimensions: tuple | None = None  # (length, width, height) in cm, Decimals; None: the shop keeps none


@dataclass
class Product:
    """A product with one or more variants; a simple product has one variant with no options."""

    external_id: str
    name: str
    sku: str = ""  # parent SKU; for simple products equal to the variant SKU
    description: str = ""  # imported: the shop's HTML; exported: Odoo's plain text (see description_html)
    price: Decimal | None = None  # as the remote states it: the base converts it to Odoo's sales price
    price_includes_tax: bool = True  # whether ``price`` and the variants' prices include VAT
    barcode: str = ""
    weight: Decimal | None = None
    category: str = ""
    published: bool = True
    image: Image | None = None  # the main image; shops' further images have no Odoo field without website_sale
    # None: the shop has no such field (or the export rules leave it out), so it is neither read nor written
    vendor: str | None = None
    tags: list | None = None  # names
    short_description: str | None = None  # imported: the shop's HTML; exported: Odoo's plain text
    backorders: bool | None = None  # may be ordered when out of stock
    variants: list = field(default_factory=list)
    updated_at: datetime | None = None  # the shop's last change: the version; an older one is skipped
    # exported (as the "VAT rate" rule allows) to shops that keep one rate per product (CCV's ``vatrate``,
    # ``shop.sync.backend._keeps_product_vat_rate``): the VAT rate (%) of the Odoo product's sales taxes for
    # the backend's company; None: it has none or is not sent.  Out of the repr, so the fingerprints of the
    # other shops' exports, which never carry it, stay those stored before it existed
    tax_rate: Decimal | None = field(default=None, repr=False)

    @property
    def has_variants(self):
        return any(variant.options for variant in self.variants)


@dataclass
class StockLevel:
    sku: str
    quantity: Decimal
    external_id: str = ""  # the remote variant/inventory item id when known
    previous: Decimal | None = None  # last value pushed, for compare-and-set
    location_id: str = ""  # the shop's location (ShopAdapter.stock_locations); empty: its default one


@dataclass
class PushResult:
    """Outcome of one remote write, reported by adapters for batch operations."""

    key: str  # SKU or external id
    ok: bool
    external_id: str = ""
    message: str = ""
    location_id: str = ""  # the StockLevel's location


@dataclass
class WebhookSubscription:
    """One webhook subscription as the shop lists it."""

    topic: str  # named like the topics ``ShopAdapter.WEBHOOK_TOPICS`` lists
    address: str  # where the shop delivers
    active: bool = True
    external_id: str = ""


@dataclass
class FulfilmentLine:
    """Quantity of one order line shipped; ``external_id`` is the shop's order line id, ``sku`` the
    fallback for orders imported before line ids were kept."""

    quantity: Decimal
    sku: str = ""
    external_id: str = ""


@dataclass
class Fulfilment:
    """One delivery of an imported order, as the shop records a shipment.

    ``reference`` is the delivery's name in Odoo; shops that keep a text with the shipment (an
    order note) carry it, so the delivery can be found there again.  ``partial``: the order is not
    completely delivered after this delivery.  Read back from the shop, ``lines`` may be empty when
    the shop records shipping per order, not per line; ``external_id`` is then the shop's id.
    """

    order_external_id: str
    reference: str = ""
    lines: list = field(default_factory=list)
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    partial: bool = False
    external_id: str = ""
