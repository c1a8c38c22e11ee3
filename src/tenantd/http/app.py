"""create_app: the HTTPS application (STS, Graph, admin API) over one Runtime."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router

from ..domain.azure_cloud import ARM_PATH
from ..domain.errors import GraphError, OAuthError, Unavailable
from ..runtime import Runtime
from ..store.sql import DuplicateKey
from . import aadgraph, admin, admin_tokens, arm, health, pages, portal, sts, userinfo
from .bodies import client_gone
from .errors import bad_url, duplicate_key, graph_error, internal_error, oauth_error, unavailable
from .graph import routes as graph_routes
from .text import UrlGuard


async def _not_found(request: Request, exc: Exception) -> Response:
    path = request.url.path
    if path != "/" and path.endswith("/"):   # no route ends with a slash: the path without it, on the public URL
        public: str = request.app.state.runtime.public_url
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{public}{path.rstrip('/') or '/'}{query}", status_code=307)
    if path.startswith("/v1.0"):
        return graph_error(request, GraphError("Invalid request: the resource was not found.",
                                               code="BadRequest", status=404))
    return JSONResponse({"error": "not_found", "error_description": "No such endpoint."}, status_code=404)


async def _beta(request: Request) -> Response:
    """Graph's beta endpoint, which tenantd does not serve: Graph's error envelope, as az and the SDKs read it
    (before AAD Graph's ``/{tenant}/...`` routes, which would take ``/beta/users`` for a tenant named beta)."""
    return graph_error(request, GraphError("Resource not found for the segment 'beta': tenantd serves Microsoft "
                                           "Graph v1.0 only.", code="BadRequest", status=404))


BETA = [Route(path, _beta, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        for path in ("/beta", "/beta/{rest:path}")]


def _mount(path: str, routes: list[BaseRoute]) -> Mount:
    """A Mount that holds every path below it: Starlette's prefix pattern stops at a newline, which sent
    ``/v1.0/users/a%0Ab`` on to the routes after the mounts (AAD Graph's ``/{tenant}/users/...``)."""
    mount = Mount(path, routes=routes)
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount


def _no_redirects_from_host(router: Router) -> None:
    """Starlette's own trailing-slash redirect makes its absolute URL from the request's Host header, which any
    client sets: off, here and in every mount, so that ``_not_found`` makes it from the public URL instead."""
    router.redirect_slashes = False
    for route in router.routes:
        if isinstance(route, Mount) and isinstance(route.app, Router):
            _no_redirects_from_host(route.app)


def create_app(runtime: Runtime) -> Starlette:
    app = Starlette(
        routes=[
            _mount("/v1.0", graph_routes.routes),
            *BETA,
            *health.routes,     # before the /_tenantd mount, which would otherwise take them
            *userinfo.routes,   # before AAD Graph's /{tenant}/... routes
            *pages.asset_routes,  # the pages' stylesheet and script, under /_tenantd too
            _mount("/_tenantd", [*admin_tokens.routes, *admin.routes]),
            _mount(ARM_PATH, arm.routes),
            *portal.routes,     # before AAD Graph's /{tenant}/..., which /portal/users would otherwise match
            *aadgraph.routes,   # after the mounts, whose paths its /{tenant}/... would otherwise match
            *sts.routes,
            *pages.routes,
        ],
        middleware=[Middleware(UrlGuard, refusal=bad_url)],
        exception_handlers={GraphError: graph_error, OAuthError: oauth_error, Unavailable: unavailable,
                            ClientDisconnect: client_gone, arm.ArmError: arm.arm_error, DuplicateKey: duplicate_key,
                            404: _not_found,
                            Exception: internal_error},
    )
    _no_redirects_from_host(app.router)
    app.state.runtime = runtime
    app.state.readiness = health.Probe(lambda: runtime.tokens)
    return app
