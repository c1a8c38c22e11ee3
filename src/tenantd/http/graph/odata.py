"""OData query options for Graph collections: a strict parser for the subset tenantd supports, and its evaluation.

Supported: ``$filter`` with ``eq``/``ne``, ``startswith(p,'x')``, ``p/any(x:...)`` on string collections,
``and``/``or`` and parentheses; ``$select``; ``$top`` (1..999) with ``$skiptoken`` paging; ``$count``.
Anything else is refused with Graph's 400, never guessed at. :func:`query` hands the filter's top-level
``and`` terms that the store can test exactly (names, appId, identifierUris, ids of an assignment's ends)
to SQL as store conditions and evaluates the rest over the serialized Graph objects, so a page of a
large directory reads about one page of rows.


The parser is recursive descent with explicit bounds (text length, nesting depth), so hostile input costs
linear time and a bounded stack.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

from ...domain.errors import BadRequest
from ...domain.ids import is_guid
from ...store.listing import Condition

MAX_FILTER_LENGTH = 2048
MAX_DEPTH = 16
MAX_TOP = 999
DEFAULT_PAGE_SIZE = 100
MAX_QUERY_OPTIONS = 16

Kind = Literal["string", "guid", "bool", "strings"]
"""Property kinds a filter can test: text, object ids, booleans, and collections of text."""


def syntax_error(message: str) -> BadRequest:
    return BadRequest(f"Invalid filter clause: {message}", code="BadRequest")


def unsupported(message: str) -> BadRequest:
    return BadRequest(message, code="Request_UnsupportedQuery")


def shown(text: str, limit: int = 100) -> str:
    """User input as it may appear in an error message: bounded."""
    return text if len(text) <= limit else text[:limit] + "..."


# -- the filter AST ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lit:
    kind: Literal["string", "guid", "bool", "null"]
    value: str | bool | None


@dataclass(frozen=True)
class Compare:
    name: str
    op: Literal["eq", "ne"]
    value: Lit


@dataclass(frozen=True)
class StartsWith:
    name: str
    prefix: str


@dataclass(frozen=True)
class AnyOf:
    """``name/any(var: body)`` over a collection of strings."""

    name: str
    var: str
    body: Node


@dataclass(frozen=True)
class Logical:
    op: Literal["and", "or"]
    operands: tuple[Node, ...]


Node = Compare | StartsWith | AnyOf | Logical


# -- tokens -----------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<space>[ \t]+)
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![A-Za-z0-9_]))
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[(),:/])
""", re.VERBOSE)

