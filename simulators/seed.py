"""Deterministic, vendor-neutral seed data for the simulators.

``generate()`` builds a catalogue (products with variants), customers (companies and private
persons in several countries) and orders in mixed states.  Each simulator translates these
records into its own wire shapes in its ``seed()`` method, so the same scenario can be replayed
against every shop.  Amounts are ``Decimal`` with two places; prices are *including* VAT, as
shops show them.  The shop is Danish and charges VAT by destination (``vat_rate``): Danish VAT at
home, the buyer's country's rate to private buyers elsewhere in the EU (One-Stop-Shop), none to EU
companies with a VAT number (reverse charge) nor outside the EU (export).  Companies' VAT numbers pass
the format check of their country (python-stdnum, which Odoo's ``base_vat`` uses too).
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from stdnum.eu import vat as eu_vat

from simulators.economic import EU_VAT_ZONE, OSS_PRODUCT_GROUPS

CENT = Decimal("0.01")

# country code -> (VAT rate in percent, currency); DK is the merchant's home country
COUNTRIES = {
    "DK": (Decimal("25"), "DKK"),
    "DE": (Decimal("19"), "EUR"),
    "NL": (Decimal("21"), "EUR"),
    "SE": (Decimal("25"), "SEK"),
    "US": (Decimal("0"), "USD"),
    "NO": (Decimal("0"), "NOK"),
}
EU = frozenset({"DK", "DE", "NL", "SE"})  # the seed countries in the EU VAT area
# digits of a VAT number after the country code: a format with the digits drawn in its place
VAT_FORMATS = {"DK": "{:08d}", "DE": "{:09d}", "NL": "{:09d}B01", "SE": "{:010d}01"}


def vat_rate(customer):
    """The VAT rate in percent the Danish shop charges ``customer`` (see the module's docstring)."""
    country = customer.address.country
    if country not in EU or (country != "DK" and customer.company and customer.vat_number):
        return Decimal(0)
    return COUNTRIES[country][0]


def _vat_number(country, drawn):
    """The first valid VAT number of ``country`` from the ``drawn`` digits on (None outside the EU)."""
    if country not in VAT_FORMATS:
        return None
    while not eu_vat.is_valid(number := country + VAT_FORMATS[country].format(drawn)):
        drawn += 1
    return number

def prepare_odoo_company(env):
    """Make ``env``'s company ready for seeded orders, for the demo, the benchmarks, the
    reliability tests and the Odoo tests: a Danish webshop on Odoo's Danish chart (``l10n_dk``) with the
    EU One-Stop-Shop taxes and fiscal positions (``l10n_eu_oss``), in DKK, in Copenhagen time, rounding taxes
    per line as the shops do, the seed countries' currencies active.  The chart's taxes include VAT in the
    price (shops show gross prices), each with a twin that excludes it, for shops that send net prices.
    Needs those two modules installed; loads the chart once per company."""
    company = env.company
    for _rate, currency in COUNTRIES.values():
        env.ref(f"base.{currency}").active = True
    company.partner_id.tz = "Europe/Copenhagen"
    if company.chart_template != "dk":
        company.write({"country_id": env.ref("base.dk").id, "currency_id": env.ref("base.DKK").id,
                       "account_price_include": "tax_included"})
        env["account.chart.template"].try_loading("dk", company, install_demo=False)
    company.tax_calculation_rounding_method = "round_per_line"
    company._map_eu_taxes()
    Tax = env["account.tax"]
    for tax in Tax.search([("company_id", "=", company.id), ("type_tax_use", "=", "sale"),
                           ("amount_type", "=", "percent"), ("amount", "!=", 0), ("price_include", "=", True)]):
        name = f"{tax.name} (excl.)"
        if not Tax.search_count([("company_id", "=", company.id), ("name", "=", name)]):
            tax.copy({"name": name, "price_include_override": "tax_excluded", "fiscal_position_ids": [],
                      "original_tax_ids": []})
    return company


def configure_economic_vat(accounting):
    """Give an e-conomic backend on the simulator (its values loaded) one 'VAT per destination' row per
    OSS country and rate of the simulator's seed; domestic, reverse charge and export use its defaults."""
    env = accounting.env
    options = {(option.option_type, option.number): option for option in accounting.economic_option_ids}
    existing = accounting.economic_vat_mapping_ids
    env["shop.sync.mapping"].create([{
        "backend_id": accounting.id, "mapping_type": "economic_product_group", "vat_treatment": "oss",
        "country_id": env.ref(f"base.{country.lower()}").id, "tax_rate": float(rate),
        "economic_option_id": options["product_group", group].id,
        "economic_vat_zone_id": options["vat_zone", EU_VAT_ZONE].id,
    } for (country, rate), group in OSS_PRODUCT_GROUPS.items()
        if not existing.filtered(lambda m, c=country, r=rate: m.country_id.code == c and m.tax_rate == float(r))])


# neutral order states; every simulator maps them to its own status vocabulary
ORDER_STATES = ("pending", "paid", "shipped", "completed", "cancelled", "refunded")

PAYMENT_METHODS = ("card", "mobilepay", "invoice", "bank_transfer")
SHIPPING_METHODS = (("GLS Pakkeshop", Decimal("39.00")), ("PostNord", Decimal("49.00")), ("Pickup", Decimal("0")))

_ADJECTIVES = ("Nordic", "Classic", "Urban", "Organic", "Vintage", "Compact", "Deluxe", "Essential")
_NOUNS = ("Mug", "T-shirt", "Lamp", "Backpack", "Notebook", "Candle", "Blanket", "Bottle", "Chair", "Scarf")
_SIZES = ("S", "M", "L", "XL")
_COLOURS = ("Black", "White", "Blue", "Green", "Red")
_FIRST = ("Anna", "Lars", "Sofie", "Mads", "Emma", "Jonas", "Ida", "Peter", "Maria", "Henrik")
_LAST = ("Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Larsen", "Schmidt", "de Vries")
_COMPANIES = ("Hygge ApS", "Blomst A/S", "Kontor GmbH", "Fiets BV", "Nord AB", "Atlas Inc")
_CITIES = {"DK": ("Aarhus", "8000"), "DE": ("Berlin", "10115"), "NL": ("Utrecht", "3511"),
           "SE": ("Malmo", "21120"), "US": ("Portland", "97201"), "NO": ("Bergen", "5003")}


@dataclass
class SeedVariant:
    sku: str
    options: dict  # e.g. {"Size": "M", "Colour": "Blue"}; empty for a product without variants
    price: Decimal  # incl. VAT (home country)
    barcode: str | None
    stock: int
    weight_kg: Decimal


@dataclass
class SeedProduct:
    sku: str  # parent SKU (the only SKU of a simple product)
    title: str
    description: str
    category: str
    price: Decimal
    published: bool
    variants: list = field(default_factory=list)  # empty: simple product

    @property
    def has_variants(self):
        return bool(self.variants)


@dataclass
class SeedAddress:
    street: str
    city: str
    zip: str
    country: str


@dataclass
class SeedCustomer:
    email: str
    first_name: str
    last_name: str
    company: str | None  # None: private person
    vat_number: str | None
    phone: str
    address: SeedAddress


@dataclass
class SeedLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal  # incl. VAT
    tax_rate: Decimal


@dataclass
class SeedRefund:
    """A refund the shop gave after the order: ``lines`` are ``(sku, quantity)`` refunded at their
    gross unit price, plus the shipping when ``shipping``, plus ``amount`` given back without lines."""

    lines: list = field(default_factory=list)
    shipping: bool = False
    amount: Decimal = Decimal(0)
    restock: bool = False
    reason: str = ""


@dataclass
class SeedOrder:
    number: str
    state: str  # one of ORDER_STATES
    created_at: datetime
    updated_at: datetime
    customer: SeedCustomer
    currency: str
    payment_method: str
    lines: list
    shipping_method: str
    shipping_amount: Decimal  # incl. VAT
    fee_amount: Decimal  # e.g. payment fee / gift wrapping, incl. VAT
    discount_amount: Decimal  # positive amount taken off, incl. VAT
    tax_rate: Decimal
    refunds: list = field(default_factory=list)  # SeedRefund, partial refunds of a paid order

    @property
    def total(self):
        lines = sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))
        return (lines + self.shipping_amount + self.fee_amount - self.discount_amount).quantize(CENT)


