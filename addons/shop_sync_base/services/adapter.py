"""The contract between the hub and a shop adapter.

An adapter only translates: it talks to one shop's API and converts payloads to and from the
canonical records of :mod:`.records`.  It takes no business decision (allowed states, dedupe,
matching, taxes, field rules and logging live in the base pipelines).  Connector addons
subclass :class:`ShopAdapter` and return an instance from ``shop.sync.backend._get_adapter()``.
"""

from urllib.parse import urlsplit

#: health of one needed webhook topic, worst last (the backend shows the worst)
WEBHOOK_OK, WEBHOOK_DISABLED, WEBHOOK_WRONG_ADDRESS, WEBHOOK_MISSING = "ok", "disabled", "wrong_address", "missing"
WEBHOOK_SEVERITY = (WEBHOOK_OK, WEBHOOK_DISABLED, WEBHOOK_WRONG_ADDRESS, WEBHOOK_MISSING)


class WebhookRejected(Exception):
    """The webhook failed verification (bad signature, unknown topic): answer 401, log it."""


class ShopAdapter:
    """Base class of shop adapters; every method a connector must provide raises here."""

    #: external model names used in bindings and the inbox
    ORDER, PRODUCT = "order", "product"
    #: what lands where, shown on the backend form: (shop field, Odoo field, note)
    FIELD_MAPPING = ()
    #: the webhook topics ``register_webhooks`` subscribes, named as it returns them
    WEBHOOK_TOPICS = ()
    #: how the shop rounds taxes, in Odoo's terms ('round_per_line' or 'round_globally'); None: unknown.
    #: Odoo's company setting must agree, else its totals differ from the shop's by cents.
    TAX_ROUNDING = None
    #: when the data of the last ``fetch_all_products`` walk was taken, if earlier than the walk
    fetched_as_of = None
    #: where an interrupted ``fetch_orders`` or ``fetch_products`` walk continues (an opaque value, e.g. the
    #: shop's cursor after the last page whose records were all yielded); None: the adapter cannot continue one
    resume_point = None

    def __init__(self, backend_config):
        """``backend_config``: a dict of the backend's connection settings (url, credentials...)."""
        self.config = backend_config

    # -- connection ---------------------------------------------------------------------------
    def test_connection(self):
        """Call the remote with the credentials; return a short description of the shop."""
        raise NotImplementedError

    def order_states(self):
        """The shop's own order states as ``[(code, label)]``, for the allowed-states checkboxes."""
        raise NotImplementedError

    def default_allowed_states(self):
        """State codes allowed on a new backend (e.g. paid, processing)."""
        return []

    def default_cancel_states(self):
        """State codes meaning the shop cancelled the order: an imported order reaching one is
        cancelled in Odoo (and in accounting) by the base."""
        return []

    def identify(self, object_name, payload):
        """Return ``(external_id, external_ref)`` of a raw ``order`` or ``product`` payload, cheaply
        (no full parse), for the inbox; the ref is the order number or SKU people search for."""
        raise NotImplementedError

    # -- orders -------------------------------------------------------------------------------
    def fetch_orders(self, updated_since):
        """Yield raw order payloads changed since ``updated_since`` (aware datetime or None).  An
        adapter that sets ``resume_point`` also takes ``resume_from``, one of its resume points of an
        interrupted walk with the same ``updated_since``: it continues after it."""
        raise NotImplementedError

    def fetch_order(self, external_id):
        """Return the raw payload of one order (used to refresh a webhook notification)."""
        raise NotImplementedError

    def parse_order(self, payload):
        """Translate a raw order payload (from polling or a webhook) into a ``records.Order``, with
        every refund the shop has for it in ``Order.refunds`` (the base imports each refund once)."""
        raise NotImplementedError

    # -- products -----------------------------------------------------------------------------
    def fetch_products(self, updated_since=None):
        """Yield raw product payloads (all when ``updated_since`` is None); ``resume_from`` as for
        ``fetch_orders``, for an adapter that sets ``resume_point`` while walking them."""
        raise NotImplementedError

    def fetch_all_products(self):
        """Yield every product payload, for a full import; a shop with a bulk export overrides it
        (raising a :class:`~.http.Postponed` while the export is being prepared).  ``fetched_as_of``
        (aware datetime), when set after the walk, is when the data read was taken."""
        return self.fetch_products(None)

    def parse_product(self, payload):
        """Translate a raw product payload into a ``records.Product``: its prices as the shop states
        them, ``price_includes_tax`` saying whether they include VAT (``prices_include_tax()``)."""
        raise NotImplementedError

    def prices_include_tax(self):
        """Whether the shop's catalogue prices include VAT, by the backend's setting of the shop's
        (``prices_include_tax`` in the configuration) or the shop's documented convention.  The base
        converts between them and Odoo's sales price with the Odoo product's taxes (exported prices
        arrive in this convention); the adapter never converts."""
        return bool(self.config.get("prices_include_tax", True))

    #: how the shop takes an exported product image (``Product.image``): "url" (it fetches Odoo's public
    #: address), "content" (an upload of the bytes), None (images are not exported)
    IMAGE_EXPORT = None

    #: the shop field that still takes a category the shop does not have (e.g. Shopify's free-text
    #: product type), named in the log; empty: such a category is left out of the export
    UNKNOWN_CATEGORY_KEPT_AS = ""

    def known_categories(self, names):
        """Which of the category ``names`` the shop has (an exported ``Product.category`` must be one
        of them; the others are logged and left out).  Default: every name, for shops whose category
        is free text."""
        return set(names)

    def export_product(self, product, external_id=None, publish=False):
        """Create (``external_id`` None) or update a product in the shop from a ``records.Product``;
        return ``{sku: external variant id}`` plus ``"": product id``.  Never deletes.  ``product.image``,
        when set, is a changed image that replaces the shop's main image."""
        raise NotImplementedError

    # -- stock --------------------------------------------------------------------------------
    def stock_locations(self):
        """The shop's stock locations as ``[(id, name)]``; empty when it keeps one stock per product."""
        return []

    def push_stock(self, levels):
        """Write ``records.StockLevel`` quantities (at ``level.location_id``, or the shop's default
        location when empty); return a list of ``records.PushResult`` naming the same location."""
        raise NotImplementedError

    # -- fulfilments --------------------------------------------------------------------------
    #: whether the shop can record the delivery of part of an order (otherwise the base reports the
    #: order once it is completely delivered)
    PARTIAL_FULFILMENT = True

    def fulfilments(self, order_external_id):
        """The shipments the shop already records on an order, as ``records.Fulfilment`` (with
        their ``external_id``), so a delivery is never reported twice."""
        raise NotImplementedError

    def create_fulfilment(self, fulfilment):
        """Record a ``records.Fulfilment`` in the shop (carrier, tracking, the customer notified);
        return the shop's id of it.  Raise RemoteError with the shop's message when refused."""
        raise NotImplementedError

    # -- webhooks -----------------------------------------------------------------------------
    def register_webhooks(self, callback_url):
        """Create the shop's webhook subscriptions pointing at ``callback_url``; return a list of
        ``(topic, remote id)``.  A secret the shop generated is then read with ``webhook_secret()``."""
        raise NotImplementedError

    def list_webhooks(self):
        """The shop's webhook subscriptions right now (read-only), as ``records.WebhookSubscription``
        named like ``WEBHOOK_TOPICS``; subscriptions of other topics may be included."""
        raise NotImplementedError

    def webhook_secret(self):
        """The signing secret the shop generated in ``register_webhooks``, stored on the backend;
        None when deliveries are signed with the backend's own secret."""
        return None

    def webhook_ack(self, headers, params):
        """A short description when the request is the shop's unsigned delivery test (answered 200,
        logged, nothing stored); None for a real delivery.  ``params``: the request's form fields."""
        return None

    def verify_webhook(self, headers, body):
        """Raise :class:`WebhookRejected` unless the signature of ``body`` (bytes) is valid."""
        raise NotImplementedError

    def webhook_topic(self, headers):
        """The remote's name of a webhook's event (e.g. ``orders/updated``), for the inbox."""
        return None

    def webhook_event(self, headers, payload):
        """Classify a verified webhook: return ``(object, external_id, external_ref)`` where object
        is ``ORDER`` or ``PRODUCT``, or None for a notification to ignore (e.g. a ping)."""
        raise NotImplementedError


