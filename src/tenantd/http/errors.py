"""The one renderer per protocol: Graph's error envelope and the OAuth error body with its AADSTS code."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..domain.errors import GraphError, OAuthError, Unavailable

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
    return JSONResponse(body, status_code=exc.status, headers=headers)


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
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


def unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After, in the shape of the protocol the request spoke."""
    assert isinstance(exc, Unavailable)
    headers = {"Retry-After": str(exc.retry_after)}
    path = request.url.path
    if path.startswith(("/v1.0", "/_tenantd")):
        response = graph_error(request, GraphError(str(exc), code="ServiceUnavailable", status=503))
    else:
        response = oauth_error(request, OAuthError(503, "temporarily_unavailable", UNAVAILABLE_AADSTS, str(exc)))
    response.headers.update(headers)
    return response
