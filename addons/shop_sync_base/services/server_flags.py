"""Flags that only server code can raise.

A context key is chosen by whoever calls a method, RPC clients included, so it cannot switch off a
safety (drawing sequence numbers, the stock master lock).  A flag is raised for one database cursor
for the duration of a ``with`` block, in a context variable of the running thread that no request
can set (the cursor's own ``cache`` is cleared on every savepoint rollback).
"""

from contextlib import contextmanager
from contextvars import ContextVar

DRY_RUN = "shop_sync_dry_run"  # an import dry-run: sequences are read, not drawn; nothing is committed
ACCOUNTING_STOCK_PULL = "shop_sync_accounting_stock"  # an accounting backend's stock pull passes its own lock

_raised = ContextVar("shop_sync_server_flags", default=frozenset())


@contextmanager
def raised(cr, flag):
    """Raise ``flag`` for ``cr`` inside the block (blocks nest)."""
    token = _raised.set(_raised.get() | {(flag, id(cr))})
    try:
        yield
    finally:
        _raised.reset(token)


def is_raised(cr, flag):
    return (flag, id(cr)) in _raised.get()
