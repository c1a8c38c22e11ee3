"""The managed identity endpoints on their own plain-HTTP loopback listener, as the platforms serve them:

    GET  /{host secret}/metadata/identity/oauth2/token   IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST = /{host secret})
    GET  /msi/token + X-IDENTITY-HEADER                   App Service 2019-08-01 (IDENTITY_ENDPOINT/IDENTITY_HEADER)
    GET  /msi/token + secret                              2017-09-01 (MSI_ENDPOINT/MSI_SECRET)
    POST /{host secret}/cloudshell/token                  Cloud Shell (MSI_ENDPOINT alone)

IMDS has no header that tells hosts apart, so each host gets its own base URL under a secret path prefix
(lowercase hex). Clients canonicalise the URL they build from a platform's variable (msal-node lowercases it
and appends a slash; others double a slash where they join), so routes see the path with repeated and
trailing slashes dropped, and answer it without a redirect.
Each platform's response and error shapes are its own; values IMDS sends as strings are strings here.

IMDS and Cloud Shell take no secret header, so they keep IMDS's guards against a request relayed by a
server-side request forgery: ``Metadata: true``, no ``X-Forwarded-For``, no repeated parameter, and for Cloud
Shell's POST a form body and nothing else. App Service and the 2017 protocol are guarded by their secret header
(and refuse a repeated parameter too).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..domain.errors import Unavailable
from ..metrics import instruments
from ..tokens.managed_identity import IdentityError, IdentityToken, ManagedIdentityTokens, Selector, SelectorKind
from ..tokens.signins import NO_AADSTS, aadsts_code
from . import health
from .bodies import BodyTooLarge, client_gone, read_limited
from .host_limits import HostLimiter, RateLimited
from .text import UrlGuard

IMDS_VERSIONS = ["2018-02-01", "2018-04-02", "2018-10-01", "2019-03-11", "2019-04-30", "2019-06-01",
                 "2019-06-04", "2019-08-01", "2019-08-15", "2019-11-01", "2020-06-01", "2020-07-15",
                 "2020-09-01", "2020-10-01", "2020-12-01", "2021-01-01", "2021-02-01", "2021-03-01",
                 "2021-05-01", "2021-10-01", "2021-11-01", "2021-11-15", "2021-12-13", "2023-07-01"]
IMDS_SELECTORS: dict[str, SelectorKind] = {"client_id": "client_id", "object_id": "object_id",
                                           "msi_res_id": "resource_id", "mi_res_id": "resource_id",
                                           "resource_id": "resource_id"}
APP_SERVICE_SELECTORS: dict[str, SelectorKind] = {"client_id": "client_id", "object_id": "object_id",
                                                  "principal_id": "object_id", "mi_res_id": "resource_id"}
MSI_2017_SELECTORS: dict[str, SelectorKind] = {"clientid": "client_id"}
MAX_FIELDS = 32        # query parameters or form fields; clients send at most four
MAX_FORM = 8 * 1024    # bytes of Cloud Shell's form

Answer = tuple[Response, int]   # an answer and its result for the metrics: 0 (a token), an AADSTS code, NO_AADSTS


def _tokens(request: Request) -> ManagedIdentityTokens:
    tokens: ManagedIdentityTokens = request.app.state.identity_tokens
    return tokens


def _pairs(text: str) -> dict[str, str] | None:
    """Name-value pairs of a query or form, or None when a name is repeated (IMDS refuses that); ValueError
    beyond MAX_FIELDS."""
    pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    found = dict(pairs)
    return found if len(found) == len(pairs) else None


def _query(request: Request) -> dict[str, str] | None:
    """The query parameters, or None when one is repeated or there are too many."""
    try:
        return _pairs(request.scope["query_string"].decode("utf-8", "replace"))
    except ValueError:
        return None


def _imds_error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"Retry-After": "1"} if status == 429 else None
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


def _answer(tokens: ManagedIdentityTokens, limiter: HostLimiter, secret: str, resource: str,
            selector: Selector | None, client_ip: str | None) -> IdentityToken | None:
    """In one worker thread: the host ``secret`` names (None when it names none), then its token, holding one
    of the host's request slots."""
    host, view = tokens.host_and_view(secret)
    if host is None:
        return None
    with limiter.slot(f"{host.tenant_id}|{host.resource_id}"):
        return tokens.token(host, resource, selector, client_ip, view)


async def _issue(request: Request, secret: str, resource: str, selector: Selector | None) -> IdentityToken | None:
    """A cached token memory alone can give is answered here, without a thread (its request still takes the
    host's rate and slot); anything else in a worker thread."""
    tokens, limiter = _tokens(request), request.app.state.limiter
    known = tokens.from_memory(secret, resource, selector)
    if known is not None:
        host, token = known
        with limiter.slot(f"{host.tenant_id}|{host.resource_id}"):
            return token
    return await run_in_threadpool(_answer, tokens, limiter, secret, resource, selector,
                                   request.client.host if request.client else None)


