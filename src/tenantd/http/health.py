"""GET /_tenantd/health on both listeners, without a token: liveness, and which worker process answered, by
a random label of its own (what tells the workers of ``--workers N`` apart) rather than its process id,
which is no one's business outside the machine."""

from __future__ import annotations

import functools
import os
import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@functools.cache
def _label(pid: int) -> str:
    """A label for the process ``pid``, made the first time that process asks (a forked worker is a new pid,
    so it does not inherit its parent's label)."""
    return secrets.token_hex(4)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "worker": _label(os.getpid())}, headers={"Cache-Control": "no-store"})


route = Route("/_tenantd/health", health, methods=["GET"])
