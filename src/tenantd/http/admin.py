"""tenantd's own admin API under /_tenantd: what Graph has no call for (tenants, managed identities,
minting tokens as another principal). It needs tenantd's own roles; impersonation is audited."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from .. import bootstrap
from ..domain import audit as audit_log
from ..domain import rules
from ..domain.errors import BadRequest, Forbidden, GraphError, NotFound, OAuthError
from ..domain.model import ServicePrincipal
from ..runtime import Runtime
from ..tokens.impersonation import issue_as
from ..tokens.rotation import KeyState, stamp
from . import admin_credentials, admin_subscriptions, admin_tenantfile, openapi
from .auth import admin_caller, directory
from .bodies import BodyTooLarge, read_limited
from .text import refuse_unstorable

audit = logging.getLogger("tenantd.audit")
ADMIN = "Tenantd.Admin"
IMPERSONATE = "Tenantd.Impersonate"
DEFAULT_UA_SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tenantd"


def _rt(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def json_body(request: Request) -> dict[str, Any]:
    try:
        raw = await read_limited(request)
    except BodyTooLarge:
        raise BadRequest("The request body is too large.", status=413) from None
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):   # RecursionError: arrays or objects nested a thousand deep
        raise BadRequest("Unable to read JSON request payload. Please ensure Content-Type header is set and "
                         "payload is of valid JSON format.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    refuse_unstorable(body)
    return body


def _optional_guid(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return None if value is None else rules.object_id(value, key)


def identity_json(sp: ServicePrincipal, hosts: list[str] | None = None) -> dict[str, Any]:
    body = {
        "id": sp.id, "name": sp.managed_identity_name, "type": sp.managed_identity_kind, "clientId": sp.app_id,
        "principalId": sp.id, "resourceId": sp.managed_identity_resource_id,
        "alternativeNames": list(sp.alternative_names),
    }
    if hosts is not None:
        body["hosts"] = hosts
    return body


async def tenants(request: Request) -> Response:
    caller = await admin_caller(request, ADMIN)
    rt = _rt(request)
    await _require_default_tenant(rt, caller.tenant_id)
    if request.method == "GET":
        found = await run_in_threadpool(rt.directory.tenants)
        return JSONResponse({"value": [{"id": t.id, "name": t.name, "createdDateTime": t.created} for t in found]})
    body = await json_body(request)
    tenant = await run_in_threadpool(directory(request).create_tenant, rules.display_name(body.get("name"), "name"),
                                     _optional_guid(body, "id"))
    creds = await run_in_threadpool(bootstrap.issue_admin_secret, rt, tenant)
    audit.info("tenant created: %s (%s) by app %s", tenant.name, tenant.id, caller.app_id)
    return JSONResponse({"id": tenant.id, "name": tenant.name, "createdDateTime": tenant.created,
                         "admin": {"clientId": creds.client_id, "clientSecret": creds.client_secret}},
                        status_code=201)


async def _require_default_tenant(rt: Runtime, tenant_id: str) -> None:
    def default() -> str | None:
        with rt.store.read() as tx:
            return tx.setting("default_tenant")
    if await run_in_threadpool(default) != tenant_id:
        raise Forbidden("Only the admin of the server's default tenant may manage tenants.")


async def identities(request: Request) -> Response:
    caller = await admin_caller(request, ADMIN)
    rt = _rt(request)
    if request.method == "GET":
        found = await run_in_threadpool(rt.directory.service_principals, caller.tenant_id,
                                        service_principal_type="ManagedIdentity")
        hosts = [await run_in_threadpool(rt.directory.hosts_of, sp) for sp in found]
        return JSONResponse({"value": [identity_json(sp, h) for sp, h in zip(found, hosts, strict=True)]})
    body = await json_body(request)
    name = rules.display_name(body.get("name"), "name")
    kind = body.get("type", "SystemAssigned")
    if kind == "SystemAssigned":
        resource_id = body.get("host")
        if not isinstance(resource_id, str) or not resource_id.startswith("/subscriptions/"):
            raise BadRequest("A system-assigned identity needs 'host': the resource id of its host, such as "
                             "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Web/sites/<name>.")
    elif kind == "UserAssigned":
        resource_id = body.get("resourceId") or (
            f"{DEFAULT_UA_SCOPE}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}")
        if not isinstance(resource_id, str) or not resource_id.startswith("/subscriptions/"):
            raise BadRequest("'resourceId' must be a resource id starting with /subscriptions/.")
    else:
        raise BadRequest("'type' must be SystemAssigned or UserAssigned.")
    sp = await run_in_threadpool(directory(request).create_managed_identity, caller.tenant_id, name, kind, resource_id,
                                 _optional_guid(body, "id"), _optional_guid(body, "clientId"))
    return JSONResponse(identity_json(sp), status_code=201)


async def identity(request: Request) -> Response:
    caller = await admin_caller(request, ADMIN)
    rt = _rt(request)
    object_id = rules.object_id(request.path_params["id"], "id")
    sp = await run_in_threadpool(rt.directory.service_principal, caller.tenant_id, object_id)
    if sp.service_principal_type != "ManagedIdentity":
        raise BadRequest(f"'{object_id}' is not a managed identity.")
    if request.method == "DELETE":
        await run_in_threadpool(directory(request).delete_service_principal, caller.tenant_id, object_id)
        return Response(status_code=204)
    return JSONResponse(identity_json(sp, await run_in_threadpool(rt.directory.hosts_of, sp)))


async def attachment(request: Request) -> Response:
    """Attach (POST) or detach (DELETE) a user-assigned identity to or from a host."""
    caller = await admin_caller(request, ADMIN)
    object_id = rules.object_id(request.path_params["id"], "id")
    host = (await json_body(request)).get("host") if request.method == "POST" else request.query_params.get("host")
    host = rules.host_resource_id(host)
    if request.method == "POST":
        await run_in_threadpool(directory(request).attach, caller.tenant_id, object_id, host)
    else:
        await run_in_threadpool(directory(request).detach, caller.tenant_id, object_id, host)
    return Response(status_code=204)


async def host_sessions(request: Request) -> Response:
    """Open (POST) or close (DELETE) a running host's session: the secret its managed identity endpoints
    know it by. Opening one lets a process use the host's identities, so it is audited."""
    caller = await admin_caller(request, IMPERSONATE)
    rt = _rt(request)
    body = await json_body(request)
    if request.method == "DELETE":
        secret = body.get("secret")
        if not isinstance(secret, str) or not secret:
            raise BadRequest("'secret' is required.")
        await run_in_threadpool(directory(request).close_host_session, caller.tenant_id, secret)
        return Response(status_code=204)
    host = rules.host_resource_id(body.get("host"))
    lifetime = body.get("lifetimeSeconds", 7 * 24 * 3600)
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or not 60 <= lifetime <= 30 * 24 * 3600:
        raise BadRequest("'lifetimeSeconds' must be an integer between 60 and 2592000.")
    view = await run_in_threadpool(rt.directory.host, caller.tenant_id, host)
    secret = await run_in_threadpool(partial(directory(request).open_host_session, caller.tenant_id, host,
                                             timedelta(seconds=lifetime), caller_is_admin=ADMIN in caller.roles))
    audit.info("host session opened: app %s in tenant %s for host %s", caller.app_id, caller.tenant_id, host)
    return JSONResponse({"host": host, "secret": secret,
                         "systemAssigned": identity_json(view.system_identity) if view.system_identity else None,
                         "userAssigned": [identity_json(sp) for sp in view.user_assigned]},
                        status_code=201, headers={"Cache-Control": "no-store"})


