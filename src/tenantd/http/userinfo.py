"""``/oidc/userinfo`` (GET and POST, a bearer token for Microsoft Graph from a user): OpenID Connect's UserInfo
endpoint, as ``tokens/userinfo.py`` answers it; any other token gets 401 with ``WWW-Authenticate``."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..tokens.service import BearerRejected, TokenService
from ..tokens.userinfo import userinfo
from .auth import graph_audiences


async def user_info(request: Request) -> Response:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _refused("invalid_request", "The request carries no bearer token.")
    service: TokenService = request.app.state.runtime.tokens
    try:
        body = await run_in_threadpool(userinfo, service, token.strip(), graph_audiences(service.public_url))
    except BearerRejected as exc:
        return _refused("invalid_token", str(exc))
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _refused(error: str, description: str) -> Response:
    """RFC 6750 section 3: 401 naming the error in ``WWW-Authenticate`` (the description, ours, holds no quote)."""
    header = f'Bearer realm="", error="{error}", error_description="{description.replace(chr(34), "")}"'
    return JSONResponse({"error": error, "error_description": description}, status_code=401,
                        headers={"WWW-Authenticate": header})


routes = [Route("/oidc/userinfo", user_info, methods=["GET", "POST"])]
