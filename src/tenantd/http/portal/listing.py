"""The portal's lists: a page of a directory collection, searched by the prefix of its display name and paged
by keyset (the store's own order: by name when searching, else by creation), as Graph's lists read them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ...directory import Directory
from ...store import listing
from ...store.listing import Condition

PAGE_SIZE = 25
MAX_QUERY = 256


@dataclass(frozen=True)
class Listing:
    items: list[Any]
    query: str
    next_url: str | None


def search_text(request: Request, name: str = "q") -> str:
    return request.query_params.get(name, "").strip()[:MAX_QUERY]


def name_prefix(text: str) -> list[Condition]:
    """The store's condition for names starting with ``text`` (case-insensitive); none for empty text."""
    condition = Condition("name_key", "prefix", text.casefold())
    return [condition] if text and condition.pushable("users") else []


async def listed(request: Request, directory: Directory, kind: listing.Kind, tenant_id: str,
                 size: int = PAGE_SIZE, scope: Sequence[Condition] = ()) -> Listing:
    """One page of ``kind`` (within ``scope``, when given) for the request's ``q`` (name prefix) and ``after``
    (the last key of the page before), and the address of the next page when there is one."""
    query = search_text(request)
    conditions = [*scope, *name_prefix(query)]
    by_name = listing.order(conditions) == "name"
    key, last = request.query_params.get("after_key"), request.query_params.get("after_id")
    after = (key[:MAX_QUERY], last[:64]) if key and last else None
    rows = await run_in_threadpool(directory.page, kind, tenant_id, conditions, after, size + 1)
    items, more = rows[:size], len(rows) > size
    next_url = None
    if more:
        tail = items[-1]
        pairs = {**({"q": query} if query else {}),
                 "after_key": tail.display_name.casefold() if by_name else tail.created, "after_id": tail.id}
        next_url = f"{request.url.path}?{urlencode(pairs)}"
    return Listing(items, query, next_url)
