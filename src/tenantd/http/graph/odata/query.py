"""The query options of a collection or an entity (``$select``, ``$top``, ``$skiptoken``, ``$count``) and a
page read through the store: the terms SQL can test exactly go there, the rest is evaluated here."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from ....domain.errors import BadRequest
from ....store.listing import Condition
from .errors import DEFAULT_PAGE_SIZE, MAX_QUERY_OPTIONS, MAX_TOP, shown, unsupported
from .filter import AnyOf, Compare, Entity, Logical, Node, StartsWith, bind, matches, parse_filter


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