async def mint_token(request: Request) -> Response:
    """A token as another principal of the caller's own tenant, with that principal's assigned roles (one with
    directory roles only for a caller that is also an admin: tokens/impersonation.py). Minted or refused, it is
    in the directory audit log before the answer leaves."""
    caller = await admin_caller(request, IMPERSONATE)
    body = await json_body(request)
    principal = rules.object_id(body.get("principalId"), "principalId")
    resource = body.get("resource")
    if not isinstance(resource, str) or not resource:
        raise BadRequest("'resource' is required: an App ID URI or appId.")
    rt, record = _rt(request), directory(request).record
    user = await run_in_threadpool(_is_user, rt, caller.tenant_id, principal)
    try:
        issued = await run_in_threadpool(partial(issue_as, rt.tokens, caller.tenant_id, principal,
                                                 resource.removesuffix("/.default"),
                                                 caller_is_admin=ADMIN in caller.roles))
    except (OAuthError, GraphError) as exc:
        reason = f"AADSTS{exc.aadsts}: {exc.description}" if isinstance(exc, OAuthError) else exc.message
        entry = audit_log.impersonation(principal, None, resource[:600], reason, user=user)
        await run_in_threadpool(record, caller.tenant_id, entry)
        raise
    entry = audit_log.impersonation(principal, issued.principal_name, resource[:600], user=user)
    await run_in_threadpool(record, caller.tenant_id, entry)
    audit.info("impersonation: app %s in tenant %s minted a token as %s for %s", caller.app_id, caller.tenant_id,
               principal, resource)
    return JSONResponse({"token_type": "Bearer", "access_token": issued.access_token,
                         "expires_in": issued.expires_in, "expires_on": issued.expires_on,
                         "resource": issued.resource}, headers={"Cache-Control": "no-store"})


