"""Azure AD Graph 1.6's app role assignment calls, as New-AzureADServiceAppRoleAssignment sends them.

Same directory, same rules and same checks as Graph v1.0's assignments (:mod:`.graph.assignments`), in
1.6's shapes: the body's ``id`` is the ROLE, the assignment's key is ``objectId``, errors are
``odata.error``. The URL's object may be the assignment's principal (as scripts send it) or its resource
(as the cmdlet's documentation does); it must be one of the body's two ids.

A token for AAD Graph (``https://graph.windows.net``) needs AAD Graph's Directory permissions; a token for
Microsoft Graph needs what Graph v1.0 asks for the same call (tenantd has one directory behind both).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain import builtins
from ..domain.errors import BadRequest, GraphError, NotFound, Unauthorized
from ..domain.model import AppRoleAssignment
from .auth import Caller, authorize, graph_caller
from .graph import payload
from .graph.access import ASSIGNMENT_WRITE, directory
from .graph.assignments import SP_ASSIGNMENTS, USER_ASSIGNMENTS, Owner
from .graph.odata import shown
from .text import RenderableJSONResponse

API_VERSION = "1.6"
AUDIENCES = {*builtins.AAD_GRAPH_IDENTIFIER_URIS, builtins.AAD_GRAPH_APP_ID}
READ = ("Directory.Read.All", "Directory.ReadWrite.All")
WRITE = ("Directory.ReadWrite.All",)

_TYPE = "Microsoft.DirectoryServices.AppRoleAssignment"
_FIELDS = ("id", "principalId", "resourceId")
# Graph v1.0's codes that AAD Graph spells differently; the others are the same in both.
_CODES = {"InvalidAuthenticationToken": "Authentication_MissingOrMalformed", "BadRequest": "Request_BadRequest"}

Handler = Callable[[Owner, Request], Awaitable[Response]]


def error(request: Request, exc: GraphError) -> JSONResponse:
    """AAD Graph's error envelope: ``odata.error`` with a localized message, request id and date."""
    request_id = str(uuid.uuid4())
    body = {"odata.error": {
        "code": _CODES.get(exc.code, exc.code),
        "message": {"lang": "en", "value": exc.message},
        "requestId": request_id,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
    }}
    headers = {"request-id": request_id}
    if exc.status == 401:
        headers["WWW-Authenticate"] = (f'Bearer realm="", error="invalid_token", '
                                       f'client_id="{builtins.AAD_GRAPH_APP_ID}"')
    return RenderableJSONResponse(body, status_code=exc.status, headers=headers)


def _check_query(request: Request) -> None:
    """``api-version=1.6``, once, and no other query option."""
    for key in request.query_params:
        if key != "api-version":
            raise BadRequest(f"The query option '{shown(key)}' is not supported.")
    versions = request.query_params.getlist("api-version")
    if not versions:
        raise BadRequest("The api-version query parameter (?api-version=) is required for all requests.")
    if versions != [API_VERSION]:
        raise BadRequest("The specified api-version is invalid. The value must exactly match a supported version.")


async def _caller(request: Request, aad_roles: tuple[str, ...], graph_roles: tuple[str, ...]) -> Caller:
    """The caller with an AAD Graph token holding ``aad_roles``, or a Microsoft Graph one with ``graph_roles``,
    for the tenant the URL names (its id, its name, or ``myorganization``)."""
    try:
        caller = await authorize(request, AUDIENCES, aad_roles)
    except Unauthorized:   # not an AAD Graph token: perhaps Microsoft Graph's
        caller = await graph_caller(request, *graph_roles)
    named = request.path_params["tenant"]
    if named.lower() not in ("myorganization", caller.tenant_id):
        try:
            tenant_id = (await run_in_threadpool(directory(request).tenant, named)).id
        except NotFound:
            tenant_id = None
        if tenant_id != caller.tenant_id:
            raise GraphError("The access token was not issued for the tenant of the request URL.",
                             code="Authentication_Unauthorized", status=401)
    return caller


def _metadata(request: Request, *, element: bool) -> str:
    public: str = request.app.state.runtime.public_url
    suffix = "/@Element" if element else ""
    return f"{public.rstrip('/')}/{request.path_params['tenant']}/$metadata#directoryObjects/{_TYPE}{suffix}"


