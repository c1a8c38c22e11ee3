"""The STS: OIDC discovery (v1, v2), JWKS, instance discovery, user realms and the v1 / v2 token endpoints."""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, unquote_plus

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..domain.errors import OAuthError, Unavailable
from ..metrics import instruments
from ..tokens import device_authorization, errors
from ..tokens.request import TokenRequest
from ..tokens.service import TokenService
from .bodies import BodyTooLarge, read_limited
from .errors import UNAVAILABLE_AADSTS

MAX_FORM_FIELDS = 32
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _service(request: Request) -> TokenService:
    service: TokenService = request.app.state.runtime.tokens
    return service


async def discovery_v2(request: Request) -> Response:
    body = await run_in_threadpool(_service(request).discovery, request.path_params["tenant"], 2)
    return JSONResponse(body)


async def discovery_v1(request: Request) -> Response:
    body = await run_in_threadpool(_service(request).discovery, request.path_params["tenant"], 1)
    return JSONResponse(body)


async def jwks(request: Request) -> Response:
    body = await run_in_threadpool(_service(request).jwks, request.path_params["tenant"])
    return JSONResponse(body)


async def instance_discovery(request: Request) -> Response:
    return JSONResponse(_service(request).instance_discovery(request.query_params.get("authorization_endpoint")))


async def user_realm(request: Request) -> Response:
    """``/common/userrealm/{name}``: where msal asks, before a password grant, whether a user's domain is
    federated. As in Entra, a domain some tenant has verified is "Managed" (tenantd checks its users'
    passwords itself; none is federated), any other name "Unknown". msal federates only on "Federated" and
    signs in with the password grant otherwise, so a user outside every verified domain still can."""
    name = request.path_params["name"]
    local, at, domain = name.partition("@")
    found = None
    if local and at and domain and len(name) <= 256:
        found = await run_in_threadpool(request.app.state.runtime.directory.verified_domain, domain)
    if found is None:
        return JSONResponse({"ver": "1.0", "account_type": "Unknown", "cloud_instance_name": "microsoftonline.com"})
    return JSONResponse({"ver": "1.0", "account_type": "Managed", "domain_name": found.name,
                         "cloud_instance_name": "microsoftonline.com",
                         "cloud_audience_urn": "urn:federation:MicrosoftOnline"})


def parse_form(body: bytes) -> dict[str, str]:
    """A strict x-www-form-urlencoded body: UTF-8 (so no unpaired surrogate), no NUL (the store cannot hold
    one: user names, scopes and codes are looked up and kept), bounded field count, no repeated parameter."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise errors.invalid_request("The request body is not a valid application/x-www-form-urlencoded "
                                     "form.", 900144) from None
    form: dict[str, str] = {}
    for key, value in pairs:
        if "\x00" in key or "\x00" in value:
            raise errors.invalid_request(f"The parameter '{key[:64].replace(chr(0), '')}' may not hold NUL.", 900144)
        if key in form:
            raise errors.invalid_request(f"The request body must not repeat the parameter '{key[:64]}'.", 90015)
        form[key] = value
    return form


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """HTTP Basic client credentials; both parts are form-url-encoded first (RFC 6749 section 2.3.1)."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except ValueError:   # binascii.Error, UnicodeDecodeError, and non-ASCII text (which b64decode refuses)
        raise errors.invalid_request("The Authorization header is not valid HTTP Basic.", 900144) from None
    return unquote_plus(user), unquote_plus(password)


def token_endpoint(version: int) -> Callable[[Request], Awaitable[Response]]:
    endpoint = f"v{version}"

    async def token(request: Request) -> Response:
        """The answer, counted by grant, endpoint and result (the AADSTS code; 0 when issued)."""
        started = time.perf_counter()
        grant = "other"
        try:
            call = await _token_request(request, version)
            service = _service(request)
            grant_type = call.form.get("grant_type", "")
            grant = grant_type if grant_type in service.grants else "other"   # a bounded set of label values
            result = service.token_from_memory(call) or await run_in_threadpool(service.token, call)
        except OAuthError as exc:
            instruments().token_request(grant, endpoint, exc.aadsts, time.perf_counter() - started)
            exc.headers.update(_cors(request))
            raise
        except Unavailable:
            instruments().token_request(grant, endpoint, UNAVAILABLE_AADSTS, time.perf_counter() - started)
            raise
        instruments().token_request(grant, endpoint, 0, time.perf_counter() - started)
        return JSONResponse(result, headers={**NO_STORE, **_cors(request)})
    return token


def device_authorization_endpoint(version: int) -> Callable[[Request], Awaitable[Response]]:
    async def devicecode(request: Request) -> Response:
        """RFC 8628's device authorization request (``tokens/device_authorization.py``)."""
        call = await _token_request(request, version)
        body = await run_in_threadpool(device_authorization.start, _service(request), call)
        return JSONResponse(body, headers=NO_STORE)
    return devicecode


async def _token_request(request: Request, version: int) -> TokenRequest:
    return TokenRequest(tenant=request.path_params["tenant"], endpoint_version=version,
                        form=await _token_form(request), basic_auth=parse_basic(request.headers.get("authorization")),
                        client_ip=request.client.host if request.client else None,
                        origin=request.headers.get("origin"))


def _cors(request: Request) -> dict[str, str]:
    """A browser's cross-origin redemption (a spa's) may read the answer, as from Entra; the token endpoint
    takes no cookie, so no credentialed CORS is needed."""
    return {"Access-Control-Allow-Origin": "*"} if request.headers.get("origin") else {}


async def _token_form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise errors.invalid_request("The request body must be application/x-www-form-urlencoded.", 900144)
    try:
        body = await read_limited(request)
    except BodyTooLarge:
        raise errors.OAuthError(413, "invalid_request", 900144, "The request body is too large.") from None
    return parse_form(body)


routes = [
    Route("/common/discovery/instance", instance_discovery),
    Route("/common/userrealm/{name}", user_realm),
    Route("/{tenant}/v2.0/.well-known/openid-configuration", discovery_v2),
    Route("/{tenant}/.well-known/openid-configuration", discovery_v1),
    Route("/{tenant}/discovery/v2.0/keys", jwks),
    Route("/{tenant}/discovery/keys", jwks),
    Route("/{tenant}/oauth2/v2.0/token", token_endpoint(2), methods=["POST"]),
    Route("/{tenant}/oauth2/token", token_endpoint(1), methods=["POST"]),
    Route("/{tenant}/oauth2/v2.0/devicecode", device_authorization_endpoint(2), methods=["POST"]),
    Route("/{tenant}/oauth2/devicecode", device_authorization_endpoint(1), methods=["POST"]),
]
