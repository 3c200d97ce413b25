"""Product images between Odoo and a shop: downloaded or sent only when changed, per the field
rules, a bad image a clear log on its product while the rest of the batch is imported."""

import base64
import io
import socket
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import requests
from PIL import Image as PilImage
from werkzeug.wrappers import Request, Response

from odoo.tests import common as odoo_test_common, tagged

from simulators.common import SimulatorServer

from ..models import shop_sync_product_image
from ..services import http
from ..services.records import Image
from .common import ShopSyncCase


def png(colour, size=(8, 8)):
    buffer = io.BytesIO()
    PilImage.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


class ImageHost:
    """A web server holding image files, as a shop's CDN does; counts the downloads."""

    name = "images"

    def __init__(self):
        self.files = {}  # path -> (bytes, content type)
        self.hits = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.hits.append(request.path)
        if request.path not in self.files:
            return Response("not found", status=404)(environ, start_response)
        body, content_type = self.files[request.path]
        return Response(body, content_type=content_type)(environ, start_response)


def product_payload(external_id, sku, image=None, name=None):
    return {"id": external_id, "name": name or sku, "sku": sku, "price": "10", "image": image,
            "variants": [{"id": f"{external_id}-v", "sku": sku}]}


@tagged("post_install", "-at_install", "shop_sync")
class TestProductImageImport(ShopSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.host = ImageHost()
        cls.server = SimulatorServer(cls.host).start()
        cls.addClassCleanup(cls.server.stop)
        cls.red, cls.blue = png("red"), png("blue")
        # the shop's own host (127.0.0.1, as the simulators) is downloaded from wherever it is
        cls.backend.api_url = cls.server.url

    def setUp(self):
        super().setUp()
        self.host.files = {"/red.png": (self.red, "image/png"), "/blue.png": (self.blue, "image/png"),
                           "/page.html": (b"<html><body>Not an image</body></html>", "text/html")}
        self.host.hits.clear()
        parse = self.adapter.parse_product
        self.adapter.parse_product = lambda payload: self._with_image(parse(payload), payload)

    @staticmethod
    def _with_image(product, payload):
        product.image = payload.get("image") and Image(url=payload["image"])
        return product

    def url(self, path):
        return f"{self.server.url}{path}"

    def import_batch(self, *payloads):
        return self.env["shop.sync.product.importer"]._import_batch(
            self.backend, [self.adapter.parse_product(payload) for payload in payloads])

    def template(self, sku):
        return self.env["product.product"].search([("default_code", "=", sku)]).product_tmpl_id

    def rule(self, field, direction="import"):
        return self.backend.field_rule_ids.filtered(
            lambda r: (r.object, r.direction, r.field) == ("product", direction, field))

    def test_image_is_downloaded_once_and_again_when_it_changes(self):
        self.import_batch(product_payload("p1", "IMG-1", self.url("/red.png")))
        template = self.template("IMG-1")
        self.assertEqual(base64.b64decode(template.image_1920), self.red)
        binding = self.env["shop.sync.binding"]._for_record(self.backend, template)
        self.assertEqual(binding.image_ref, self.url("/red.png"))
        self.assertTrue(binding.image_checksum)
        self.import_batch(product_payload("p1", "IMG-1", self.url("/red.png")))
        self.assertEqual(self.host.hits, ["/red.png"], "an unchanged image is not downloaded again")
        self.import_batch(product_payload("p1", "IMG-1", self.url("/blue.png")))
        self.assertEqual(base64.b64decode(template.image_1920), self.blue)
        self.assertEqual(binding.image_ref, self.url("/blue.png"))

    def test_image_rule_off_on_update_keeps_odoo_image(self):
        self.import_batch(product_payload("p1", "IMG-2", self.url("/red.png")))
        self.rule("image").on_update = False
        self.import_batch(product_payload("p1", "IMG-2", self.url("/blue.png")))
        self.assertEqual(base64.b64decode(self.template("IMG-2").image_1920), self.red)
        self.assertEqual(self.host.hits, ["/red.png"], "an image that may not be written is not downloaded")

    def test_bad_images_are_logged_on_their_product_and_the_batch_is_imported(self):
        with patch.object(shop_sync_product_image, "IMAGE_MAX_BYTES", 1000):
            self.host.files["/huge.png"] = (png("green", (400, 400)) + b"\0" * 2000, "image/png")
            logs = self.import_batch(
                product_payload("p1", "BAD-404", self.url("/missing.png")),
                product_payload("p2", "BAD-HTML", self.url("/page.html")),
                product_payload("p3", "BAD-BIG", self.url("/huge.png")),
                product_payload("p4", "BAD-DOWN", "http://127.0.0.1:9/down.png"),
                product_payload("p5", "GOOD", self.url("/red.png")))
        self.assertEqual([log.state for log in logs], ["done"] * 5, "every product is imported")
        self.assertEqual(base64.b64decode(self.template("GOOD").image_1920), self.red)
        errors = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id),
                                                   ("reason", "=", "Image not imported")])
        by_ref = {log.external_ref: log.message for log in errors}
        self.assertEqual(sorted(by_ref), ["BAD-404", "BAD-BIG", "BAD-DOWN", "BAD-HTML"])
        self.assertIn("404", by_ref["BAD-404"])
        self.assertIn("not an image", by_ref["BAD-HTML"])
        self.assertIn("more than the 1000", by_ref["BAD-BIG"])
        self.assertIn("no answer", by_ref["BAD-DOWN"])
        for sku in ("BAD-404", "BAD-HTML", "BAD-BIG", "BAD-DOWN"):
            template = self.template(sku)
            self.assertFalse(template.image_1920)
            self.assertIn(template, errors.mapped(lambda log: self.env["product.template"].browse(log.res_id)))
            self.assertFalse(self.env["shop.sync.binding"]._for_record(self.backend, template).image_ref,
                             "the next import tries the image again")

    def test_images_of_a_batch_are_stored_and_released_one_at_a_time(self):
        """A job's batch holds one image at a time: each is written (and dropped from the ORM cache)
        before the next is downloaded; all of a batch's images were held at once before."""
        Images = type(self.env["shop.sync.product.image"])
        download, seen = Images._download, []

        def recording_download(model, image, shop_host=""):
            templates = self.env["product.product"].search([("default_code", "=like", "ONE-%")]).product_tmpl_id
            stored = self.env["ir.attachment"].search([
                ("res_model", "=", "product.template"), ("res_field", "=", "image_1920"),
                ("res_id", "in", templates.ids)])
            seen.append((len(stored), any(template._cache.get("image_1920") for template in templates)))
            return download(model, image, shop_host)
        colours = ["red", "blue", "red", "blue", "red"]
        with patch.object(Images, "_download", recording_download):
            logs = self.import_batch(*(product_payload(f"p{index}", f"ONE-{index}", self.url(f"/{colour}.png"))
                                       for index, colour in enumerate(colours)))
        self.assertEqual([log.state for log in logs], ["done"] * 5, [log.message for log in logs])
        self.assertEqual(seen, [(stored, False) for stored in range(5)])
        for index, colour in enumerate(colours):
            self.assertEqual(base64.b64decode(self.template(f"ONE-{index}").image_1920), getattr(self, colour))

    def test_an_image_odoo_cannot_store_is_logged_on_its_product_and_the_batch_is_imported(self):
        """An image Odoo refuses when writing it (here: bytes that are no image) costs its product
        only the image, with an error log on that product; it used to fail the whole product."""
        Images = type(self.env["shop.sync.product.image"])
        download = Images._download

        def download_garbage_for_bad(model, image, shop_host=""):
            return (b"no image at all", None) if image.url.endswith("/bad.png") else download(model, image, shop_host)
        with patch.object(Images, "_download", download_garbage_for_bad):
            logs = self.import_batch(product_payload("p1", "STORE-GOOD-1", self.url("/red.png")),
                                     product_payload("p2", "STORE-BAD", self.url("/bad.png")),
                                     product_payload("p3", "STORE-GOOD-2", self.url("/blue.png")))
        self.assertEqual([(log.state, log.message) for log in logs], [("done", "Created.")] * 3)
        self.assertEqual(base64.b64decode(self.template("STORE-GOOD-1").image_1920), self.red)
        self.assertEqual(base64.b64decode(self.template("STORE-GOOD-2").image_1920), self.blue)
        bad = self.template("STORE-BAD")
        self.assertFalse(bad.image_1920)
        error = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id),
                                                  ("reason", "=", "Image not imported")])
        self.assertEqual((error.external_ref, error.res_id), ("STORE-BAD", bad.id))
        self.assertIn("could not be stored", error.message)
        self.assertFalse(self.env["shop.sync.binding"]._for_record(self.backend, bad).image_ref,
                         "the next import tries the image again")


    def test_addresses_in_odoos_own_network_are_refused_and_the_batch_is_imported(self):
        """Server-side request forgery: an image address from the shop must not make Odoo fetch from
        its own network, whatever the name resolves to; the shop's own host stays allowed."""
        real_getaddrinfo = socket.getaddrinfo
        names = {"cdn.example": "127.0.0.1", "metadata.example": "169.254.169.254", "intranet.example": "fd00::7"}

        def getaddrinfo(host, port, *args, **kwargs):
            if host in names:
                family = socket.AF_INET6 if ":" in names[host] else socket.AF_INET
                return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (names[host], port))]
            return real_getaddrinfo(host, port, *args, **kwargs)
        port = urlsplit(self.server.url).port
        with patch.object(socket, "getaddrinfo", getaddrinfo):
            logs = self.import_batch(
                product_payload("p1", "SSRF-PRIVATE", f"http://10.1.2.3:{port}/red.png"),
                product_payload("p2", "SSRF-LOOPBACK6", f"http://[::1]:{port}/red.png"),
                product_payload("p3", "SSRF-RESOLVED", f"http://cdn.example:{port}/red.png"),
                product_payload("p4", "SSRF-METADATA", "http://metadata.example/latest/meta-data/"),
                product_payload("p5", "SSRF-PRIVATE6", "https://intranet.example/red.png"),
                product_payload("p6", "SSRF-FILE", "file:///etc/passwd"),
                product_payload("p7", "SHOP-HOST", self.url("/red.png")))
        self.assertEqual([log.state for log in logs], ["done"] * 7, "every product is imported")
        self.assertEqual(self.host.hits, ["/red.png"], "only the shop's own host was asked")
        self.assertEqual(base64.b64decode(self.template("SHOP-HOST").image_1920), self.red)
        errors = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id),
                                                   ("reason", "=", "Image not imported")])
        by_ref = {log.external_ref: log.message for log in errors}
        self.assertEqual(sorted(by_ref), ["SSRF-FILE", "SSRF-LOOPBACK6", "SSRF-METADATA", "SSRF-PRIVATE",
                                          "SSRF-PRIVATE6", "SSRF-RESOLVED"])
        self.assertIn("10.1.2.3 is a private address", by_ref["SSRF-PRIVATE"])
        self.assertIn("::1 is a loopback address", by_ref["SSRF-LOOPBACK6"])
        self.assertIn("cdn.example is 127.0.0.1, a loopback address", by_ref["SSRF-RESOLVED"])
        self.assertIn("metadata.example is 169.254.169.254, a link-local address", by_ref["SSRF-METADATA"])
        self.assertIn("intranet.example is fd00::7, a private address", by_ref["SSRF-PRIVATE6"])
        self.assertIn("not a web address", by_ref["SSRF-FILE"])
        for sku in by_ref:
            self.assertFalse(self.template(sku).image_1920)

    def test_only_the_configured_shop_host_is_exempt(self):
        """The simulators' 127.0.0.1 is allowed because it is the backend's shop host, not because it
        is local: with another shop address the same image is refused."""
        self.backend.api_url = "https://shop.example"
        self.import_batch(product_payload("p1", "OTHER-SHOP", self.url("/red.png")))
        self.assertEqual(self.host.hits, [])
        log = self.env["shop.sync.log"].search([
            ("backend_id", "=", self.backend.id), ("external_ref", "=", "OTHER-SHOP"),
            ("reason", "=", "Image not imported")])
        self.assertIn("127.0.0.1 is a loopback address", log.message)

    def test_a_name_resolving_elsewhere_when_connecting_is_refused(self):
        """DNS rebinding: the name is public when checked, the connection reaches 127.0.0.1."""
        real_getaddrinfo = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            return real_getaddrinfo("127.0.0.1" if host == "rebind.example" else host, port, *args, **kwargs)
        port = urlsplit(self.server.url).port
        # Odoo's tests block requests to other hosts than localhost: this one is sent (to 127.0.0.1)
        with patch.object(http, "resolve", lambda host, port: ["93.184.216.34"]), \
                patch.object(socket, "getaddrinfo", getaddrinfo), \
                patch.object(requests.Session, "send", odoo_test_common._super_send):
            self.import_batch(product_payload("p1", "REBIND", f"http://rebind.example:{port}/red.png"))
        self.assertEqual(self.host.hits, [], "nothing was sent to the address reached")
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("external_ref", "=", "REBIND"),
                                                ("reason", "=", "Image not imported")])
        self.assertIn("rebind.example connected to 127.0.0.1, a loopback address", log.message)
        self.assertFalse(self.template("REBIND").image_1920)

    def test_address_refusal_judges_ipv4_and_ipv6(self):
        cases = {"8.8.8.8": "", "2a00:1450:4001::200e": "", "127.0.0.1": "loopback", "::1": "loopback",
                 "::ffff:127.0.0.1": "loopback", "192.168.1.1": "private", "fd12::1": "private",
                 "169.254.169.254": "link-local", "fe80::1%eth0": "link-local", "224.0.0.1": "multicast",
                 "ff02::1": "multicast", "240.0.0.1": "reserved", "0.0.0.0": "unspecified",
                 "100.64.0.1": "non-public"}
        self.assertEqual({address: http.address_refusal(address) for address in cases}, cases)