def _shape(a: AppRoleAssignment) -> dict[str, Any]:
    return {
        "odata.type": _TYPE,
        "objectType": "AppRoleAssignment",
        "objectId": a.id,
        "deletionTimestamp": None,
        "creationTimestamp": a.created,
        "id": a.app_role_id,
        "principalDisplayName": a.principal_display_name,
        "principalId": a.principal_id,
        "principalType": a.principal_type,
        "resourceDisplayName": a.resource_display_name,
        "resourceId": a.resource_id,
    }


def _fields(body: dict[str, Any]) -> dict[str, str]:
    """The three ids of a POST body; ``odata.type``, when sent, must name an AppRoleAssignment."""
    rest = dict(body)
    if "odata.type" in rest:
        kind = rest.pop("odata.type")
        if kind != _TYPE:
            raise BadRequest(f"Invalid odata.type '{shown(str(kind))}': expected '{_TYPE}'.")
    payload.only(rest, _FIELDS, _TYPE)
    return {field: payload.guid(payload.required(rest, field), field) for field in _FIELDS}


async def create(owner: Owner, request: Request) -> Response:
    caller = await _caller(request, WRITE, ASSIGNMENT_WRITE)
    object_id = await owner.find(request, caller.tenant_id)
    ids = _fields(await payload.json_object(request))
    if object_id not in (ids["principalId"], ids["resourceId"]):
        raise BadRequest(f"The object of the request URL ('{object_id}') must be the principalId or the "
                         "resourceId of the request body.")
    created = await run_in_threadpool(directory(request).assign, caller.tenant_id, ids["principalId"],
                                      ids["resourceId"], ids["id"])
    return JSONResponse({"odata.metadata": _metadata(request, element=True), **_shape(created)}, status_code=201)


async def list_(owner: Owner, request: Request) -> Response:
    """What the URL's principal holds (1.6's ``appRoleAssignments`` navigation)."""
    caller = await _caller(request, READ, owner.read)
    object_id = await owner.find(request, caller.tenant_id)
    found = await run_in_threadpool(directory(request).assignments_of, caller.tenant_id, object_id)
    value = [_shape(a) for a in sorted(found, key=lambda a: (a.created, a.id))]
    return JSONResponse({"odata.metadata": _metadata(request, element=False), "value": value})


async def delete(owner: Owner, request: Request) -> Response:
    """Remove an assignment held by, or granted on, the URL's object."""
    caller = await _caller(request, WRITE, ASSIGNMENT_WRITE)
    object_id = await owner.find(request, caller.tenant_id)
    assignment_id = payload.assignment_id(request.path_params["assignment_id"])
    d = directory(request)
    found = await run_in_threadpool(d.assignment, caller.tenant_id, assignment_id)
    if object_id not in (found.principal_id, found.resource_id):
        raise NotFound(f"Resource '{assignment_id}' does not exist or one of its queried reference-property "
                       "objects are not present.")
    await run_in_threadpool(partial(d.unassign, caller.tenant_id, assignment_id, principal_id=found.principal_id))
    return Response(status_code=204)


def _endpoint(path: str, owner: Owner, **handlers: Handler) -> Route:
    """A 1.6 route: its methods, ``api-version=1.6``, and every refusal in AAD Graph's envelope."""
    async def dispatch(request: Request) -> Response:
        handler = handlers.get(request.method)
        if handler is None:   # RFC 9110 section 15.5.6: a 405 names the methods that are allowed
            response = error(request, GraphError("The HTTP method is not allowed for the request target.",
                                                 code="Request_BadRequest", status=405))
            response.headers["Allow"] = ", ".join(handlers)
            return response
        try:
            _check_query(request)
            return await handler(owner, request)
        except GraphError as exc:
            return error(request, exc)

    return Route(path, dispatch, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])


def _owner_routes(collection: str, owner: Owner) -> list[BaseRoute]:
    path = f"/{{tenant}}/{collection}/{{id}}/appRoleAssignments"
    return [_endpoint(path, owner, GET=list_, POST=create),
            _endpoint(path + "/{assignment_id}", owner, DELETE=delete)]


routes: list[BaseRoute] = [*_owner_routes("servicePrincipals", SP_ASSIGNMENTS),
                           *_owner_routes("users", USER_ASSIGNMENTS)]
