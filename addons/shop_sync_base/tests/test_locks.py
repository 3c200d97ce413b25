"""``lock_free_rows`` between real transactions: the row locks the inbox's order jobs and the confirmation
jobs rely on, on connections of their own (the test's cursor cannot show what another transaction holds
or committed).  The rows are those of a small table committed for the test and dropped after it."""

from odoo.sql_db import db_connect
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import SQL, mute_logger

from odoo.addons.shop_sync_base.services.locks import lock_free_rows

TABLE = "shop_sync_test_lock_rows"


@tagged("post_install", "-at_install", "shop_sync")
class TestLockFreeRows(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection = db_connect(get_db_name())
        with cls.connection.cursor() as cr:
            cr.execute(SQL("CREATE TABLE %s (id integer PRIMARY KEY, state varchar)", SQL.identifier(TABLE)))
            cr.execute(SQL("INSERT INTO %s VALUES (1, 'new'), (2, 'new'), (3, 'new')", SQL.identifier(TABLE)))
        cls.addClassCleanup(cls._drop_table)

    @classmethod
    def _drop_table(cls):
        with cls.connection.cursor() as cr:
            cr.execute(SQL("DROP TABLE %s", SQL.identifier(TABLE)))

    def transaction(self):
        """A cursor on a connection of its own (a worker's transaction), rolled back at the test's end."""
        cr = self.connection.cursor()
        cr.execute("SET lock_timeout = '5s'")  # a lock wait fails the test instead of hanging it
        self.addCleanup(cr.close)
        self.addCleanup(cr.rollback)
        return cr

    def _reset(self):
        with self.connection.cursor() as cr:
            cr.execute(SQL("UPDATE %s SET state = 'new'", SQL.identifier(TABLE)))

    def test_rows_another_transaction_holds_are_left_to_it_the_others_keep_their_order(self):
        holder, job = self.transaction(), self.transaction()
        self.assertEqual(lock_free_rows(holder, TABLE, [2]), [2])
        self.assertEqual(lock_free_rows(job, TABLE, [3, 2, 1]), [3, 1], "without waiting for the holder")
        holder.rollback()  # the holder ends: its row is free again
        self.assertEqual(lock_free_rows(self.transaction(), TABLE, [1, 2, 3]), [2], "1 and 3 are the job's")

    def test_rows_changed_since_the_snapshot_are_left_out_and_the_transaction_goes_on(self):
        self.addCleanup(self._reset)  # run after both transactions ended: the job holds rows 1 and 3
        job, other = self.transaction(), self.transaction()
        job.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(TABLE)))  # the job's snapshot is taken
        other.execute(SQL("UPDATE %s SET state = 'done' WHERE id = 2", SQL.identifier(TABLE)))
        other.commit()  # another job processed row 2 meanwhile
        with mute_logger("odoo.sql_db"):
            self.assertEqual(lock_free_rows(job, TABLE, [1, 2, 3]), [1, 3], "row 2 is not processed twice")
        job.execute(SQL("SELECT id FROM %s WHERE state = 'new' ORDER BY id", SQL.identifier(TABLE)))
        self.assertEqual([row[0] for row in job.fetchall()], [1, 2, 3], "still usable, on its own snapshot")
