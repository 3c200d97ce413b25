"""Tests between real transactions (two queue_job workers at the same moment): the test's cursor cannot show
what another transaction holds or committed, so the class's fixture is committed, each step runs on a cursor
of its own, and every row the class added is deleted after it."""

import logging
from contextlib import contextmanager
from unittest.mock import patch

from psycopg2 import errors as pg_errors

from odoo import api
from odoo.modules.registry import Registry
from odoo.sql_db import Cursor
from odoo.tests import TransactionCase
from odoo.tests.common import get_db_name
from odoo.tools import SQL

from odoo.addons.queue_job.tests.common import trap_jobs

_logger = logging.getLogger(__name__)


def _last_ids(cr):
    """``{table: its highest id}`` of every table of the database with an integer id."""
    cr.execute("""SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id' AND NOT a.attisdropped
                  WHERE c.relkind = 'r' AND n.nspname = current_schema() AND a.atttypid = 'int4'::regtype""")
    tables = [row[0] for row in cr.fetchall()]
    cr.execute(SQL(" UNION ALL ").join(SQL("SELECT %s, max(id) FROM %s", table, SQL.identifier(table))
                                         for table in tables))
    return {table: last or 0 for table, last in cr.fetchall()}


def _delete_added(cr, before):
    """Delete the rows added since ``before`` (``_last_ids``), tables referenced by others last."""
    pending = [table for table, last in _last_ids(cr).items() if last > before.get(table, 0)]
    while pending:
        blocked = []
        for table in pending:
            try:
                with cr.savepoint(flush=False):
                    cr.execute(SQL("DELETE FROM %s WHERE id > %s", SQL.identifier(table), before.get(table, 0)),
                               log_exceptions=False)
            except pg_errors.ForeignKeyViolation:
                blocked.append(table)
        if len(blocked) == len(pending):
            _logger.warning("rows of %s committed by a test are left: other rows refer to them", blocked)
            return
        pending = blocked


class CommittedTransactions:
    """Mixin of a ``TransactionCase`` whose tests run jobs in transactions of their own: the class's fixture
    (``setUpClass``) is committed, ``committed()`` runs steps in a transaction committed at their end,
    ``worker()`` opens a worker's transaction; the rows the class added are deleted after it.  Jobs queued
    meanwhile are trapped (never stored: the test server's job runner would run them)."""

    @classmethod
    def setUpClass(cls):
        cls.addClassCleanup(cls._deleter(Registry(get_db_name())))
        # real cursors for every transaction here, also those a connector opens for itself (a token refresh)
        with patch.object(TransactionCase, "registry_enter_test_mode_cls", classmethod(lambda case: None)), \
                trap_jobs():
            super().setUpClass()
            cls.env.flush_all()
            Cursor.commit(cls.cr)  # the test's cursor forbids commits: its fixture is what the workers share

    def setUp(self):
        self.addCleanup(self._deleter(self.registry))  # after the test's transactions ended: the next test's
        super().setUp()                                 # steps start from the class's fixture

    @staticmethod
    def _deleter(registry):
        """A function deleting the rows committed from now on."""
        with registry.cursor() as cr:
            before = _last_ids(cr)

        def delete_added():
            with registry.cursor() as cr:
                _delete_added(cr, before)
        return delete_added

    def worker(self):
        """The environment of a queue_job worker's transaction, its snapshot taken now (a job's is taken
        as the runner starts it, before the job reads anything); rolled back unless committed."""
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        cr.execute("SET LOCAL lock_timeout = '2s'")  # a job waiting for a lock fails the test, never hangs it
        cr.execute("SELECT 1")  # the snapshot
        return api.Environment(cr, api.SUPERUSER_ID, dict(type(self).env.context))

    @contextmanager
    def committed(self, *records):
        """Steps in a transaction of their own, committed at the end: ``self.env``, ``self.shop`` and
        ``self.accounting`` are on it meanwhile; yields ``records`` on it."""
        with self.registry.cursor() as cr, trap_jobs():
            env = api.Environment(cr, api.SUPERUSER_ID, dict(type(self).env.context))
            with patch.object(self, "env", env), patch.object(self, "shop", self.shop.with_env(env)), \
                    patch.object(self, "accounting", self.accounting.with_env(env)):
                yield [record.with_env(env) for record in records]
