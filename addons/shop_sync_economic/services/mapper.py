"""Plain translations between e-conomic documents and the hub's canonical records / amounts."""

from datetime import datetime

# the amount helpers moved to the base (shared with eAccounting); e-conomic's modules import them from here
from odoo.addons.shop_sync_base.services.amounts import balance_nets, money, split_line  # noqa: F401
from odoo.addons.shop_sync_base.services.records import Product, Variant

# properties e-conomic computes or links: never sent back in a PUT of the full document
READ_ONLY = frozenset({
    "self", "balance", "dueAmount", "lastUpdated", "contacts", "deliveryLocations", "invoices", "totals",
    "templates", "metaData", "pdf", "soap", "attachment",
})
# writable properties of the inventory block (the rest is computed by the inventory module)
WRITABLE_INVENTORY = ("packageVolume", "recommendedCostPrice")


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


def product_record(document):
    """An e-conomic product as a canonical simple product (``records.Product``) keyed by its
    productNumber; its price is the salesPrice, which e-conomic documents as "the unit net price"
    (``price_includes_tax`` False: the base converts it to Odoo's sales price)."""
    number = document["productNumber"]
    price = document.get("salesPrice")
    price = money(price) if price is not None else None
    updated = document.get("lastUpdated")
    return Product(
        external_id=number, name=document.get("name") or number, sku=number,
        description=document.get("description") or "", price=price, price_includes_tax=False,
        barcode=document.get("barCode") or "", published=not document.get("barred", False),
        variants=[Variant(sku=number, price=price, barcode=document.get("barCode") or "", external_id=number)],
        updated_at=datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else None,
    )
