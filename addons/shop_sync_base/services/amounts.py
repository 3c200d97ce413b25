"""Amounts as accounting documents need them: cents exact, totals that add up.

Plain functions shared by the accounting connectors (e-conomic, eAccounting): a document's lines
must add up to the shop's totals to the cent although the remote takes two-decimal unit prices.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value):
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def split_line(quantity, net_total):
    """Document lines ``[(quantity, unit net price)]`` whose total is exactly ``net_total``.

    Accounting systems take unit prices with two decimals; when ``quantity x rounded unit price`` misses
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