def _is_user(rt: Runtime, tenant_id: str, principal_id: str) -> bool:
    with rt.store.read() as tx:
        return tx.service_principal(tenant_id, principal_id) is None and tx.user(tenant_id, principal_id) is not None


def _when(epoch: float | None) -> str | None:
    return None if epoch is None else stamp(epoch)


def key_json(key: KeyState, now: float) -> dict[str, Any]:
    return {"kid": key.kid, "status": key.status, "created": _when(key.created),
            "activates": _when(key.activates), "retires": _when(key.retires), "published": key.published(now)}


async def signing_keys(request: Request) -> Response:
    """The caller's tenant's signing keys, newest first, whether published or not."""
    caller = await admin_caller(request, ADMIN)
    keyring = _rt(request).tokens.keyring
    found = await run_in_threadpool(keyring.keys, caller.tenant_id)
    now = keyring.clock()
    return JSONResponse({"value": [key_json(k, now) for k in found]})


async def rotate_key(request: Request) -> Response:
    """Publish a next signing key; ``{"now": true}`` makes it sign at once, skipping the publish lead."""
    caller = await admin_caller(request, ADMIN)
    body = await json_body(request)
    immediately = body.get("now", False)
    if not isinstance(immediately, bool):
        raise BadRequest("'now' must be true or false.")
    keyring = _rt(request).tokens.keyring
    done = await run_in_threadpool(lambda: keyring.rotate(caller.tenant_id, immediately=immediately))
    audit.info("signing key rotation by app %s in tenant %s: %s key %s, signs from %s", caller.app_id,
               caller.tenant_id, "new" if done.new else "pending", done.key.kid, _when(done.key.activates))
    return JSONResponse({**key_json(done.key, keyring.clock()), "new": done.new},
                        status_code=201 if done.new else 200)


async def revoke_key(request: Request) -> Response:
    """Revoke a signing key at once; if it was signing, another key signs from now on."""
    caller = await admin_caller(request, ADMIN)
    kid = request.path_params["kid"]
    keyring = _rt(request).tokens.keyring
    done = await run_in_threadpool(keyring.revoke, caller.tenant_id, kid) if len(kid) <= 64 else None
    if done is None:
        raise NotFound(f"This tenant has no signing key '{kid[:64]}'.")
    audit.warning("signing key %s revoked by app %s in tenant %s%s", kid, caller.app_id, caller.tenant_id,
                  f"; key {done.replacement.kid} signs from now on" if done.replacement else "")
    now = keyring.clock()
    return JSONResponse({"revoked": key_json(done.revoked, now),
                         "replacement": key_json(done.replacement, now) if done.replacement else None})


routes: list[BaseRoute] = [
    Route("/openapi.json", openapi.serve, methods=["GET"]),   # the Graph API's OpenAPI document; no token
    Route("/tenants", tenants, methods=["GET", "POST"]),
    Route("/identities", identities, methods=["GET", "POST"]),
    Route("/identities/{id}", identity, methods=["GET", "DELETE"]),
    Route("/identities/{id}/hosts", attachment, methods=["POST", "DELETE"]),
    Route("/hosts/sessions", host_sessions, methods=["POST", "DELETE"]),
    Route("/token", mint_token, methods=["POST"]),
    Route("/keys", signing_keys, methods=["GET"]),
    Route("/keys/rotate", rotate_key, methods=["POST"]),
    Route("/keys/{kid}/revoke", revoke_key, methods=["POST"]),
    *admin_credentials.routes,
    Mount("/", routes=[*admin_tenantfile.routes, *admin_subscriptions.routes]),
]
