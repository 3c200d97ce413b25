"""Order money: prices include VAT, amounts are kept in the presentment currency (what the buyer paid)
and converted to the shop currency at the order's fixed exchange rate, as Shopify Markets does."""

from decimal import Decimal

CENT = Decimal("0.01")
SHOP_CURRENCY = "DKK"
# shop currency units per presentment currency unit (fixed, so every run gives the same amounts)
EXCHANGE_RATES = {
    "DKK": Decimal("1"),
    "EUR": Decimal("7.46"),
    "SEK": Decimal("0.69"),
    "NOK": Decimal("0.64"),
    "USD": Decimal("6.90"),
}


def shop_amount(amount, order):
    """``amount`` (presentment currency) in the shop currency."""
    return (amount * order["exchange_rate"]).quantize(CENT)


def format_decimal(amount):
    """Shopify's ``Decimal`` scalar text: no trailing zeros beyond one decimal ("49.0", "12.5", "0.99")."""
    text = format(amount.normalize(), "f")
    return text if "." in text else f"{text}.0"


def format_money(amount):
    """Shopify's ``Money`` scalar text and REST amounts: two decimals ("49.00")."""
    return str(Decimal(amount).quantize(CENT))


def included_tax(amount, rate_percent):
    """VAT contained in a VAT-inclusive ``amount``."""
    return (amount * rate_percent / (100 + rate_percent)).quantize(CENT)


def line_total(line):
    return line["unit_price"] * line["quantity"]


def line_tax(line):
    return included_tax(line_total(line) - line["discount"], line["tax_rate"]) if line["taxable"] else Decimal(0)


def shipping_tax(shipping_line):
    return included_tax(shipping_line["price"], shipping_line["tax_rate"])


def allocate(amount, weights):
    """Split ``amount`` over ``weights`` proportionally in cents; the last share takes the rounding rest."""
    total = sum(weights, Decimal(0))
    if not weights or total == 0:
        return [Decimal(0) for _ in weights]
    shares = [(amount * weight / total).quantize(CENT) for weight in weights[:-1]]
    return shares + [amount - sum(shares, Decimal(0))]


def order_totals(order):
    """Presentment-currency totals of an order record (see ``state`` for its keys)."""
    lines = sum((line_total(line) for line in order["line_items"]), Decimal(0))
    shipping = sum((line["price"] for line in order["shipping_lines"]), Decimal(0))
    tax = sum((line_tax(line) for line in order["line_items"]), Decimal(0)) + sum(
        (shipping_tax(line) for line in order["shipping_lines"]), Decimal(0)
    )
    subtotal = lines - order["discount_amount"]
    total = subtotal + shipping
    refunds = order.get("refunds") or []
    refunded = sum((refund["amount"] for refund in refunds), Decimal(0)) if refunds else (
        total if order["financial_status"] == "REFUNDED" else Decimal(0))
    received = total if order["financial_status"] in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED") else Decimal(0)
    outstanding = total if order["financial_status"] == "PENDING" else Decimal(0)
    return {
        "line_items": lines,
        "discounts": order["discount_amount"],
        "subtotal": subtotal,
        "shipping": shipping,
        "tax": tax,
        "total": total,
        "current_total": total - refunded,
        "refunded": refunded,
        "received": received,
        "net_payment": received - refunded,
        "outstanding": outstanding,
    }


def tax_lines_by_rate(order):
    """Order-level tax lines: ``[(rate percent, amount)]`` over line items and shipping."""
    by_rate = {}
    for line in order["line_items"]:
        if line["taxable"] and line["tax_rate"]:
            by_rate[line["tax_rate"]] = by_rate.get(line["tax_rate"], Decimal(0)) + line_tax(line)
    for line in order["shipping_lines"]:
        if line["tax_rate"]:
            by_rate[line["tax_rate"]] = by_rate.get(line["tax_rate"], Decimal(0)) + shipping_tax(line)
    return sorted(by_rate.items())
