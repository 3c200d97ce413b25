"""Rows a job takes for itself, leaving those a concurrent job holds to it (or retrying later)."""

import logging

from psycopg2 import errors as pg_errors

from odoo.sql_db import Cursor
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


def lock_free_rows(cr, table, ids):
    """The ids of ``ids`` (in their order) now locked by this transaction until it ends (FOR NO KEY UPDATE), without
    those another transaction holds (SKIP LOCKED) or changed since this one's snapshot (locking such
    a row fails under REPEATABLE READ: it was processed meanwhile)."""
    query = SQL("SELECT id FROM %s WHERE id = ANY(%s) FOR NO KEY UPDATE SKIP LOCKED", SQL.identifier(table), ids)
    try:
        with cr.savepoint(flush=False):
            cr.execute(query, log_exceptions=False)
            locked = {row[0] for row in cr.fetchall()}
            return [row_id for row_id in ids if row_id in locked]
    except pg_errors.SerializationFailure:  # one of them changed since this transaction's snapshot
        locked = []
        for row_id in ids:
            try:
                with cr.savepoint(flush=False):
                    cr.execute(SQL("SELECT id FROM %s WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
                                   SQL.identifier(table), row_id), log_exceptions=False)
                    locked += [row[0] for row in cr.fetchall()]
            except pg_errors.SerializationFailure:
                _logger.info("%s %s was processed meanwhile by another transaction", table, row_id)
        return locked


def read_committed(cr):
    """Make ``cr``'s new transaction READ COMMITTED, for a row lock that waits for a concurrent
    writer and then reads what it committed: under Odoo's REPEATABLE READ that lock fails instead
    (a serialization failure).  Only on a connection of its own: a test cursor shares the test's
    transaction, whose level is set."""
    if isinstance(cr, Cursor):
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")


def claim_row(cr, table, row_id):
    """Lock row ``row_id`` of ``table`` for this transaction until it ends (FOR NO KEY UPDATE NOWAIT) and give
    it a new version (an UPDATE that changes no value), so that another transaction whose snapshot does not
    see this one's commit cannot lock the row any more: under REPEATABLE READ its lock fails instead of
    letting it act on what it read before.  Raises ``LockNotAvailable`` when another transaction holds the
    row, ``SerializationFailure`` when it changed since this transaction's snapshot; the transaction stays
    usable either way."""
    with cr.savepoint(flush=False):
        cr.execute(SQL("SELECT id FROM %s WHERE id = %s FOR NO KEY UPDATE NOWAIT", SQL.identifier(table), row_id),
                   log_exceptions=False)
        cr.execute(SQL("UPDATE %s SET id = id WHERE id = %s", SQL.identifier(table), row_id))
