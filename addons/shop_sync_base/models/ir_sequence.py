from odoo import models

from ..services.server_flags import DRY_RUN, is_raised


class IrSequence(models.Model):
    _inherit = "ir.sequence"

    def _next(self, sequence_date=None):
        """In an import dry-run, show the next number without drawing it: a PostgreSQL sequence
        is not rolled back with the transaction, and the dry-run must leave no trace."""
        if is_raised(self.env.cr, DRY_RUN):
            self.ensure_one()
            return self.get_next_char(self.number_next_actual)
        return super()._next(sequence_date=sequence_date)
