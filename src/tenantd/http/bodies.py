"""Bounded request bodies: read at most ``limit`` bytes, whatever Content-Length claims; and a client gone
before its body ended."""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

MAX_BODY = 64 * 1024

logger = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int = MAX_BODY) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def client_gone(request: Request, exc: Exception) -> Response:
    """The handler of ``ClientDisconnect``: a client that closed its connection before its body ended is one
    log line, not a traceback (nothing failed here), and gets an answer nobody receives. The line names the
    endpoint, not the path, which may hold a host secret (IMDS's path prefix)."""
    assert isinstance(exc, ClientDisconnect)
    endpoint = getattr(request.scope.get("endpoint"), "__name__", "unknown")
    logger.warning("%s closed the connection before the body of its %s request arrived (endpoint %s)",
                   request.client.host if request.client else "a client", request.method, endpoint)
    return Response(status_code=400)
