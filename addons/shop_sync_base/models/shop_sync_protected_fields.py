from odoo import _, api, models
from odoo.exceptions import AccessError

from .shop_sync_backend import MANAGER


class ShopSyncProtectedFields(models.AbstractModel):
    """Fields only the synchronisation sets: they bind a record to its shop order and say where its
    accounting document stands.  The views show them read-only, which means nothing over RPC: a
    salesman writing them could mark an order exported so that it never reaches the books, or create
    an order posing as a shop's that accounting would invoice and the reconciliation would count.

    So ``create`` and ``write`` refuse them to anyone but the superuser (the flows' ``sudo``) and
    Shop Sync Managers (the company's job user that runs the jobs is one; a Manager may correct them
    by hand).  The company needs no check of its own here: the record rules of the models inheriting
    this keep a user to the records of their companies, and ``check_company`` a backend to its order's
    company."""

    _name = "shop.sync.protected.fields"
    _description = "Shop Sync: fields only the synchronisation sets"

    @api.model
    def _shop_sync_protected_fields(self):
        """Names of this model's fields that only the synchronisation sets; each model inheriting this
        names its own, and connectors add theirs (``super() | {...}``)."""
        return frozenset()

    def _shop_sync_check_protected(self, names):
        """Raise AccessError when the field ``names`` written hold a protected one and the user is
        neither the superuser nor a Shop Sync Manager.  Called on every write of these models: a set
        intersection, and no query unless a protected field is written."""
        protected = self._shop_sync_protected_fields().intersection(names)
        if not protected or self.env.su or self.env.user.has_group(MANAGER):
            return
        labels = ", ".join(sorted(f"{self._fields[name]._description_string(self.env)} ({name})"
                                  for name in protected))
        raise AccessError(_("Only a Shop Sync Manager may set %(fields)s of %(model)s: the synchronisation sets "
                            "them from the shop and from accounting.",
                            fields=labels, model=self.env["ir.model"]._get(self._name).name))

    def _prepare_create_values(self, vals_list):
        """Checked with the defaults added (a context's ``default_*`` keys, a user's own defaults): they
        are set too.  An empty value is what the field holds by default, so it is no forgery (the web
        client sends the editable fields of a new record empty)."""
        result = super()._prepare_create_values(vals_list)
        protected = self._shop_sync_protected_fields()
        for vals in result:
            self._shop_sync_check_protected([name for name in protected if vals.get(name)])
        return result

    def write(self, vals):
        self._shop_sync_check_protected(vals)
        return super().write(vals)
