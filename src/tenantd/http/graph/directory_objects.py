"""``/directoryObjects``: the calls Graph makes on any directory object, whatever its kind, as the Azure CLI
sends them (``az ad group member check``, ``az ad user get-member-groups``, role assignments' names).

- ``POST /directoryObjects/getByIds``: the users, groups and service principals among ``ids`` (at most 1,000),
  of the kinds ``types`` names (all three without it), each typed with ``@odata.type``; ids of nothing are left
  out, as Graph leaves them. It needs Directory.Read.All (Graph's least privileged permission for it) or
  Directory.ReadWrite.All; a signed-in user reads them as she reads users.
- ``POST /directoryObjects/{id}/checkMemberGroups`` (and ``getMemberGroups``, ``getMemberObjects``,
  ``checkMemberObjects``): the typed route's answer for the kind of object the id is, authorized exactly as that
  route authorizes it (:mod:`.memberships`). An id that is no object answers as the users route does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...domain import user_permissions as can
from ...domain.errors import BadRequest
from ...store import Tx
from ..auth import graph_audiences, graph_caller, verified_claims
from . import memberships, payload, responses, serialize
from .acts import Act
from .memberships import Subject

MAX_IDS = 1000
_READ = ("Directory.Read.All", "Directory.ReadWrite.All")
_TYPES = {"user": "users", "group": "groups", "serviceprincipal": "servicePrincipals"}
_OTHER_TYPES = {"directoryobjectpartnerreference", "directoryobject", "application", "device", "orgcontact"}


async def get_by_ids(request: Request) -> Response:
    caller = await graph_caller(request, *_READ, action=Act(can.USERS_READ))
    body = await payload.json_object(request)
    payload.only(body, {"ids", "types"}, "microsoft.graph.getByIds")
    ids = _list(payload.required(body, "ids"), "ids")
    if len(ids) > MAX_IDS:
        raise BadRequest(f"Too many ids: at most {MAX_IDS} may be given.")
    keys = [payload.guid(i, "ids") for i in ids]
    kinds = set(_TYPES.values())
    if "types" in body:
        named = [_type(t) for t in _list(body["types"], "types")]
        kinds = {n for n in named if n is not None}
    found = await run_in_threadpool(_objects, request, caller.tenant_id, keys, kinds)
    return JSONResponse({"@odata.context": responses.context(request, "directoryObjects"),
                         "value": [serialize.directory_object(o) for o in found]})


def member_action(action: Callable[[Subject, Request], Awaitable[Response]]
                  ) -> Callable[[Request], Awaitable[Response]]:
    """The typed route's ``action`` for the kind of object ``{id}`` is."""
    async def handler(request: Request) -> Response:
        claims = await verified_claims(request, graph_audiences(request.app.state.runtime.public_url))
        kind = await run_in_threadpool(_kind, request, str(claims.get("tid", "")), request.path_params["id"])
        return await action(kind, request)
    return handler


def _kind(request: Request, tenant_id: str, object_id: str) -> Subject:
    key = object_id.lower()
    with request.app.state.runtime.store.read() as tx:
        if len(key) <= 64 and tx.group(tenant_id, key) is not None:
            return memberships.GROUP
        if len(key) <= 64 and tx.service_principal(tenant_id, key) is not None:
            return memberships.SERVICE_PRINCIPAL
    return memberships.USER


def _objects(request: Request, tenant_id: str, ids: list[str], kinds: set[str]) -> list[Any]:
    found: list[Any] = []
    with request.app.state.runtime.store.read() as tx:
        for key in dict.fromkeys(i.lower() for i in ids):
            obj = _one(tx, tenant_id, key, kinds)
            if obj is not None:
                found.append(obj)
    return found


def _one(tx: Tx, tenant_id: str, key: str, kinds: set[str]) -> Any:
    readers: list[Callable[[str, str], Any]] = []
    if "users" in kinds:
        readers.append(tx.user)
    if "groups" in kinds:
        readers.append(tx.group)
    if "servicePrincipals" in kinds:
        readers.append(tx.service_principal)
    for read in readers:
        obj = read(tenant_id, key)
        if obj is not None:
            return obj
    return None


def _type(value: Any) -> str | None:
    name = str(value).removeprefix("#").removeprefix("microsoft.graph.").lower() if isinstance(value, str) else ""
    if name in _TYPES:
        return _TYPES[name]
    if name in _OTHER_TYPES:
        return None   # kinds tenantd holds none of
    raise BadRequest(f"Invalid value specified for property 'types': '{str(value)[:64]}' is not a directory "
                     "object type.")


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadRequest(f"Invalid value specified for property '{field}': a collection is required.")
    return value


ROUTES = [("/directoryObjects/getByIds", {"POST": get_by_ids})] + [
    (f"/directoryObjects/{{id}}/{name}", {"POST": member_action(action)})
    for name, action in (("getMemberObjects", memberships.get_member_objects),
                         ("getMemberGroups", memberships.get_member_groups),
                         ("checkMemberGroups", memberships.check_member_groups),
                         ("checkMemberObjects", memberships.check_member_objects))]
