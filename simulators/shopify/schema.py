"""The vendor's Admin GraphQL schema (2025-01 introspection) and Shopify-shaped validation errors.

The schema is read from the shared specs folder (``$SHOP_SYNC_SPECS``, default ``<repo>/../shared/specs``)
once per process, on first use.
"""

import gzip
import json
import os
import re
from functools import lru_cache, cache
from pathlib import Path

from graphql import build_client_schema, print_ast
from graphql.language import (
    ArgumentNode,
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    OperationDefinitionNode,
)

SCHEMA_FILE = "shopify/admin_schema_2025-01.json.gz"

_UNDEFINED_FIELD = re.compile(r"Cannot query field '(\w+)' on type '(\w+)'")
_UNKNOWN_ARGUMENT = re.compile(r"Unknown argument '(\w+)' on field '\w+\.(\w+)'")
_MISSING_ARGUMENT = re.compile(r"Argument '\w+\.(\w+)\((\w+):\)' of type '[^']+' is required")
_SEARCH_FIELD_ROW = re.compile(r"^\| (\w+) \| (\w+) \|", re.MULTILINE)


def specs_dir():
    """Folder of the vendor specs: ``$SHOP_SYNC_SPECS`` or ``<repo>/../shared/specs``."""
    override = os.environ.get("SHOP_SYNC_SPECS")
    return Path(override) if override else Path(__file__).resolve().parents[2].parent / "shared" / "specs"


@lru_cache(maxsize=1)
def admin_schema():
    """The client schema built from Shopify's introspection result."""
    path = specs_dir() / SCHEMA_FILE
    if not path.is_file():
        raise FileNotFoundError(f"Shopify's Admin GraphQL schema is missing at {path}: every document is validated "
                                "against it. Set SHOP_SYNC_SPECS to the vendor specs folder.")
    with gzip.open(path) as handle:
        introspection = json.load(handle)
    schema = build_client_schema(introspection.get("data", introspection))
    # graphql-core refuses schemas where an implementation deprecates a field its interface does not
    # (Shopify has two such fields); that rule is irrelevant to validating and executing documents.
    schema._validation_errors = []
    return schema


@cache
def documented_search_fields(type_name, field_name):
    """Search field names listed in the description of ``type_name.field_name(query:)``."""
    description = admin_schema().type_map[type_name].fields[field_name].args["query"].description or ""
    return frozenset(name for name, kind in _SEARCH_FIELD_ROW.findall(description) if kind != "type")


def document_path(document, target):
    """Shopify's error path to an AST node: operation label, then fields (alias or name) down to it."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            label = definition.operation.value
            if definition.name:
                label = f"{label} {definition.name.value}"
        elif isinstance(definition, FragmentDefinitionNode):
            label = f"fragment {definition.name.value}"
        else:
            continue
        path = _find_node(definition.selection_set, target, [label])
        if path:
            return path
    return None


def _find_node(selection_set, target, path):
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            step = path + [(selection.alias or selection.name).value]
            if selection is target:
                return step
            for argument in selection.arguments or ():
                if argument is target:
                    return step + [argument.name.value]
        elif isinstance(selection, InlineFragmentNode):
            step = path + [f"... on {selection.type_condition.name.value}"] if selection.type_condition else path
        else:
            continue
        found = _find_node(selection.selection_set, target, step)
        if found:
            return found
    return None


def shopify_validation_error(error, document):
    """Translate a graphql-core validation error to the shape Shopify (graphql-ruby) answers."""
    formatted = {"message": error.message}
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    node = error.nodes[0] if error.nodes else None
    path = document_path(document, node) if isinstance(node, (FieldNode, ArgumentNode)) else None
    if path:
        formatted["path"] = path
    if match := _UNDEFINED_FIELD.search(error.message):
        field, type_name = match.groups()
        formatted["message"] = f"Field '{field}' doesn't exist on type '{type_name}'"
        formatted["extensions"] = {"code": "undefinedField", "typeName": type_name, "fieldName": field}
    elif match := _UNKNOWN_ARGUMENT.search(error.message):
        argument, field = match.groups()
        formatted["message"] = f"Field '{field}' doesn't accept argument '{argument}'"
        formatted["extensions"] = {
            "code": "argumentNotAccepted", "name": field, "typeName": "Field", "argumentName": argument,
        }
    elif match := _MISSING_ARGUMENT.search(error.message):
        field, argument = match.groups()
        formatted["message"] = f"Field '{field}' is missing required arguments: {argument}"
        formatted["extensions"] = {
            "code": "missingRequiredArguments", "className": "Field", "name": field, "arguments": argument,
        }
    return formatted


def shopify_variable_error(error, operation, variables):
    """Translate a graphql-core variable coercion error to Shopify's "provided invalid value" shape."""
    match = re.search(r"Variable '\$(\w+)'", error.message)
    name = match.group(1) if match else ""
    definition = next(
        (item for item in operation.variable_definitions or () if item.variable.name.value == name), None
    )
    type_text = print_ast(definition.type) if definition else "unknown"
    return {
        "message": f"Variable ${name} of type {type_text} was provided invalid value",
        "locations": [{"line": loc.line, "column": loc.column} for loc in error.locations or ()],
        "extensions": {
            "value": variables.get(name),
            "problems": [{"path": [], "explanation": error.message}],
        },
    }
