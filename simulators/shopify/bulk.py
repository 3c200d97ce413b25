"""Bulk query operations as Shopify documents them (GraphQL Admin API 2025-01).

Sources: https://shopify.dev/docs/api/usage/bulk-operations/queries and the 2025-01 reference of
``bulkOperationRunQuery``, ``currentBulkOperation`` and ``BulkOperation``:

* ``bulkOperationRunQuery(query:)`` validates the query against the schema; it must select one
  top-level field and at least one connection, at most five connections, nested at most two levels
  deep (else a ``userErrors`` entry, code ``INVALID``).  Before 2026-01 an app runs one bulk query
  at a time per shop: another one while it runs is ``OPERATION_IN_PROGRESS``.
* The operation is ``CREATED``, then ``RUNNING``, then ``COMPLETED`` with ``url`` (the JSONL file,
  readable without the access token: Shopify hands a signed storage URL), ``objectCount``,
  ``rootObjectCount``, ``fileSize`` and ``completedAt``; clients poll ``currentBulkOperation`` or
  ``node(id:)``.  An operation that selects no object completes with ``url`` null.
* The JSONL file holds one object per line; the nodes of a nested connection are lines of their
  own, after their parent, carrying ``__parentId`` (the parent's ``id``) instead of being nested.
  Pagination arguments are not needed: every node is exported.

Simulator choices: the data is read when the operation is created; it runs for ``duration``
seconds of the simulator's clock (``run_seconds``, default 2) before it completes.
"""

import itertools
import json
import secrets
from datetime import datetime, timedelta

from graphql import GraphQLError, execute, parse, validate
from graphql.language import FieldNode, OperationDefinitionNode
from graphql.type import get_named_type

from .schema import admin_schema

MAX_CONNECTIONS = 5
MAX_NESTING = 2
IN_PROGRESS = ("CREATED", "RUNNING")


