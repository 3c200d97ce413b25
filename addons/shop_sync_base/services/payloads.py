"""Reading received JSON payloads (webhook bodies, inbox events), whose shape nobody guarantees."""

import json


class NestedTooDeeply(ValueError):
    """A JSON document nested deeper than the parser follows (Python's recursion limit)."""


def loads(text):
    """``json.loads``; a document nested too deeply (e.g. 100,000 ``[``) raises
    :class:`NestedTooDeeply`, a ``ValueError`` like any other unreadable payload, instead of the
    ``RecursionError`` nobody catches (a webhook answered HTTP 500, its body lost)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise NestedTooDeeply(
            "The payload is nested too deeply to be read (more levels than the JSON parser follows).") from None