_UNSUPPORTED_OPERATORS = {"gt", "ge", "lt", "le", "in", "has", "not", "add", "sub", "mul", "div", "mod"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise syntax_error(f"unexpected character at position {pos}.")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


# -- the parser -------------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def keyword(self) -> str | None:
        token = self.peek()
        return token.text.lower() if token is not None and token.kind == "name" else None

    def take(self, kind: str, text: str | None = None) -> Token:
        token = self.peek()
        if token is None:
            raise syntax_error(f"expected {text or kind} at the end of the clause.")
        if token.kind != kind or (text is not None and token.text.lower() != text):
            raise syntax_error(f"expected {text or kind} at position {token.pos}, found '{shown(token.text, 40)}'.")
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.expression(0)
        token = self.peek()
        if token is not None:
            raise syntax_error(f"unexpected '{shown(token.text, 40)}' at position {token.pos}.")
        return node

    def expression(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise unsupported(f"The filter clause is nested more than {MAX_DEPTH} levels deep.")
        operands = [self.conjunction(depth)]
        while self.keyword() == "or":
            self.index += 1
            operands.append(self.conjunction(depth))
        return operands[0] if len(operands) == 1 else Logical("or", tuple(operands))

    def conjunction(self, depth: int) -> Node:
        operands = [self.factor(depth)]
        while self.keyword() == "and":
            self.index += 1
            operands.append(self.factor(depth))
        return operands[0] if len(operands) == 1 else Logical("and", tuple(operands))

    def factor(self, depth: int) -> Node:
        token = self.peek()
        if token is None:
            raise syntax_error("the clause ends where an expression was expected.")
        if token.kind == "punct" and token.text == "(":
            self.index += 1
            node = self.expression(depth + 1)
            self.take("punct", ")")
            return node
        if token.kind != "name":
            raise syntax_error(f"expected a property or function at position {token.pos}.")
        word = token.text.lower()
        if word in _UNSUPPORTED_OPERATORS:
            raise unsupported(f"The operator '{token.text}' is not supported in $filter.")
        following = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
        if following is not None and following.text == "(":
            if word == "startswith":
                return self.startswith()
            raise unsupported(f"The function '{shown(token.text, 40)}' is not supported in $filter.")
        self.index += 1
        if following is not None and following.text == "/":
            return self.lambda_any(token.text, depth)
        return self.comparison(token.text)

    def startswith(self) -> StartsWith:
        self.index += 2
        name = self.take("name").text
        self.take("punct", ",")
        prefix = _string(self.take("string").text)
        self.take("punct", ")")
        return StartsWith(name, prefix)

    def lambda_any(self, name: str, depth: int) -> AnyOf:
        self.take("punct", "/")
        operator = self.take("name")
        if operator.text.lower() != "any":
            raise unsupported(f"The lambda operator '{shown(operator.text, 40)}' is not supported in $filter.")
        self.take("punct", "(")
        var = self.take("name").text
        self.take("punct", ":")
        body = self.expression(depth + 1)
        self.take("punct", ")")
        return AnyOf(name, var, body)

    def comparison(self, name: str) -> Compare:
        token = self.peek()
        word = self.keyword()
        if word in _UNSUPPORTED_OPERATORS and token is not None:
            raise unsupported(f"The operator '{token.text}' is not supported in $filter.")
        if word not in ("eq", "ne"):
            where = f"position {token.pos}" if token is not None else "the end of the clause"
            raise syntax_error(f"expected 'eq' or 'ne' at {where}.")
        self.index += 1
        return Compare(name, word, self.literal())  # type: ignore[arg-type]

    def literal(self) -> Lit:
        token = self.peek()
        if token is None:
            raise syntax_error("expected a value at the end of the clause.")
        self.index += 1
        if token.kind == "string":
            return Lit("string", _string(token.text))
        if token.kind == "guid":
            return Lit("guid", token.text.lower())
        word = token.text.lower() if token.kind == "name" else ""
        if word in ("true", "false"):
            return Lit("bool", word == "true")
        if word == "null":
            return Lit("null", None)
        raise syntax_error(f"expected a value at position {token.pos}, found '{shown(token.text, 40)}'.")


def _string(token: str) -> str:
    return token[1:-1].replace("''", "'")


def parse_filter(text: str) -> Node:
    """The AST of a ``$filter`` clause; :class:`BadRequest` for anything outside the supported subset."""
    if len(text) > MAX_FILTER_LENGTH:
        raise unsupported(f"The filter clause is longer than {MAX_FILTER_LENGTH} characters.")
    if not text.strip():
        raise syntax_error("the clause is empty.")
    return _Parser(text).parse()


# -- binding a filter to an entity's properties -----------------------------------------------------------
@dataclass(frozen=True)
class Entity:
    """What the query layer needs to know about one Graph type."""

    type_name: str                      # e.g. "microsoft.graph.application"
    selectable: frozenset[str]          # every property the serializer writes
    filterable: Mapping[str, Kind]      # properties $filter may test, with their kinds
    default: frozenset[str] | None = None   # properties returned without $select (None: all)
    fields: Mapping[str, str] = field(default_factory=dict)   # property -> the store field SQL filters on

    @property
    def resource(self) -> str:
        short = self.type_name.rsplit(".", 1)[-1]
        return short[:1].upper() + short[1:]

    def canonical(self, name: str) -> str:
        lowered = name.lower()
        for prop in self.selectable:
            if prop.lower() == lowered:
                return prop
        raise BadRequest(f"Could not find a property named '{shown(name, 64)}' on type '{self.type_name}'.")


def bind(node: Node, entity: Entity) -> Node:
    """Check ``node`` against the entity's filterable properties; names become canonical, values normalised."""
    return _bind(node, entity, None)


def _kind(name: str, entity: Entity, scope: tuple[str, Kind] | None) -> tuple[str, Kind]:
    if scope is not None:
        if name != scope[0]:
            raise unsupported(f"Only the lambda variable '{scope[0]}' can be used inside any().")
        return name, scope[1]
    prop = entity.canonical(name)
    kind = entity.filterable.get(prop)
    if kind is None:
        raise unsupported(f"Unsupported or invalid query filter clause specified for property '{prop}' of "
                          f"resource '{entity.resource}'.")
    return prop, kind


def _bind(node: Node, entity: Entity, scope: tuple[str, Kind] | None) -> Node:
    if isinstance(node, Logical):
        return Logical(node.op, tuple(_bind(o, entity, scope) for o in node.operands))
    if isinstance(node, AnyOf):
        prop, kind = _kind(node.name, entity, scope)
        if kind != "strings":
            raise unsupported(f"The any() operator needs a collection; '{prop}' is not one.")
        return AnyOf(prop, node.var, _bind(node.body, entity, (node.var, "string")))
    prop, kind = _kind(node.name, entity, scope)
    if isinstance(node, StartsWith):
        if kind != "string":
            raise unsupported(f"startswith() needs a text property; '{prop}' is not one.")
        return StartsWith(prop, node.prefix.casefold())
    return Compare(prop, node.op, _value(prop, kind, node.value))


def _value(prop: str, kind: Kind, lit: Lit) -> Lit:
    if kind == "strings":
        raise unsupported(f"'{prop}' is a collection: use {prop}/any(x:x eq '...').")
    if lit.kind == "null":
        return lit
    if kind == "string" and lit.kind in ("string", "guid"):
        return Lit("string", str(lit.value).casefold())
    if kind == "guid" and lit.kind in ("string", "guid") and is_guid(lit.value):
        return Lit("guid", str(lit.value).lower())
    if kind == "bool" and lit.kind == "bool":
        return lit
    raise BadRequest(f"Invalid value in $filter for property '{prop}': a {kind} is required.", code="BadRequest")


def matches(node: Node, obj: Mapping[str, Any]) -> bool:
    """Whether the Graph object ``obj`` satisfies a bound filter."""
    if isinstance(node, Logical):
        results = (matches(o, obj) for o in node.operands)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, AnyOf):
        values = obj.get(node.name) or []
        return any(matches(node.body, {node.var: v}) for v in values)
    value = obj.get(node.name)
    if isinstance(node, StartsWith):
        return isinstance(value, str) and value.casefold().startswith(node.prefix)
    lit = node.value
    if lit.kind == "null":
        equal = value is None
    elif lit.kind == "bool":
        equal = value is lit.value
    else:
        equal = isinstance(value, str) and value.casefold() == lit.value
    return equal if node.op == "eq" else not equal


# -- query options ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    filter: Node | None = None
    select: tuple[str, ...] | None = None
    top: int | None = None
    after: tuple[str, str] | None = None
    count: bool = False
    pairs: tuple[tuple[str, str], ...] = ()   # the options as sent, for the next page's link


_COLLECTION_OPTIONS = {"$filter", "$select", "$top", "$skiptoken", "$count"}
_ENTITY_OPTIONS = {"$select"}


def parse_options(query: str, entity: Entity, *, collection: bool) -> Options:
    """The query options of one request, checked against ``entity``; 400 for anything unsupported."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_QUERY_OPTIONS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("The query string could not be parsed.", code="BadRequest") from None
    allowed = _COLLECTION_OPTIONS if collection else _ENTITY_OPTIONS
    seen: dict[str, str] = {}
    kept: list[tuple[str, str]] = []
    for name, value in pairs:
        if not name.startswith("$"):
            continue   # Graph ignores parameters that are not query options
        option = name.lower()
        if option not in allowed:
            raise unsupported(f"Query option '{shown(name, 40)}' is not supported on this request.")
        if option in seen:
            raise BadRequest(f"Query option '{option}' was specified more than once.", code="BadRequest")
        seen[option] = value
        if option != "$skiptoken":
            kept.append((option, value))
    node = bind(parse_filter(seen["$filter"]), entity) if "$filter" in seen else None
    return Options(
        filter=node,
        select=_select(seen["$select"], entity) if "$select" in seen else None,
        top=_top(seen["$top"]) if "$top" in seen else None,
        after=decode_skiptoken(seen["$skiptoken"]) if "$skiptoken" in seen else None,
        count=_count(seen["$count"]) if "$count" in seen else False,
        pairs=tuple(kept),
    )


def _select(text: str, entity: Entity) -> tuple[str, ...]:
    names = [n.strip() for n in text.split(",")]
    if any(not n for n in names):
        raise BadRequest(f"Invalid $select: '{shown(text)}'.", code="BadRequest")
    chosen: list[str] = []
    for name in names:
        prop = entity.canonical(name)
        if prop not in chosen:
            chosen.append(prop)
    return tuple(chosen)


def _top(text: str) -> int:
    digits = text.lstrip("0")   # int() refuses more than 4300 digits, so a long one is refused before it
    if not text.isascii() or not text.isdigit() or len(digits) > 3 or not 1 <= int(digits or "0") <= MAX_TOP:
        raise BadRequest(f"Invalid page size specified: '{shown(text, 20)}'. Must be between 1 and {MAX_TOP} "
                         "inclusive.", code="Request_BadRequest")
    return int(digits)


def _count(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise BadRequest(f"Invalid value for $count: '{shown(text, 20)}'.", code="BadRequest")
    return text.lower() == "true"


def encode_skiptoken(key: tuple[str, str]) -> str:
    """An opaque continuation: the sort key of the last object returned."""
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_skiptoken(token: str) -> tuple[str, str]:
    invalid = BadRequest("The $skiptoken is not valid.", code="Request_BadRequest")
    if not token or len(token) > 512:
        raise invalid
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise invalid from None
    if not (isinstance(key, list) and len(key) == 2 and all(isinstance(k, str) for k in key)):
        raise invalid
    return key[0], key[1]


# -- applying options to a collection ---------------------------------------------------------------------
Row = tuple[tuple[str, str], dict[str, Any]]
"""One object of a collection: its stable sort key (created, id) and its Graph representation."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_skiptoken: str | None
    count: int | None


def apply(options: Options, rows: Sequence[Row], entity: Entity) -> Page:
    """Filter, page by sort key, and project ``rows``: the one place query options meet the data."""
    ordered = sorted(rows, key=lambda row: row[0])
    if options.filter is not None:
        ordered = [row for row in ordered if matches(options.filter, row[1])]
    total = len(ordered) if options.count else None
    if options.after is not None:
        after = options.after
        ordered = [row for row in ordered if row[0] > after]
    size = options.top or DEFAULT_PAGE_SIZE
    page, rest = ordered[:size], ordered[size:]
    token = encode_skiptoken(page[-1][0]) if rest else None
    return Page([project(obj, options.select, entity) for _, obj in page], token, total)


def project(obj: dict[str, Any], select: Sequence[str] | None, entity: Entity) -> dict[str, Any]:
    """``obj`` reduced to the selected (or the type's default) properties; ``@odata.*`` annotations stay."""
    keep: frozenset[str] | None = frozenset(select) if select is not None else entity.default
    if keep is None:
        return obj
    return {k: v for k, v in obj.items() if k in keep or k.startswith("@odata.")}


# -- a page read through the store ------------------------------------------------------------------------
Fetch = Callable[[Sequence[Condition], tuple[str, str] | None, int], list[Row]]
Count = Callable[[Sequence[Condition]], int]
SCAN_BATCH = 1000


def query(options: Options, entity: Entity, kind: str, fetch: Fetch, count: Count) -> Page:
    """One page of a collection: ``fetch`` reads rows in key order past a key, filtered by the conditions
    SQL can test; what remains of the filter is evaluated here, over batches of rows."""
    size = options.top or DEFAULT_PAGE_SIZE
    pushed, rest = split(options.filter, entity, kind)
    if rest is None:
        rows = fetch(pushed, options.after, size + 1)
        total = count(pushed) if options.count else None
        return _page(rows, size, total, options, entity)
    matched: list[Row] = []
    total = 0
    after = None if options.count else options.after
    while True:
        batch = fetch(pushed, after, SCAN_BATCH)
        for row in batch:
            if matches(rest, row[1]):
                total += 1
                if len(matched) <= size and (options.after is None or row[0] > options.after):
                    matched.append(row)
        if len(batch) < SCAN_BATCH or (not options.count and len(matched) > size):
            break
        after = batch[-1][0]
    return _page(matched, size, total if options.count else None, options, entity)


def _page(rows: Sequence[Row], size: int, total: int | None, options: Options, entity: Entity) -> Page:
    page = rows[:size]
    token = encode_skiptoken(page[-1][0]) if len(rows) > size else None
    return Page([project(obj, options.select, entity) for _, obj in page], token, total)


def split(node: Node | None, entity: Entity, kind: str) -> tuple[list[Condition], Node | None]:
    """The top-level ``and`` terms of a bound filter that the store tests exactly, and the rest."""
    if node is None:
        return [], None
    terms = node.operands if isinstance(node, Logical) and node.op == "and" else (node,)
    pushed: list[Condition] = []
    rest: list[Node] = []
    for term in terms:
        condition = _condition(term, entity)
        if condition is not None and condition.pushable(kind):
            pushed.append(condition)
        else:
            rest.append(term)
    if not rest:
        return pushed, None
    return pushed, rest[0] if len(rest) == 1 else Logical("and", tuple(rest))


def _condition(term: Node, entity: Entity) -> Condition | None:
    """A term as a store condition: names by their case-folded key, keys kept lower case (so only ASCII
    values, whose lower case is their case fold), ids as they are."""
    if isinstance(term, AnyOf):
        body = term.body
        target = entity.fields.get(term.name)
        if (target == "identifier_uri" and isinstance(body, Compare) and body.op == "eq"
                and body.value.kind == "string" and str(body.value.value).isascii()):
            return Condition(target, "eq", str(body.value.value))
        return None
    target = entity.fields.get(term.name) if isinstance(term, Compare | StartsWith) else None
    if target is None:
        return None
    if isinstance(term, StartsWith):
        return Condition(target, "prefix", term.prefix) if target == "name_key" else None
    if term.op != "eq" or term.value.kind not in ("string", "guid"):
        return None
    value = str(term.value.value)
    if target == "upn_key" and not value.isascii():
        return None
    return Condition(target, "eq", value)
