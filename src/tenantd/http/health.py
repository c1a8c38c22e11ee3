"""GET /_tenantd/health on both listeners, without a token: liveness, and which worker process answered
(its pid: no secret, and what tells the workers of ``--workers N`` apart)."""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "pid": os.getpid()}, headers={"Cache-Control": "no-store"})


route = Route("/_tenantd/health", health, methods=["GET"])
