"""The one renderer per protocol: Graph's error envelope and the OAuth error body with its AADSTS code.
Both render any text they quote (``RenderableJSONResponse``): error messages quote the caller's input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..domain.errors import BadRequest, GraphError, OAuthError, Unavailable
from .text import RenderableJSONResponse

UNAVAILABLE_AADSTS = 90033   # the token endpoint's code for "the service is temporarily unavailable"


def graph_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GraphError)
    request_id = str(uuid.uuid4())
    body = {"error": {"code": exc.code, "message": exc.message, "innerError": {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": request.headers.get("client-request-id", request_id),
    }}}
    headers = {"request-id": request_id}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="", error="invalid_token"'
    return RenderableJSONResponse(body, status_code=exc.status, headers=headers)


def oauth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OAuthError)
    now = datetime.now(UTC)
    trace_id, correlation_id = str(uuid.uuid4()), request.headers.get("client-request-id") or str(uuid.uuid4())
    timestamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    description = (f"AADSTS{exc.aadsts}: {exc.description}\r\nTrace ID: {trace_id}\r\n"
                   f"Correlation ID: {correlation_id}\r\nTimestamp: {timestamp}")
    body = {
        "error": exc.error, "error_description": description, "error_codes": [exc.aadsts],
        "timestamp": timestamp, "trace_id": trace_id, "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={exc.aadsts}",
    }
    if exc.suberror is not None:
        body["suberror"] = exc.suberror
    return RenderableJSONResponse(body, status_code=exc.status, headers=exc.headers)


def unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After, in the shape of the protocol the request spoke."""
    assert isinstance(exc, Unavailable)
    response = _in_shape(request, GraphError(str(exc), code="ServiceUnavailable", status=503),
                         OAuthError(503, "temporarily_unavailable", UNAVAILABLE_AADSTS, str(exc)))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def duplicate_key(request: Request, exc: Exception) -> JSONResponse:
    """400 for a write that a unique key of the store refused and no use case foresaw (an id the request
    pins that another tenant's object holds): the request's input, not a server fault. Nothing was written."""
    message = "Another object already holds a key this request gives (an id or a unique value)."
    return _in_shape(request, BadRequest(message), OAuthError(400, "invalid_request", 900144, message))


def bad_url(request: Request, message: str) -> JSONResponse:
    """400 for a path or query the store cannot take (``text.UrlGuard``)."""
    return _in_shape(request, BadRequest(message), OAuthError(400, "invalid_request", 900144, message))


def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """500 in the protocol's shape for what no other handler took; it closes the connection, so a client
    does not send its next request on a connection the server ends once it has logged the error."""
    message = "An internal server error occurred; the request was not completed."
    response = _in_shape(request, GraphError(message, code="InternalServerError", status=500),
                         OAuthError(500, "server_error", 50000, message))
    response.headers["Connection"] = "close"
    return response


def _in_shape(request: Request, graph: GraphError, oauth: OAuthError) -> JSONResponse:
    """Graph's envelope under /v1.0 and /_tenantd, the OAuth error body elsewhere."""
    if request.url.path.startswith(("/v1.0", "/_tenantd")):
        return graph_error(request, graph)
    return oauth_error(request, oauth)
