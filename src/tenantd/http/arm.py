"""A minimal Azure Resource Manager under /arm: what ``az login`` and ``az account`` read (the cloud's metadata,
tenants, subscriptions), in ARM's JSON shapes and its error envelope ``{"error": {"code", "message"}}``.

Every route but the metadata document needs an access token this server issued with one of Resource Manager's
audiences (domain/azure_cloud.ARM_AUDIENCES); the caller sees its own tenant, and of that tenant's subscriptions
those declared visible to it (domain/subscriptions.py). Where the Resource Manager URL lives, and why it is not
on the public URL's origin, is domain/azure_cloud.py's story.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain import azure_cloud
from ..domain.ids import is_guid
from ..domain.subscriptions import Subscription
from ..runtime import Runtime
from ..tokens import jwt
from ..tokens.service import BearerRejected, verify_bearer
from .text import RenderableJSONResponse

PAGE = 100   # subscriptions per page; more come by nextLink
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class ArmError(Exception):
    """An error in Resource Manager's envelope; a 401 also says why in WWW-Authenticate, as ARM does."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def arm_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ArmError)
    headers = {}
    if exc.status == 401:
        login = request.app.state.runtime.public_url.rstrip("/") + "/"
        description = exc.message.replace('"', "'")
        headers["WWW-Authenticate"] = (f'Bearer authorization_uri="{login}", error="invalid_token", '
                                       f'error_description="{description}"')
    return RenderableJSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=exc.status,
                                  headers=headers)


def _rt(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def arm_base(runtime: Runtime) -> str:
    """Resource Manager's URL as this server names it in links: the loopback alias of the public URL, or the
    public URL itself (``/arm`` below it) when it has none."""
    return azure_cloud.default_arm_url(runtime.public_url) or runtime.public_url.rstrip("/") + azure_cloud.ARM_PATH


async def _caller(request: Request) -> dict[str, Any]:
    """The verified claims of the request's Resource Manager token; ARM's 401 otherwise."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
    service = _rt(request).tokens
    audiences = set(azure_cloud.ARM_AUDIENCES)
    try:
        return await run_in_threadpool(verify_bearer, service, token.strip(), audiences)
    except BearerRejected:
        pass
    audience = _claimed_audience(token.strip())
    if audience and audience not in audiences:
        try:   # a token of this server for another resource: ARM names the audience it was obtained for
            await run_in_threadpool(verify_bearer, service, token.strip(), {audience})
        except BearerRejected:
            pass
        else:
            allowed = ",".join(f"'{a}'" for a in azure_cloud.ARM_AUDIENCES)
            raise ArmError(401, "InvalidAuthenticationTokenAudience",
                           f"The access token has been obtained for wrong audience or resource '{audience}'. It "
                           f"should exactly match with one of the allowed audiences {allowed}.")
    raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.")


def _claimed_audience(token: str) -> str | None:
    try:
        aud = jwt.unverified_parts(token)[1].get("aud")
    except Exception:
        return None
    return aud if isinstance(aud, str) else None


def _api_version(request: Request) -> str:
    version = request.query_params.get("api-version")
    if not version:
        raise ArmError(400, "MissingApiVersionParameter",
                       "The api-version query parameter (?api-version=) is required for all requests.")
    return version


def subscription_json(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.resource_id, "authorizationSource": "RoleBased", "managedByTenants": [],
        "subscriptionId": sub.id, "tenantId": sub.tenant_id, "displayName": sub.display_name, "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                 "spendingLimit": "Off"},
    }


async def metadata(request: Request) -> Response:
    """The cloud's endpoints (no token needed, as at Azure's ``/metadata/endpoints``)."""
    rt = _rt(request)
    return JSONResponse(azure_cloud.cloud_metadata(rt.public_url, arm_base(rt)))


async def tenants(request: Request) -> Response:
    claims = await _caller(request)
    _api_version(request)
    directory = _rt(request).directory
    tenant = await run_in_threadpool(directory.tenant, claims["tid"])
    domains = await run_in_threadpool(directory.domains, tenant.id)
    default = next((d.name for d in domains if d.is_default), None)
    return JSONResponse({"value": [{
        "id": f"/tenants/{tenant.id}", "tenantId": tenant.id, "countryCode": "US", "displayName": tenant.name,
        "domains": [d.name for d in domains], "tenantCategory": "Home", "defaultDomain": default,
        "tenantType": "AAD",
    }]})


async def subscriptions(request: Request) -> Response:
    claims = await _caller(request)
    version = _api_version(request)
    skip = request.query_params.get("$skiptoken", "0")
    start = int(skip) if skip.isdigit() else 0
    found = await run_in_threadpool(_rt(request).directory.visible_subscriptions, claims["tid"], claims["oid"])
    body: dict[str, Any] = {"value": [subscription_json(s) for s in found[start:start + PAGE]],
                            "count": {"type": "Total", "value": len(found)}}
    if start + PAGE < len(found):
        query = urlencode({"api-version": version, "$skiptoken": start + PAGE})
        body["nextLink"] = f"{arm_base(_rt(request))}/subscriptions?{query}"
    return JSONResponse(body)


async def subscription(request: Request) -> Response:
    claims = await _caller(request)
    _api_version(request)
    key = request.path_params["id"]
    if not is_guid(key):
        raise ArmError(400, "InvalidSubscriptionId",
                       f"The provided subscription identifier '{key}' is malformed or invalid.")
    found = await run_in_threadpool(_rt(request).directory.visible_subscriptions, claims["tid"], claims["oid"])
    match = next((s for s in found if s.id == key.lower()), None)
    if match is None:   # another tenant's, or one not declared visible to the caller: as if there were none
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{key}' could not be found.")
    return JSONResponse(subscription_json(match))


async def unknown(request: Request) -> Response:
    """Any other path: ARM's answer for a resource type no provider serves (after the token, as ARM does)."""
    await _caller(request)
    version = _api_version(request)
    kind = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    raise ArmError(404, "InvalidResourceType", f"The resource type '{kind}' could not be found in the namespace "
                                               f"'Microsoft.Resources' for api version '{version}'.")


def _get_only(handler: Any) -> Any:
    async def dispatch(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            await _caller(request)
            raise ArmError(405, "MethodNotAllowed",
                           f"The requested resource does not support http method '{request.method}'.")
        response: Response = await handler(request)
        return response
    return dispatch


routes: list[BaseRoute] = [
    Route("/metadata/endpoints", _get_only(metadata), methods=_ALL_METHODS),
    Route("//metadata/endpoints", _get_only(metadata), methods=_ALL_METHODS),   # an ARM URL ending in "/"
    Route("/tenants", _get_only(tenants), methods=_ALL_METHODS),
    Route("/subscriptions", _get_only(subscriptions), methods=_ALL_METHODS),
    Route("/subscriptions/{id}", _get_only(subscription), methods=_ALL_METHODS),
    Route("/{rest:path}", unknown, methods=_ALL_METHODS),
]
