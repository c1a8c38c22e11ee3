"""Text that cannot cross tenantd's boundaries: an unpaired UTF-16 surrogate (JSON's ``"\\ud800"`` parses to
one, and it is no UTF-8: SQLite cannot bind it, no response can encode it) and NUL (PostgreSQL's text refuses
it). Input holding either is refused where it enters: JSON bodies (``refuse_unstorable``), paths and query
strings (``UrlGuard``); error bodies, which quote input, are written so that any text renders
(``RenderableJSONResponse``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..domain.errors import BadRequest

_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_at(value: Any, where: str = "") -> str | None:
    """Where in parsed JSON ``value`` the first unstorable string (a key or a value) is, as ``a.b[2]``."""
    pending: list[tuple[str, Any]] = [(where, value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return path
        elif isinstance(item, dict):
            for key, inner in item.items():
                named = f"{path}.{key}" if path else key
                if _UNSTORABLE.search(key):
                    return named
                pending.append((named, inner))
        elif isinstance(item, list):
            pending.extend((f"{path}[{n}]", inner) for n, inner in enumerate(item))
    return None


def refuse_unstorable(body: Any) -> None:
    """Graph's 400 for a JSON body with a NUL or an unpaired surrogate in any string."""
    where = unstorable_at(body)
    if where is not None:
        raise BadRequest(f"Invalid value specified for property '{renderable(where)[:100]}': a string may not "
                         "hold NUL or an unpaired UTF-16 surrogate.")


def renderable(text: str) -> str:
    """``text`` with each unpaired surrogate replaced by U+FFFD, so it encodes as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


class RenderableJSONResponse(JSONResponse):
    """A JSON response that renders whatever text it quotes (an unpaired surrogate becomes U+FFFD)."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        return renderable(text).encode("utf-8")


class UrlGuard:
    """Refuses a request whose path or query string holds NUL (``%00``) before it is routed: path segments
    and query values reach the store (ids, names, ``$filter`` literals). Surrogates cannot arrive this way:
    the server decodes percent-escapes that are no UTF-8 to U+FFFD. ``refusal`` answers in the listener's
    own error shape."""

    def __init__(self, app: ASGIApp, refusal: Callable[[Request, str], Response]) -> None:
        self.app = app
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = ("path" if "\x00" in scope["path"]
                     else "query string" if b"\x00" in unquote_to_bytes(scope["query_string"]) else None)
            if where is not None:
                response = self.refusal(Request(scope), f"The request's {where} may not hold NUL (%00).")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
