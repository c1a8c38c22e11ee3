"""Writing Graph responses: ``@odata.context`` on every body, collections paged with ``@odata.nextLink``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...store import listing
from ...store.listing import Condition, Kind
from . import odata
from .access import directory


def base_url(request: Request) -> str:
    """``{public URL}/v1.0``: links name the server as its clients know it, not the bound socket."""
    public: str = request.app.state.runtime.public_url
    return public.rstrip("/") + "/v1.0"


def context(request: Request, path: str, select: Sequence[str] | None = None, *, entity: bool = False) -> str:
    projection = f"({','.join(select)})" if select else ""
    return f"{base_url(request)}/$metadata#{path}{projection}{'/$entity' if entity else ''}"


def entity(request: Request, path: str, obj: dict[str, Any], kind: odata.Entity, options: odata.Options,
           *, status: int = 200, location: str | None = None) -> JSONResponse:
    """One object; ``path`` is its entity set as the context URL names it (``applications``)."""
    body = {"@odata.context": context(request, path, options.select, entity=True),
            **odata.project(obj, options.select, kind)}
    headers = {"Location": location} if location else None
    return JSONResponse(body, status_code=status, headers=headers)


def created(request: Request, path: str, obj: dict[str, Any], kind: odata.Entity, location: str) -> JSONResponse:
    """201 with the new object and its address."""
    return entity(request, path, obj, kind, odata.Options(), status=201, location=f"{base_url(request)}/{location}")


def collection(request: Request, path: str, rows: Sequence[odata.Row], kind: odata.Entity,
               options: odata.Options) -> JSONResponse:
    return _page(request, path, odata.apply(options, rows, kind), options)


async def listed(request: Request, path: str, entity: odata.Entity, options: odata.Options, kind: Kind,
                 tenant_id: str, serialize: Callable[[Any], dict[str, Any]],
                 scope: Sequence[Condition] = ()) -> JSONResponse:
    """A page of a directory collection read through the store (``scope``: conditions every row meets,
    such as the resource of ``appRoleAssignedTo``)."""
    d = directory(request)

    def fetch(conditions: Sequence[Condition], after: tuple[str, str] | None, limit: int) -> list[odata.Row]:
        by_name = listing.order(conditions) == "name"
        return [((o.display_name.casefold() if by_name else o.created, o.id), serialize(o))
                for o in d.page(kind, tenant_id, [*scope, *conditions], after, limit)]

    def count(conditions: Sequence[Condition]) -> int:
        return d.count(kind, tenant_id, [*scope, *conditions])

    page = await run_in_threadpool(odata.query, options, entity, kind, fetch, count)
    return _page(request, path, page, options)


def _page(request: Request, path: str, page: odata.Page, options: odata.Options) -> JSONResponse:
    body: dict[str, Any] = {"@odata.context": context(request, path, options.select)}
    if page.count is not None:
        body["@odata.count"] = page.count
    if page.next_skiptoken is not None:
        query = urlencode([*options.pairs, ("$skiptoken", page.next_skiptoken)], quote_via=quote, safe="$,'")
        body["@odata.nextLink"] = f"{base_url(request)}{request.url.path.removeprefix('/v1.0')}?{query}"
    body["value"] = page.items
    return JSONResponse(body)


def log_page(request: Request, path: str, rows: Sequence[dict[str, Any]], size: int, filter_text: str | None,
             options: odata.Options, render: Callable[[dict[str, Any]], dict[str, Any]], kind: odata.Entity,
             ) -> JSONResponse:
    """One page of a log read newest first (``size + 1`` rows asked for), paged by (created, id)."""
    page = rows[:size]
    body: dict[str, Any] = {"@odata.context": context(request, path, options.select)}
    if len(rows) > size:
        pairs = [*([("$filter", filter_text)] if filter_text is not None else []), *options.pairs,
                 ("$skiptoken", odata.encode_skiptoken((page[-1]["created"], page[-1]["id"])))]
        query = urlencode(pairs, quote_via=quote, safe="$,'")
        body["@odata.nextLink"] = f"{base_url(request)}/{path}?{query}"
    body["value"] = [odata.project(render(row), options.select, kind) for row in page]
    return JSONResponse(body)


def no_content() -> Response:
    return Response(status_code=204)
