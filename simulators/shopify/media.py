"""Product media of the Shopify simulator (images).

As the 2025-01 Admin schema and Shopify's "Add media to products" guide
(shopify.dev/docs/apps/build/online-store/product-media) describe them: ``productCreate`` and
``productUpdate`` take ``media: [CreateMediaInput!]`` whose ``originalSource`` is an external URL
that Shopify downloads itself, asynchronously (the media is UPLOADED/PROCESSING first, then READY,
or FAILED with ``mediaErrors`` such as IMAGE_DOWNLOAD_FAILURE; ``mediaContentType`` IMAGE).  The
simulator downloads at once, so a media is READY or FAILED when the mutation answers.  New media are
appended; the first media of a product is its ``featuredMedia``; ``productReorderMedia`` moves media
(``newPosition`` is a zero-based index as a string; a Job in Shopify, done at once here).  Images are
served by the shop's CDN: here ``<cdn_url>/s/files/<id>/<file name>`` on the simulator itself.
"""

import posixpath
from urllib.parse import urlsplit

import requests

from .views import iso

CDN_PATH = "/s/files"


class MediaStore:
    """Media records of one shop (``state.media``: gid -> record) and the files its CDN serves."""

    def __init__(self, state, cdn_url="https://cdn.shopify.com"):
        self.state = state
        state.media = {}
        self.files = {}  # path on the CDN -> (bytes, content type)
        self.cdn_url = cdn_url

    def add(self, product, source, alt="", content=None, content_type="image/png"):
        """Attach an image to ``product``: downloaded from ``source`` (an URL), or ``content`` given
        (the merchant's upload in the admin).  Returns the media record."""
        gid, legacy_id = self.state.new_id("MediaImage")
        media = {"id": gid, "alt": alt or "", "status": "READY", "errors": [], "url": None,
                 "original_source": source, "created_at": self.state.now()}
        if content is None:
            content, content_type, error = _download(source)
            if error:
                media.update(status="FAILED", errors=[{
                    "code": "IMAGE_DOWNLOAD_FAILURE", "message": "Image could not be downloaded.", "details": error}])
        if media["status"] == "READY":
            name = posixpath.basename(urlsplit(source or "").path) or f"image-{legacy_id}.png"
            path = f"{CDN_PATH}/{legacy_id}/{name}"
            self.files[path] = (content, content_type)
            media["url"] = f"{self.cdn_url.rstrip('/')}{path}?v={legacy_id}"
        self.state.media[gid] = media
        product.setdefault("media_ids", []).append(gid)
        self.state.touch(product)
        return media

    @staticmethod
    def input_errors(inputs):
        """User errors of a ``CreateMediaInput`` list Shopify refuses outright (no source, not an image)."""
        errors = []
        for index, entry in enumerate(inputs or []):
            if entry.get("mediaContentType") != "IMAGE":
                errors.append({"field": ["media", str(index), "mediaContentType"],
                               "message": "Only images are supported by this simulator"})
            elif not (entry.get("originalSource") or "").strip():
                errors.append({"field": ["media", str(index), "originalSource"],
                               "message": "Original source can't be blank"})
        return errors

    def add_inputs(self, product, inputs):
        """Attach the media of a productCreate/productUpdate (checked with ``input_errors``)."""
        for entry in inputs or []:
            self.add(product, entry["originalSource"].strip(), entry.get("alt") or "")

    def reorder(self, product_id, moves):
        product = self.state.products.get(product_id)
        if product is None:
            return {"job": None, "mediaUserErrors": [
                {"code": "PRODUCT_DOES_NOT_EXIST", "field": ["id"], "message": "Product does not exist"}],
                "userErrors": [{"field": ["id"], "message": "Product does not exist"}]}
        ids = product.setdefault("media_ids", [])
        for index, move in enumerate(moves):
            if move["id"] not in ids:
                error = {"code": "MEDIA_DOES_NOT_EXIST_ON_PRODUCT", "field": ["moves", str(index), "id"],
                         "message": "Media does not exist on the given product"}
                return {"job": None, "mediaUserErrors": [error],
                        "userErrors": [{"field": error["field"], "message": error["message"]}]}
        for move in moves:
            ids.remove(move["id"])
            ids.insert(max(0, min(int(move["newPosition"]), len(ids))), move["id"])
        self.state.touch(product)
        job_id, _legacy = self.state.new_id("Job")
        return {"job": {"id": job_id, "done": True, "query": {}}, "mediaUserErrors": [], "userErrors": []}

    def of(self, product):
        return [self.state.media[gid] for gid in product.get("media_ids") or []]

    def view(self, media):
        image = media["url"] and {"__typename": "Image", "id": media["id"].replace("MediaImage", "ImageSource"),
                                  "url": media["url"], "src": media["url"], "originalSrc": media["url"],
                                  "transformedSrc": media["url"], "altText": media["alt"], "width": 0, "height": 0}
        return {
            "__typename": "MediaImage", "id": media["id"], "alt": media["alt"], "status": media["status"],
            "mediaContentType": "IMAGE", "image": image, "createdAt": iso(media["created_at"]),
            "updatedAt": iso(media["created_at"]), "mediaErrors": media["errors"], "mediaWarnings": [],
            "preview": {"image": image, "status": "READY" if image else "FAILED"},
        }


def _download(source):
    """``(bytes, content type, error)`` of an external image, as Shopify's fetch of ``originalSource``."""
    try:
        response = requests.get(source, timeout=10)
    except (requests.RequestException, ValueError) as exc:
        return None, None, f"{type(exc).__name__}"
    content_type = response.headers.get("Content-Type", "").split(";")[0]
    if response.status_code != 200:
        return None, None, f"HTTP {response.status_code}"
    if not content_type.startswith("image/"):
        return None, None, f"not an image ({content_type or 'no content type'})"
    return response.content, content_type, None
