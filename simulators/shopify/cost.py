"""Calculated query cost, following Shopify's documented rules, and the leaky bucket that spends it.

Scalars and enums cost 0, objects 1, a connection 2 plus its page size (``first``/``last``) times the
cost of one node, interfaces and unions the most expensive of their type-conditioned selections, and
every root field of a mutation 10.  The *actual* cost applies the same rules to the returned data, so
short pages and null objects cost less.  The same walk enforces Shopify's paging argument rules.
"""

import math
from collections import defaultdict

from graphql import GraphQLEnumType, GraphQLObjectType, GraphQLScalarType, get_named_type
from graphql.execution.values import get_argument_values
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationType,
    get_location,
)

MUTATION_COST = 10
CONNECTION_COST = 2
MAX_PAGE_SIZE = 250
NOT_RETURNED = object()  # cost requested, before execution: no data to look at


class QueryCostAnalysis:
    """Cost of one operation of a validated document (``variables``: graphql-core ``VariableValues``)."""

    def __init__(self, schema, document, operation, variables):
        self.schema = schema
        self.operation = operation
        self.variables = variables
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.errors = []  # paging argument errors, in Shopify's shape, found by ``requested()``

    def requested(self):
        return self._operation_cost(NOT_RETURNED)

    def actual(self, data):
        return self._operation_cost(data or {})

    def _operation_cost(self, data):
        if self.operation.operation == OperationType.MUTATION:
            if data is NOT_RETURNED:  # payload selections are free, but their paging arguments are checked
                self._selection_cost(self.schema.mutation_type, self.operation.selection_set, data, [])
            return MUTATION_COST * len(list(self._collect(self.operation.selection_set)))
        return self._selection_cost(self.schema.query_type, self.operation.selection_set, data, [])

    def _collect(self, selection_set, condition=None):
        """Yield ``(field node, type condition name)`` of a selection set, through fragments."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, condition
            elif isinstance(selection, InlineFragmentNode):
                inner = selection.type_condition.name.value if selection.type_condition else condition
                yield from self._collect(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                yield from self._collect(fragment.selection_set, fragment.type_condition.name.value)

    def _selection_cost(self, parent_type, selection_set, data, path):
        """Fields without a type condition add up; per-condition sums count only the largest."""
        if selection_set is None:
            return 0
        common = 0
        conditional = defaultdict(int)
        for node, condition in self._collect(selection_set):
            owner = self.schema.type_map[condition] if condition else parent_type
            cost = self._field_cost(owner, node, data, path)
            if condition and condition != parent_type.name:
                conditional[condition] += cost
            else:
                common += cost
        return common + max(conditional.values(), default=0)

    def _field_cost(self, owner, node, data, path):
        name = node.name.value
        if name.startswith("__"):
            return 0
        definition = owner.fields[name]
        named_type = get_named_type(definition.type)
        if isinstance(named_type, (GraphQLScalarType, GraphQLEnumType)):
            return 0
        key = (node.alias or node.name).value
        value = data if data is NOT_RETURNED else data.get(key) if isinstance(data, dict) else None
        if _is_connection(named_type, definition):
            return self._connection_cost(named_type, definition, node, value, path + [key])
        if value is None:
            return 1
        if isinstance(value, list):
            children = [self._selection_cost(named_type, node.selection_set, item, path + [key]) for item in value]
            return 1 + max(children, default=0)
        return 1 + self._selection_cost(named_type, node.selection_set, value, path + [key])

    def _connection_cost(self, connection_type, definition, node, value, path):
        node_type = get_named_type(get_named_type(connection_type.fields["edges"].type).fields["node"].type)
        # how nodes are selected: (selection set of a node, key of "nodes"/"edges", key of "node" in an edge)
        node_selections = []
        for child, _ in self._collect(node.selection_set):
            child_key = (child.alias or child.name).value
            if child.name.value == "nodes":
                node_selections.append((child.selection_set, child_key, None))
            elif child.name.value == "edges":
                for grandchild, _ in self._collect(child.selection_set):
                    if grandchild.name.value == "node":
                        node_selections.append(
                            (grandchild.selection_set, child_key, (grandchild.alias or grandchild.name).value)
                        )
        if value is NOT_RETURNED:
            size = self._page_size(definition, node, path)
            per_node = max(
                (self._selection_cost(node_type, selection, NOT_RETURNED, _node_path(path, list_key, node_key))
                 for selection, list_key, node_key in node_selections),
                default=0,
            )
            return CONNECTION_COST + size * (1 + per_node)
        if value is None:
            return CONNECTION_COST
        pages = []
        for selection, list_key, node_key in node_selections:
            items = value.get(list_key) or []
            nodes = [item.get(node_key) if node_key else item for item in items]
            pages.append((selection, nodes, _node_path(path, list_key, node_key)))
        size = max((len(nodes) for _, nodes, _ in pages), default=0)
        total = CONNECTION_COST
        for index in range(size):
            costs = [
                self._selection_cost(node_type, selection, nodes[index], node_path)
                for selection, nodes, node_path in pages
                if index < len(nodes) and nodes[index] is not None
            ]
            total += 1 + max(costs, default=0)
        return total

    def _page_size(self, definition, node, path):
        arguments = get_argument_values(definition, node, self.variables)
        first, last = arguments.get("first"), arguments.get("last")
        if first is None and last is None:
            self._error("you must provide one of first or last", node, path)
            return 0
        for name, size in (("first", first), ("last", last)):
            if size is not None and size > MAX_PAGE_SIZE:
                self._error(
                    f"{name} cannot exceed {MAX_PAGE_SIZE}. To query larger amounts of data with fewer limits, "
                    "bulk operations should be used instead.",
                    node, path, code="BAD_REQUEST",
                )
        return max(first or 0, last or 0)

    def _error(self, message, node, path, code=None):
        location = get_location(node.loc.source, node.loc.start)
        error = {"message": message, "locations": [{"line": location.line, "column": location.column}], "path": path}
        if code:
            error["extensions"] = {"code": code}
        self.errors.append(error)


def _node_path(path, list_key, node_key):
    return path + [list_key] + ([node_key] if node_key else [])


def _is_connection(named_type, definition):
    return (
        isinstance(named_type, GraphQLObjectType)
        and named_type.name.endswith("Connection")
        and "edges" in named_type.fields
        and "first" in definition.args
    )


class LeakyBucket:
    """Cost points restored continuously at ``restore_rate`` per second up to ``size``; ``clock`` gives seconds."""

    def __init__(self, size, restore_rate, clock):
        self.size = size
        self.restore_rate = restore_rate
        self.clock = clock
        self._available = float(size)
        self._updated = clock()

    def available(self):
        now = self.clock()
        self._available = min(self.size, self._available + max(0.0, now - self._updated) * self.restore_rate)
        self._updated = now
        return self._available

    def spend(self, points):
        """Take ``points`` if that many are available; False (and nothing taken) otherwise."""
        if points > self.available():
            return False
        self._available -= points
        return True

    def refund(self, points):
        self._available = min(self.size, self.available() + points)

    def status(self):
        """``throttleStatus`` as Shopify reports it."""
        return {
            "maximumAvailable": float(self.size),
            "currentlyAvailable": math.floor(self.available()),
            "restoreRate": float(self.restore_rate),
        }