class BulkOperations:
    """The bulk operations of one shop; ``files`` maps a download token to JSONL bytes."""

    def __init__(self, clock, now, views, field_resolver, run_seconds=2):
        self.clock = clock  # seconds (float), the simulator's clock
        self.now = now  # aware datetime of the clock, for timestamps
        self.views = views
        self.field_resolver = field_resolver
        self.run_seconds = run_seconds
        self.operations = {}  # gid -> record
        self.files = {}  # token -> bytes
        self._numbers = itertools.count(1)
        self.base_url = "http://localhost"

    # -- GraphQL ------------------------------------------------------------------------------------
    def run_query(self, info, query):
        """``bulkOperationRunQuery``: the payload (the operation, or userErrors)."""
        current = self.current("QUERY")
        if current and current["status"] in IN_PROGRESS:
            return _user_error("OPERATION_IN_PROGRESS", None,
                               f"A bulk query operation for this app and shop is already in progress: {current['id']}.")
        problem = self._invalid(query)
        if problem:
            return _user_error("INVALID", ["query"], problem)
        result = execute(admin_schema(), parse(query), root_value=self.views.root(),
                         context_value={"search": []}, field_resolver=self.field_resolver)
        if result.errors:
            return _user_error("INVALID", ["query"], result.errors[0].message)
        lines, roots = _jsonl_lines(result.data)
        number = next(self._numbers)
        token = secrets.token_urlsafe(12)
        body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
        if lines:
            self.files[token] = body
        record = {
            "id": f"gid://shopify/BulkOperation/{number}", "type": "QUERY", "query": query,
            "created": self.clock(), "createdAt": _iso(self.now()), "token": token if lines else None,
            "objectCount": len(lines), "rootObjectCount": roots, "fileSize": len(body) if lines else None,
        }
        self.operations[record["id"]] = record
        return {"bulkOperation": self.render(record), "userErrors": []}

    def current(self, type="QUERY"):
        """The app's most recent operation of ``type``, with its status now (None if none)."""
        records = [record for record in self.operations.values() if record["type"] == type]
        return self.render(records[-1]) if records else None

    def node(self, gid):
        record = self.operations.get(gid)
        return self.render(record) if record else None

    def render(self, record):
        elapsed = self.clock() - record["created"]
        done = elapsed >= self.run_seconds
        status = "COMPLETED" if done else ("RUNNING" if elapsed > 0 else "CREATED")
        return {
            "__typename": "BulkOperation", "id": record["id"], "type": record["type"], "status": status,
            "query": record["query"], "createdAt": record["createdAt"], "errorCode": None,
            "completedAt": _iso_after(record, self.run_seconds) if done else None,
            "objectCount": str(record["objectCount"] if done else 0),
            "rootObjectCount": str(record["rootObjectCount"] if done else 0),
            "fileSize": str(record["fileSize"]) if done and record["fileSize"] is not None else None,
            "url": f"{self.base_url}/_bulk/{record['token']}.jsonl" if done and record["token"] else None,
            "partialDataUrl": None,
        }

    # -- validation (the documented limits of a bulk query) ------------------------------------------
    def _invalid(self, query):
        """Why ``query`` cannot run in bulk, or None."""
        schema = admin_schema()
        try:
            document = parse(query)
        except GraphQLError as error:
            return error.message
        errors = validate(schema, document)
        if errors:
            return errors[0].message
        operations = [definition for definition in document.definitions
                      if isinstance(definition, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].operation.value != "query":
            return "Bulk queries must contain exactly one query operation."
        fields = [selection for selection in operations[0].selection_set.selections if isinstance(selection, FieldNode)]
        if len(fields) != 1:
            return "Bulk queries must select exactly one top-level field."
        connections = list(_connections(schema.query_type, operations[0].selection_set, 0))
        if not connections:
            return "Bulk queries must contain at least one connection."
        if len(connections) > MAX_CONNECTIONS:
            return f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections."
        if max(depth for _name, depth in connections) > MAX_NESTING:
            return f"Bulk queries cannot contain connections with a nesting depth greater than {MAX_NESTING}."
        return None


def _connections(parent_type, selection_set, depth):
    """(field name, nesting depth) of every connection selected under ``parent_type``."""
    for selection in selection_set.selections if selection_set else ():
        if not isinstance(selection, FieldNode) or selection.name.value.startswith("__"):
            continue
        field = getattr(parent_type, "fields", {}).get(selection.name.value)
        if field is None:
            continue
        field_type = get_named_type(field.type)
        if field_type.name.endswith("Connection"):
            yield selection.name.value, depth + 1
            for inner in selection.selection_set.selections:
                if isinstance(inner, FieldNode) and inner.name.value in ("edges", "nodes"):
                    node_type = get_named_type(field_type.fields[inner.name.value].type)
                    if inner.name.value == "edges":
                        for edge_field in inner.selection_set.selections:
                            if isinstance(edge_field, FieldNode) and edge_field.name.value == "node":
                                node_type = get_named_type(node_type.fields["node"].type)
                                yield from _connections(node_type, edge_field.selection_set, depth + 1)
                    else:
                        yield from _connections(node_type, inner.selection_set, depth + 1)
        elif selection.selection_set:
            yield from _connections(field_type, selection.selection_set, depth)


def _connection_nodes(value):
    """The nodes of a connection value (``edges { node }`` or ``nodes``), else None."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("nodes"), list):
        return value["nodes"]
    if isinstance(value.get("edges"), list):
        return [edge.get("node") for edge in value["edges"] if isinstance(edge, dict)]
    return None


def _jsonl_lines(data):
    """The JSONL objects of a bulk query's result: each node of the top connection, then the nodes
    of its nested connections as lines of their own with ``__parentId``; (lines, root count)."""
    lines = []
    (top,) = data.values()
    roots = _connection_nodes(top) or []
    for node in roots:
        _emit(node, None, lines)
    return lines, len(roots)


def _emit(node, parent_id, lines):
    own, children = {}, []
    for key, value in node.items():
        nested = _connection_nodes(value)
        if nested is None:
            own[key] = value
        else:
            children.extend(nested)
    if parent_id:
        own["__parentId"] = parent_id
    lines.append(own)
    for child in children:
        _emit(child, node.get("id"), lines)


def _user_error(code, field, message):
    return {"bulkOperation": None, "userErrors": [{"code": code, "field": field, "message": message}]}


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_after(record, seconds):
    created = datetime.strptime(record["createdAt"], "%Y-%m-%dT%H:%M:%SZ")
    return (created + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