@dataclass
class Catalogue:
    products: list
    customers: list
    orders: list


def generate(products=20, variant_share=0.5, customers=10, orders=30, seed=42, start=None):
    """Build a deterministic catalogue.

    ``variant_share`` of the products get 2-4 variants (size and/or colour).  Orders are spread
    over the seven days before ``start`` (default 2026-01-05 12:00 UTC) and cycle through all
    states so every scenario is present.
    """
    rnd = random.Random(seed)
    start = start or datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
    catalogue = [_product(rnd, index, rnd.random() < variant_share) for index in range(products)]
    people = [_customer(rnd, index) for index in range(customers)]
    sellable = [v for p in catalogue for v in (p.variants or [p])]
    order_list = []
    for index in range(orders):
        customer = people[index % len(people)]
        created = start - timedelta(minutes=rnd.randint(0, 7 * 24 * 60))
        order_list.append(_order(rnd, index, customer, sellable, created))
    order_list.sort(key=lambda order: order.created_at)
    return Catalogue(products=catalogue, customers=people, orders=order_list)


def _money(value):
    return Decimal(value).quantize(CENT)


def _product(rnd, index, with_variants):
    title = f"{rnd.choice(_ADJECTIVES)} {rnd.choice(_NOUNS)} {index + 1}"
    sku = f"SKU-{index + 1:05d}"
    price = _money(rnd.randint(49, 999))
    product = SeedProduct(
        sku=sku, title=title, description=f"<p>{title}, made to last.</p>", category=title.split()[1],
        price=price, published=rnd.random() < 0.9,
    )
    if with_variants:
        sizes = rnd.sample(_SIZES, rnd.randint(2, 4))
        colour = rnd.choice(_COLOURS)
        for size in sizes:
            product.variants.append(SeedVariant(
                sku=f"{sku}-{size}", options={"Size": size, "Colour": colour}, price=price,
                barcode=f"57{rnd.randint(10**10, 10**11 - 1)}", stock=rnd.randint(0, 50),
                weight_kg=_money(rnd.uniform(0.1, 3)),
            ))
    return product