def _selector(query: dict[str, str], names: dict[str, SelectorKind]) -> Selector | str | None:
    """The one identity selector given, None for none, or an error text when several are given."""
    given = [(name, query[name]) for name in names if query.get(name)]
    if len(given) > 1:
        return "Only one of " + ", ".join(names) + " may be given."
    return Selector(names[given[0][0]], given[0][1]) if given else None


def _unrelayed_query(request: Request) -> dict[str, str] | JSONResponse:
    """The query of a request that shows no sign of being relayed, or IMDS's refusal: a missing
    ``Metadata: true``, an ``X-Forwarded-For``, a repeated query parameter."""
    if request.headers.get("metadata", "").lower() != "true":
        return _imds_error(400, "invalid_request", "Required metadata header not specified")
    if "x-forwarded-for" in request.headers:
        return _imds_error(400, "invalid_request", "Request contains an X-Forwarded-For header; proxied requests "
                           "are refused.")
    query = _query(request)
    if query is None:
        return _imds_error(400, "invalid_request", "A query parameter is repeated, or there are too many.")
    return query


async def imds(request: Request) -> Answer:
    query = _unrelayed_query(request)
    if isinstance(query, JSONResponse):
        return query, NO_AADSTS
    version = query.get("api-version")
    if version not in IMDS_VERSIONS:
        problem = "was not specified in the request" if not version else "is invalid"
        return JSONResponse({"error": f"Bad request. api-version {problem}. For more information refer to "
                                      "aka.ms/azureimds", "newest-versions": IMDS_VERSIONS[-3:][::-1]},
                            status_code=400), NO_AADSTS
    if not query.get("resource"):
        return _imds_error(400, "invalid_request", "Required query variable 'resource' is missing"), NO_AADSTS
    selector = _selector(query, IMDS_SELECTORS)
    if isinstance(selector, str):
        return _imds_error(400, "invalid_request", selector), NO_AADSTS
    return await _imds_token(request, query["resource"], selector)


async def _imds_token(request: Request, resource: str, selector: Selector | None) -> Answer:
    """A token for the host named by the path's secret, in IMDS's shape (Cloud Shell answers the same)."""
    try:
        token = await _issue(request, request.path_params["secret"], resource, selector)
    except IdentityError as exc:
        return _imds_error(exc.status, exc.error, exc.description), aadsts_code(exc.description)
    except RateLimited:
        return _imds_error(429, "too_many_requests", "Too many requests"), NO_AADSTS
    if token is None:
        return _imds_error(400, "invalid_request", "Identity not found"), NO_AADSTS
    issued = token.issued
    return JSONResponse({
        "access_token": issued.access_token, "refresh_token": "",
        "expires_in": str(issued.expires_on - int(time.time())),
        "expires_on": str(issued.expires_on), "ext_expires_in": str(issued.expires_in),
        "not_before": str(issued.not_before), "resource": issued.resource, "token_type": "Bearer",
        "client_id": token.client_id,
    }), 0


_BAD_HEADER = "The identity header is missing or not valid for this host."


def _service_error(status: int, message: str) -> JSONResponse:
    headers = {"Retry-After": "1"} if status == 429 else None
    return JSONResponse({"statusCode": status, "message": message, "correlationId": str(uuid.uuid4())},
                        status_code=status, headers=headers)


async def app_service(request: Request) -> Answer:
    """App Service 2019-08-01 (X-IDENTITY-HEADER) and the 2017-09-01 protocol (secret), one endpoint."""
    query = _query(request)
    if query is None:
        return _service_error(400, "A query parameter is repeated, or there are too many."), NO_AADSTS
    version = query.get("api-version")
    header = request.headers.get("x-identity-header") if version == "2019-08-01" else request.headers.get("secret")
    if version not in {"2019-08-01", "2017-09-01"}:
        return _service_error(400, "api-version must be 2019-08-01 (X-IDENTITY-HEADER) or 2017-09-01 "
                              "(secret)."), NO_AADSTS
    selector = _selector(query, APP_SERVICE_SELECTORS if version == "2019-08-01" else MSI_2017_SELECTORS)
    if not query.get("resource") or isinstance(selector, str):   # told only to a caller with a valid header
        host, _ = await run_in_threadpool(_tokens(request).host_and_view, header or "")
        if host is None:
            return _service_error(401, _BAD_HEADER), NO_AADSTS
        missing = "Required query variable 'resource' is missing."
        return _service_error(400, str(selector) if query.get("resource") else missing), NO_AADSTS
    try:
        token = await _issue(request, header or "", query["resource"], selector)
    except IdentityError as exc:
        return _service_error(exc.status, exc.description), aadsts_code(exc.description)
    except RateLimited:
        return _service_error(429, "Too many requests."), NO_AADSTS
    if token is None:
        return _service_error(401, _BAD_HEADER), NO_AADSTS
    body = {"access_token": token.issued.access_token, "expires_on": str(token.issued.expires_on),
            "resource": token.issued.resource, "token_type": "Bearer", "client_id": token.client_id}
    if version == "2017-09-01":
        body.pop("client_id")
    return JSONResponse(body), 0


