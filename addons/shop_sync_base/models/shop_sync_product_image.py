import base64
import hashlib
import re
from urllib.parse import urlsplit

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools.image import image_process
from odoo.tools.mimetypes import guess_mimetype
from odoo.tools.misc import limited_field_access_token

from ..services.http import HttpClient, RemoteError
from ..services.records import Image

#: the largest image downloaded from a shop (Shopify accepts up to 20 MB; Odoo keeps at most 1920 px)
IMAGE_MAX_BYTES = 15 * 1024 * 1024
IMAGE_TIMEOUT = 20
#: Odoo's field holding the main image of each exported model (variants' own images are not synchronised)
IMAGE_FIELDS = {"product.template": "image_1920"}


class ShopSyncProductImage(models.AbstractModel):
    """Product images between Odoo and a shop, each sent or downloaded only when it changed.

    The binding of a product remembers the shop's image (``image_ref``: id and address) and the
    SHA-1 of Odoo's image (``image_checksum``) of the last transfer.  Import downloads the shop's
    image through the HTTP service (timeout, size cap) when its ref differs; export sends Odoo's
    image when its checksum differs, as a public address with a limited access token (Odoo's
    ``/web/image`` route: the shop fetches it, as WooCommerce and Shopify require) and, for shops
    that take an upload, its bytes.
    """

    _name = "shop.sync.product.image"
    _description = "Shop Sync Product Images"

    # -- import -----------------------------------------------------------------------------
    @api.model
    def _download(self, image, shop_host=""):
        """``(bytes, error)`` of a shop image: the bytes (fitted to Odoo's 1920 px) when it answered
        with an image within the size cap, else a message saying why not (no answer, HTTP status,
        too big, not an image, an address in Odoo's own network other than ``shop_host``, the
        backend's shop): checked here so a bad image never fails its product's import."""
        url = image.url or ""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return None, _("The image address %s is not a web address.", url or "''")
        client = HttpClient(f"{parts.scheme}://{parts.netloc}", timeout=IMAGE_TIMEOUT, retries=0)
        try:
            body, _content_type = client.download(url, IMAGE_MAX_BYTES, trusted_host=shop_host)
        except RemoteError as exc:
            return None, _("The image %(url)s could not be downloaded: %(error)s", url=url, error=exc)
        mimetype = guess_mimetype(body)
        if not mimetype.startswith("image/") or mimetype == "image/svg+xml":
            return None, _("%(url)s is not an image (%(type)s).", url=url, type=mimetype)
        try:
            return image_process(body, size=(1920, 1920), verify_resolution=True), None
        except UserError as exc:
            return None, _("%(url)s: %(error)s", url=url, error=exc)

    @api.model
    def _checksums(self, records):
        """``{record id: (SHA-1, mimetype)}`` of the images of ``records`` (one model), read in one query
        from the attachments Odoo keeps them in; records without an image are left out."""
        if not records:
            return {}
        field = IMAGE_FIELDS[records._name]
        records.flush_recordset([field])
        attachments = self.env["ir.attachment"].sudo().search_read(
            [("res_model", "=", records._name), ("res_field", "=", field), ("res_id", "in", records.ids)],
            ["res_id", "checksum", "mimetype"])
        return {attachment["res_id"]: (attachment["checksum"], attachment["mimetype"]) for attachment in attachments}

    @api.model
    def _remember(self, binding, image_ref, checksum):
        if (binding.image_ref, binding.image_checksum) != (image_ref, checksum):
            binding.write({"image_ref": image_ref, "image_checksum": checksum})

    # -- export -----------------------------------------------------------------------------
    @api.model
    def _to_export(self, record, binding, checksums, with_content):
        """The ``records.Image`` of ``record`` when it differs from what the shop last got from or
        gave to Odoo (``binding``), else None."""
        checksum, mimetype = checksums.get(record.id, (None, None))
        if not checksum or checksum == binding.image_checksum:
            return None
        field = IMAGE_FIELDS[record._name]
        raw = base64.b64decode(record[field]) if with_content else b""
        base_url = record.get_base_url()
        token = limited_field_access_token(record, field, scope="binary")
        extension = {"image/jpeg": "jpg", "image/svg+xml": "svg"}.get(
            mimetype, (mimetype or "image/png").split("/")[-1])
        filename = f"{_file_stem(record.default_code or record.name or '') or 'product'}-{record.id}.{extension}"
        # the address ends in a file name with its extension: WooCommerce takes the file type from it
        return Image(
            url=f"{base_url}/web/image/{record._name}/{record.id}/{field}/{filename}"
                f"?access_token={token}&unique={checksum}",
            content=raw, checksum=checksum, mimetype=mimetype, filename=filename)

    @staticmethod
    def _sha1(content):
        return hashlib.sha1(content).hexdigest()  # noqa: S324 - Odoo's attachment checksum, not a security use


def _file_stem(text):
    """``text`` as the stem of a file name in an address: letters, digits, ``-`` and ``_`` only."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60]