def _customer(rnd, index):
    country = list(COUNTRIES)[index % len(COUNTRIES)]
    first, last = rnd.choice(_FIRST), rnd.choice(_LAST)
    company = _COMPANIES[index % len(_COMPANIES)] if index % 3 == 0 else None
    city, zip_code = _CITIES[country]
    return SeedCustomer(
        email=f"{first.lower()}.{last.lower().replace(' ', '')}{index}@example.com",
        first_name=first, last_name=last, company=company,
        vat_number=_vat_number(country, rnd.randint(10**7, 10**8 - 1)) if company else None,
        phone=f"+45 {rnd.randint(10**7, 10**8 - 1)}",
        address=SeedAddress(street=f"{rnd.choice(_NOUNS)}vej {index + 1}", city=city, zip=zip_code, country=country),
    )


def _order(rnd, index, customer, sellable, created):
    rate, currency = vat_rate(customer), COUNTRIES[customer.address.country][1]
    lines = []
    for item in rnd.sample(sellable, rnd.randint(1, 3)):
        name = getattr(item, "title", None) or item.sku
        lines.append(SeedLine(sku=item.sku, name=name, quantity=rnd.randint(1, 3), unit_price=item.price,
                              tax_rate=rate))
    shipping_method, shipping_amount = SHIPPING_METHODS[index % len(SHIPPING_METHODS)]
    return SeedOrder(
        number=str(1001 + index), state=ORDER_STATES[index % len(ORDER_STATES)],
        created_at=created, updated_at=created + timedelta(minutes=rnd.randint(0, 120)),
        customer=customer, currency=currency, payment_method=PAYMENT_METHODS[index % len(PAYMENT_METHODS)],
        lines=lines, shipping_method=shipping_method, shipping_amount=shipping_amount,
        fee_amount=_money(15) if index % 5 == 0 else _money(0),
        discount_amount=_money(rnd.randint(10, 50)) if index % 4 == 0 else _money(0),
        tax_rate=rate, refunds=_refunds(index, lines, shipping_amount),
    )


def _refunds(index, lines, shipping_amount):
    """Partial refunds of some paid orders (no random draw, so the rest of the seed stays as it was):
    one unit of the first line, restocked (when the order has more than that); or the shipping and a
    goodwill amount."""
    if index % 12 == 2 and (len(lines) > 1 or lines[0].quantity > 1 or shipping_amount):
        return [SeedRefund(lines=[(lines[0].sku, 1)], restock=True, reason="Damaged in transit")]
    if index % 12 == 3:
        return [SeedRefund(shipping=bool(shipping_amount), amount=_money(10), reason="Late delivery")]
    return []