async def cloud_shell(request: Request) -> Answer:
    """Cloud Shell: a POST with the form azure-identity sends (``resource=R``), under IMDS's guards."""
    refused = _unrelayed_query(request)
    if isinstance(refused, JSONResponse):
        return refused, NO_AADSTS
    try:
        body = await read_limited(request, MAX_FORM)
    except BodyTooLarge:
        return _imds_error(413, "invalid_request", "The request body is too large."), NO_AADSTS
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return _imds_error(400, "invalid_request",
                           "The request body must be application/x-www-form-urlencoded."), NO_AADSTS
    try:
        form = _pairs(body.decode("utf-8"))
    except ValueError:   # UnicodeDecodeError too
        return _imds_error(400, "invalid_request", "The request body is not a valid form."), NO_AADSTS
    if form is None:
        return _imds_error(400, "invalid_request", "A form field is repeated."), NO_AADSTS
    if not form.get("resource"):
        return _imds_error(400, "invalid_request", "Required form field 'resource' is missing"), NO_AADSTS
    return await _imds_token(request, form["resource"], None)


def _counted(endpoint: Callable[[Request], str], handler: Callable[[Request], Awaitable[Answer]]
             ) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` answering, each request counted and timed under its ``endpoint`` (a fixed set of names)."""

    async def counted(request: Request) -> Response:
        started = time.perf_counter()
        try:
            response, result = await handler(request)
        except Unavailable:
            instruments().token_request("managed_identity", endpoint(request), NO_AADSTS, time.perf_counter() - started)
            raise
        instruments().token_request("managed_identity", endpoint(request), result, time.perf_counter() - started)
        return response

    return counted


def _app_service_protocol(request: Request) -> str:
    return "msi_2017" if request.query_params.get("api-version") == "2017-09-01" else "app_service"


async def _unavailable(request: Request, exc: Exception) -> Response:
    """503 with Retry-After: every managed identity client retries it."""
    return JSONResponse({"error": "service_unavailable", "error_description": str(exc)}, status_code=503,
                        headers={"Retry-After": str(Unavailable.retry_after)})


def _in_shape(request: Request, status: int, message: str) -> JSONResponse:
    """App Service's error body on its endpoint, IMDS's (which Cloud Shell's shares) elsewhere."""
    if request.url.path == "/msi/token":
        return _service_error(status, message)
    return _imds_error(status, "invalid_request" if status < 500 else "server_error", message)


def _bad_url(request: Request, message: str) -> Response:
    return _in_shape(request, 400, message)


async def _internal_error(request: Request, exc: Exception) -> Response:
    """500 that closes the connection: the server ends it once it has logged the error (``errors.internal_error``)."""
    response = _in_shape(request, 500, "An internal server error occurred; the request was not completed.")
    response.headers["Connection"] = "close"
    return response


_SLASHES = re.compile("/{2,}")


class CanonicalPaths:
    """Middleware: the routes see each request's path without repeated or trailing slashes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = _SLASHES.sub("/", scope["path"])
            scope = {**scope, "path": path.rstrip("/") or "/"}
        await self.app(scope, receive, send)


def create_identity_app(tokens: ManagedIdentityTokens, limiter: HostLimiter) -> Starlette:
    app = Starlette(routes=[
        *health.routes,
        Route("/{secret}/metadata/identity/oauth2/token", _counted(lambda _: "imds", imds), methods=["GET"]),
        Route("/msi/token", _counted(_app_service_protocol, app_service), methods=["GET"]),
        Route("/{secret}/cloudshell/token", _counted(lambda _: "cloud_shell", cloud_shell), methods=["POST"]),
    ], middleware=[Middleware(CanonicalPaths), Middleware(UrlGuard, refusal=_bad_url)],
        exception_handlers={Unavailable: _unavailable, ClientDisconnect: client_gone, Exception: _internal_error})
    app.state.identity_tokens = tokens
    app.state.readiness = health.Probe(lambda: tokens.service)
    app.state.limiter = limiter
    return app

