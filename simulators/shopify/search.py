"""Shopify's search syntax for the ``query:`` argument of connections.

Grammar (https://shopify.dev/docs/api/usage/search-syntax): terms separated by whitespace (implicit
``AND``) or ``AND``/``OR``, grouped with parentheses, negated with ``NOT`` or a leading ``-``.  A term
is free text or ``field:value`` with an optional comparator (``field:>value``, ``:>=``, ``:<``,
``:<=``); values may be quoted with ``'`` or ``"``, end in ``*`` for a prefix match, and be comma
separated lists for enumerated fields.
"""

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

COMPARATORS = (">=", "<=", ">", "<")


@dataclass(frozen=True)
class Term:
    field: str | None  # None: free text
    comparator: str  # "=", ">", ">=", "<", "<="
    value: str


@dataclass(frozen=True)
class Not:
    operand: object


@dataclass(frozen=True)
class AllOf:
    operands: tuple


@dataclass(frozen=True)
class AnyOf:
    operands: tuple


@dataclass(frozen=True)
class SearchField:
    """How a search field reads a record: ``kind`` is text, enum (comma lists), time, number or id."""

    kind: str
    read: object  # callable(record) -> value or list of values (None: missing)


def parse(query):
    """Parse a query string into a tree of Term/Not/AllOf/AnyOf (None for an empty query)."""
    tokens = _tokenize(query or "")
    return _Parser(tokens).parse() if tokens else None


def terms(tree):
    """All terms of a tree, left to right."""
    if isinstance(tree, Term):
        return [tree]
    if isinstance(tree, Not):
        return terms(tree.operand)
    if isinstance(tree, (AllOf, AnyOf)):
        return [term for operand in tree.operands for term in terms(operand)]
    return []


def matches(tree, record, fields, now):
    """Whether ``record`` satisfies ``tree``; terms on fields missing from ``fields`` are ignored."""
    if tree is None:
        return True
    if isinstance(tree, Not):
        return not matches(tree.operand, record, fields, now)
    if isinstance(tree, AllOf):
        return all(matches(operand, record, fields, now) for operand in tree.operands)
    if isinstance(tree, AnyOf):
        return any(matches(operand, record, fields, now) for operand in tree.operands)
    field = fields.get(tree.field or "default")
    if field is None:
        return True
    values = field.read(record)
    values = values if isinstance(values, (list, tuple, set)) else [values]
    return any(_match_value(field.kind, value, tree, now) for value in values if value is not None)


def _match_value(kind, value, term, now):
    if kind == "time":
        return _match_time(value, term, now)
    if kind in ("number", "id"):
        wanted = _number(term.value.rsplit("/", 1)[-1] if kind == "id" else term.value)
        return wanted is not None and _compare(Decimal(value), term.comparator, wanted)
    text = str(value).lower()
    if term.field is None:
        return term.value.lower() in text
    wanted_values = term.value.lower().split(",") if kind == "enum" else [term.value.lower()]
    if term.comparator != "=":
        return _compare(text, term.comparator, wanted_values[0])
    return any(_match_text(text, wanted) for wanted in wanted_values)


def _match_text(text, wanted):
    if wanted == "*":
        return text != ""
    if wanted.endswith("*"):
        return text.startswith(wanted[:-1])
    return text == wanted


def _match_time(value, term, now):
    raw = term.value.strip()
    if raw.lower() == "now":
        bound = now
    elif len(raw) == 4 and raw.isdigit():
        bound = datetime(int(raw), 1, 1, tzinfo=timezone.utc)
    else:
        try:
            bound = datetime.fromisoformat(raw)
        except ValueError:
            return False
        if len(raw) == 10 and term.comparator == "=":
            return value.date() == bound.date()
        if bound.tzinfo is None:
            bound = bound.replace(tzinfo=timezone.utc)
    return _compare(value, term.comparator, bound)


def _number(raw):
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def _compare(left, comparator, right):
    return {
        "=": left == right, ">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right,
    }[comparator]


def _tokenize(query):
    """Split into "(", ")", "AND", "OR", "NOT", "-" (negation) and raw term strings."""
    tokens = []
    index = 0
    while index < len(query):
        char = query[index]
        if char.isspace():
            index += 1
        elif char in "()":
            tokens.append(char)
            index += 1
        elif char == "-" and index + 1 < len(query) and not query[index + 1].isspace():
            tokens.append("-")
            index += 1
        else:
            start = index
            quote = None
            while index < len(query):
                char = query[index]
                if quote:
                    if char == quote:
                        quote = None
                elif char in "'\"":
                    quote = char
                elif char.isspace() or char in "()":
                    break
                index += 1
            tokens.append(query[start:index])
    return tokens


class _Parser:
    """Recursive descent: or := and ("OR" and)*; and := unary (["AND"] unary)*; unary := NOT unary | atom."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.position = 0

    def parse(self):
        tree = self._or()
        while self._peek() is not None:  # stray ")": ignore it and keep the rest as AND
            self.position += 1
            if self._peek() is not None:
                tree = AllOf((tree, self._or()))
        return tree

    def _peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _or(self):
        operands = [self._and()]
        while self._peek() == "OR":
            self.position += 1
            if self._peek() is None:
                break
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def _and(self):
        operands = [self._unary()]
        while self._peek() not in (None, "OR", ")"):
            if self._peek() == "AND":
                self.position += 1
                continue
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def _unary(self):
        token = self._peek()
        if token is None:  # dangling NOT/AND: nothing to restrict
            return AllOf(())
        if token in ("NOT", "-"):
            self.position += 1
            return Not(self._unary())
        if token == "(":
            self.position += 1
            tree = self._or()
            if self._peek() == ")":
                self.position += 1
            return tree
        self.position += 1
        return _term(token)


def _term(token):
    field, separator, rest = token.partition(":")
    if not separator or field.startswith(("'", '"')):
        return Term(None, "=", _unquote(token))
    for comparator in COMPARATORS:
        if rest.startswith(comparator):
            return Term(field, comparator, _unquote(rest[len(comparator):]))
    return Term(field, "=", _unquote(rest))


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
