"""Plain translations between e-conomic documents and the hub's canonical records / amounts."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from odoo.addons.shop_sync_base.services.records import Product, Variant

CENT = Decimal("0.01")

# properties e-conomic computes or links: never sent back in a PUT of the full document
READ_ONLY = frozenset({
    "self", "balance", "dueAmount", "lastUpdated", "contacts", "deliveryLocations", "invoices", "totals",
    "templates", "metaData", "pdf", "soap", "attachment",
})
# writable properties of the inventory block (the rest is computed by the inventory module)
WRITABLE_INVENTORY = ("packageVolume", "recommendedCostPrice")


def money(value):
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def split_line(quantity, net_total):
    """Invoice lines ``[(quantity, unit net price)]`` whose total is exactly ``net_total``.

    e-conomic takes unit prices with two decimals; when ``quantity x rounded unit price`` misses
    the line total (e.g. 3 x 33.333), an integer quantity is split into ``quantity - 1`` units at
    the rounded price plus one unit carrying the remainder, so the invoice total stays exact."""
    quantity, net_total = Decimal(str(quantity)), money(net_total)
    if not quantity:
        return [(quantity, net_total)]
    unit = money(net_total / quantity)
    if money(unit * quantity) == net_total or quantity <= 1 or quantity != quantity.to_integral_value():
        return [(quantity, unit)]
    rest = quantity - 1
    return [(rest, unit), (Decimal(1), net_total - unit * rest)]


def balance_nets(nets, total):
    """Line net amounts that add up exactly to ``total``.

    With taxes rounded globally, Odoo rounds an order's untaxed total apart from its line subtotals
    (e.g. 104 + 111 + 39 gross at 19 % makes subtotals of 213.44 but an untaxed total of 213.45); the
    cents of difference are carried by the largest lines, one cent each."""
    nets = [money(net) for net in nets]
    if not nets:
        return nets
    cents = int((money(total) - sum(nets, Decimal(0))) / CENT)
    by_size = sorted(range(len(nets)), key=lambda index: abs(nets[index]), reverse=True)
    for step in range(abs(cents)):
        nets[by_size[step % len(by_size)]] += CENT if cents > 0 else -CENT
    return nets


def reference_body(document):
    """A nested reference reduced to its identifier (``{"layoutNumber": 19}``)."""
    keys = [key for key in document if key.endswith("Number") or key == "code"]
    return {key: document[key] for key in keys[:1]} if keys else None


def apply_update_rules(current, values, allowed, properties_of_rule):
    """A copy of the PUT body ``current`` with the properties of the ``allowed`` update rules taken
    from ``values``; a property missing from ``values`` is cleared (but the required ``name``)."""
    desired = dict(current)
    for rule in allowed:
        for name in properties_of_rule.get(rule, ()):
            if name in values:
                desired[name] = values[name]
            elif name != "name":
                desired.pop(name, None)
    return desired


def writable(document):
    """A GET document turned into a PUT body: read-only properties dropped, references reduced
    to their identifier, the inventory block to its writable properties."""
    body = {}
    for key, value in document.items():
        if key in READ_ONLY or value is None:
            continue
        if key == "inventory" and isinstance(value, dict):
            inventory = {name: value[name] for name in WRITABLE_INVENTORY if name in value}
            if inventory:
                body[key] = inventory
        elif isinstance(value, dict):
            reference = reference_body(value)
            if reference:
                body[key] = reference
        elif not isinstance(value, list):
            body[key] = value
    return body


def product_record(document, price_factor=Decimal(1)):
    """An e-conomic product as a canonical simple product (``records.Product``) keyed by its
    productNumber; ``price_factor`` turns the net salesPrice into Odoo's list price convention
    (e.g. 1.25 when Odoo's sales prices include 25 % VAT)."""
    number = document["productNumber"]
    price = document.get("salesPrice")
    price = money(Decimal(str(price)) * price_factor) if price is not None else None
    updated = document.get("lastUpdated")
    return Product(
        external_id=number, name=document.get("name") or number, sku=number,
        description=document.get("description") or "", price=price, price_includes_tax=price_factor != 1,
        barcode=document.get("barCode") or "", published=not document.get("barred", False),
        variants=[Variant(sku=number, price=price, barcode=document.get("barCode") or "", external_id=number)],
        updated_at=datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else None,
    )
