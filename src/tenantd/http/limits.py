"""Bounded request heads on every listener: a request line and headers of more than ``MAX_HEAD`` bytes get
431 (RFC 6585) before any application code runs.

The server bounds what it keeps of an incomplete head (``server.BoundedHttpToolsProtocol``), but a head
that arrives whole in one read is parsed whatever its size; this checks the parsed head, so the limit is the
same however the bytes arrived. Bodies are bounded where they are read (:mod:`.bodies`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

MAX_HEAD = 32 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def head_size(scope: Scope) -> int:
    return (len(scope.get("raw_path") or scope.get("path", "").encode()) + len(scope.get("query_string", b""))
            + sum(len(name) + len(value) + 4 for name, value in scope.get("headers", ())))


def bounded_heads(app: ASGIApp, limit: int = MAX_HEAD) -> ASGIApp:
    """``app`` behind the head limit."""
    async def bounded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and head_size(scope) > limit:
            body = b'{"error":"invalid_request","error_description":"Request header fields too large."}'
            await send({"type": "http.response.start", "status": 431, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)
    return bounded