def webhook_health(topics, subscriptions, callback_url):
    """Compare the ``topics`` the hub needs with the shop's ``subscriptions``; return one
    ``(topic, status, detail)`` per topic, status one of ``WEBHOOK_SEVERITY``: ok (an active
    subscription delivers to ``callback_url``), disabled (it exists but is not active), wrong_address
    (the topic is subscribed, but elsewhere: detail is that address with its last segment, a
    possible token, masked) or missing."""
    wanted = _normalised(callback_url)
    result = []
    for topic in topics:
        found = [sub for sub in subscriptions if sub.topic == topic]
        ours = [sub for sub in found if _normalised(sub.address) == wanted]
        if any(sub.active for sub in ours):
            result.append((topic, WEBHOOK_OK, ""))
        elif ours:
            result.append((topic, WEBHOOK_DISABLED, ""))
        elif found:
            result.append((topic, WEBHOOK_WRONG_ADDRESS, ", ".join(sorted({_masked(sub.address) for sub in found}))))
        else:
            result.append((topic, WEBHOOK_MISSING, ""))
    return result


def _normalised(url):
    return (url or "").strip().rstrip("/")


def _masked(url):
    parts = urlsplit(url or "")
    head, _slash, last = parts.path.rstrip("/").rpartition("/")
    path = f"{head}/…" if last else parts.path
    return f"{parts.scheme}://{parts.netloc}{path}" if parts.netloc else (url or "?")