@tagged("post_install", "-at_install", "shop_sync")
class TestProductImageExport(ShopSyncCase):
    def setUp(self):
        super().setUp()
        self.sent = []
        self.adapter.IMAGE_EXPORT = "content"

        def export_product(product, external_id=None, publish=False):
            self.sent.append(product.image)
            return {"": external_id or "remote-1", product.sku: "remote-1-v"}
        self.adapter.export_product = export_product
        self.template = self.env["product.template"].create({
            "name": "Pictured", "default_code": "PIC-1", "type": "consu", "image_1920": base64.b64encode(png("red"))})

    def export(self):
        return self.env["shop.sync.product.exporter"]._export(self.backend, self.template)

    def test_image_is_sent_only_when_it_changed(self):
        self.export()
        image = self.sent[-1]
        self.assertEqual(image.content, png("red"))
        self.assertEqual(image.mimetype, "image/png")
        query = parse_qs(urlsplit(image.url).query)
        self.assertEqual(urlsplit(image.url).path,
                         f"/web/image/product.template/{self.template.id}/image_1920/PIC-1-{self.template.id}.png",
                         "a file name with its extension ends the address (WooCommerce takes the type from it)")
        self.assertTrue(query["access_token"][0])
        self.export()
        self.assertEqual(len(self.sent), 1, "an unchanged product is not sent again")
        self.template.list_price = 12.5
        self.export()
        self.assertIsNone(self.sent[-1], "a changed product is sent without its unchanged image")
        self.template.image_1920 = base64.b64encode(png("blue"))
        self.export()
        self.assertEqual(self.sent[-1].content, png("blue"))

    def test_image_rule_off_sends_no_image(self):
        self.backend.field_rule_ids.filtered(
            lambda r: (r.object, r.direction, r.field) == ("product", "export", "image")).on_create = False
        self.export()
        self.assertIsNone(self.sent[-1])

    def test_public_address_serves_the_image_to_anyone_with_it(self):
        self.export()
        image = self.sent[-1]
        path = urlsplit(image.url)
        record = self.env["ir.binary"].with_user(self.env.ref("base.public_user"))._find_record(
            res_model="product.template", res_id=self.template.id, field="image_1920",
            access_token=parse_qs(path.query)["access_token"][0])
        self.assertEqual(record, self.template)
