"""``/oauth2PermissionGrants``: delegated permission grants, listed (``$filter`` on clientId, resourceId,
principalId, consentType), created, read, changed (their ``scope`` only) and deleted; and the grants of one
client (``servicePrincipals/{id}/oauth2PermissionGrants``) or of one user (``users/{id}/oauth2PermissionGrants``).

A POST takes ``clientId``, ``consentType``, ``principalId`` (a Principal grant's user) ``resourceId`` and
``scope``, as msgraph-sdk sends them; Graph's answer to a second grant of the same client, resource and user
is 409, and a PATCH naming any property but ``scope`` is refused as Graph refuses it.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain import user_permissions as can
from ...domain.errors import BadRequest
from ...domain.ids import is_grant_id
from ...domain.model import OAuth2PermissionGrant
from ...store.listing import Condition
from ..auth import graph_caller
from . import odata, payload, responses, service_principals, users
from .access import GRANT_READ, GRANT_WRITE, directory
from .acts import Act

_CREATE = ("clientId", "consentType", "principalId", "resourceId", "scope")
_FIXED = ("id", "clientId", "consentType", "principalId", "resourceId")   # what a PATCH cannot change
COLLECTION = "oauth2PermissionGrants"
READ, WRITE = Act(can.GRANTS_READ), Act(can.GRANTS_WRITE)


def to_graph(grant: OAuth2PermissionGrant) -> dict[str, Any]:
    return {"id": grant.id, "clientId": grant.client_id, "consentType": grant.consent_type,
            "principalId": grant.principal_id, "resourceId": grant.resource_id, "scope": grant.scope}


_SAMPLE = "00000000-0000-0000-0000-000000000000"
OAUTH2_PERMISSION_GRANT = odata.Entity(
    "microsoft.graph.oAuth2PermissionGrant",
    frozenset(to_graph(OAuth2PermissionGrant("", "", _SAMPLE, "AllPrincipals", None, _SAMPLE, (), ""))),
    {"clientId": "guid", "resourceId": "guid", "principalId": "guid", "consentType": "string"},
    fields={"clientId": "client_id", "resourceId": "resource_id", "principalId": "principal_id"})


def grant_key(text: str) -> str:
    """A grant id from the URL: Entra's base64url shape; 400 as Graph answers a malformed id."""
    if not is_grant_id(text):
        raise BadRequest(f"Invalid object identifier '{odata.shown(text)}'.")
    return text


async def list_(request: Request) -> Response:
    caller = await graph_caller(request, *GRANT_READ, action=READ)
    options = odata.parse_options(request.url.query, OAUTH2_PERMISSION_GRANT, collection=True)
    return await responses.listed(request, COLLECTION, OAUTH2_PERMISSION_GRANT, options, "grants",
                                  caller.tenant_id, to_graph)


async def of_client(request: Request) -> Response:
    """``servicePrincipals/{id}/oauth2PermissionGrants``: the grants the service principal holds as a client."""
    caller = await graph_caller(request, *GRANT_READ, action=READ)
    options = odata.parse_options(request.url.query, OAUTH2_PERMISSION_GRANT, collection=True)
    sp = await service_principals.find(request, caller.tenant_id)
    return await responses.listed(request, f"servicePrincipals('{sp.id}')/{COLLECTION}", OAUTH2_PERMISSION_GRANT,
                                  options, "grants", caller.tenant_id, to_graph,
                                  (Condition("client_id", "eq", sp.id),))


async def of_user(request: Request) -> Response:
    """``users/{id}/oauth2PermissionGrants``: the grants the user consented to for herself."""
    caller = await graph_caller(request, *GRANT_READ, action=READ)
    options = odata.parse_options(request.url.query, OAUTH2_PERMISSION_GRANT, collection=True)
    user = await users.find(request, caller.tenant_id)
    return await responses.listed(request, f"users('{user.id}')/{COLLECTION}", OAUTH2_PERMISSION_GRANT, options,
                                  "grants", caller.tenant_id, to_graph, (Condition("principal_id", "eq", user.id),))


async def create(request: Request) -> Response:
    caller = await graph_caller(request, *GRANT_WRITE, action=WRITE)
    body = await payload.json_object(request)
    payload.only(body, _CREATE, OAUTH2_PERMISSION_GRANT.type_name)
    client_id = payload.guid(payload.required(body, "clientId"), "clientId")
    resource_id = payload.guid(payload.required(body, "resourceId"), "resourceId")
    principal = body.get("principalId")
    principal_id = None if principal is None else payload.guid(principal, "principalId")
    consent_type = payload.string(payload.required(body, "consentType"), "consentType")
    scope = payload.string(body.get("scope") or "", "scope")
    created = await run_in_threadpool(directory(request).create_grant, caller.tenant_id, client_id, consent_type,
                                      principal_id, resource_id, scope)
    return responses.created(request, COLLECTION, to_graph(created), OAUTH2_PERMISSION_GRANT,
                             f"{COLLECTION}/{created.id}")


async def get(request: Request) -> Response:
    caller = await graph_caller(request, *GRANT_READ, action=READ)
    options = odata.parse_options(request.url.query, OAUTH2_PERMISSION_GRANT, collection=False)
    key = grant_key(request.path_params["grant_id"])
    found = await run_in_threadpool(directory(request).grant, caller.tenant_id, key)
    return responses.entity(request, COLLECTION, to_graph(found), OAUTH2_PERMISSION_GRANT, options)


async def update(request: Request) -> Response:
    caller = await graph_caller(request, *GRANT_WRITE, action=WRITE)
    body = await payload.json_object(request)   # first: an oversized body is 413 whatever the path names
    key = grant_key(request.path_params["grant_id"])
    for name in _FIXED:
        if name in body:
            raise BadRequest(f"Property cannot be updated: {name}")
    payload.only(body, ("scope",), OAUTH2_PERMISSION_GRANT.type_name)
    if "scope" in body:
        scope = payload.string(body["scope"], "scope")
        await run_in_threadpool(directory(request).update_grant_scope, caller.tenant_id, key, scope)
    else:
        await run_in_threadpool(directory(request).grant, caller.tenant_id, key)   # 404 for an unknown grant
    return responses.no_content()


async def delete(request: Request) -> Response:
    caller = await graph_caller(request, *GRANT_WRITE, action=WRITE)
    key = grant_key(request.path_params["grant_id"])
    await run_in_threadpool(directory(request).delete_grant, caller.tenant_id, key)
    return responses.no_content()
