"""Helpers of the catalogue tests: clients that connect from a chosen loopback address, and Graph calls."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from typing import Any

import httpx
from starlette.routing import BaseRoute, Mount, Route

from tenantd.http.app import create_app
from tenantd.http.graph import routes as graph_routes

from ..support import Server

# Paths that answer without a token by design: the STS (discovery, keys, token and device code endpoints), the
# pages people sign in and out with (and their stylesheet and script), the Graph API's OpenAPI document, the
# health check and Resource Manager's cloud metadata (none holds tenant data). The UserInfo endpoint takes a
# user's own Graph token and refuses any other (test_41_id_tokens.py).
PUBLIC = {"/_tenantd/openapi.json", "/_tenantd/health", "/_tenantd/health/live", "/_tenantd/health/ready",
          "/common/discovery/instance", "/common/userrealm/{name}",
          "/{tenant}/.well-known/openid-configuration", "/{tenant}/v2.0/.well-known/openid-configuration",
          "/{tenant}/discovery/keys", "/{tenant}/discovery/v2.0/keys", "/{tenant}/oauth2/token",
          "/{tenant}/oauth2/v2.0/token", "/{tenant}/oauth2/authorize", "/{tenant}/oauth2/v2.0/authorize",
          "/{tenant}/login", "/{tenant}/oauth2/logout", "/{tenant}/oauth2/v2.0/logout", "/devicelogin",
          "/{tenant}/v2.0/adminconsent", "/{tenant}/adminconsent",
          "/_tenantd/static/{name}", "/{tenant}/oauth2/devicecode", "/{tenant}/oauth2/v2.0/devicecode",
          "/oidc/userinfo", "/arm/metadata/endpoints", "/arm//metadata/endpoints",
          # Graph's beta: not served, answered with Graph's error envelope and nothing else
          "/beta", "/beta/{rest:path}",
          # the portal's way in: its landing, its sign-in and the sign-in's answer, its stylesheet
          "/portal", "/portal/sign-in", "/portal/signed-in", "/portal/static/{name}"}


def _methods(route: Route) -> list[str]:
    handlers = getattr(route, "handlers", None)
    return sorted(handlers) if handlers is not None else sorted((route.methods or set()) - {"HEAD"})


def _walk(prefix: str, found: list[BaseRoute]) -> Iterator[tuple[str, str]]:
    for route in found:
        if isinstance(route, Mount):
            yield from _walk(prefix + route.path, route.routes)
        elif isinstance(route, Route):
            for method in _methods(route):
                yield method, prefix + route.path


# Every (method, path) the HTTPS application mounts; Graph's with the methods each path answers.
ROUTES = sorted(_walk("", create_app(None).routes))   # type: ignore[arg-type]  # routes need no runtime
GRAPH = sorted(_walk("/v1.0", graph_routes.routes))
ADMIN = sorted(c for c in ROUTES if c[1].startswith("/_tenantd/") and c[1] not in PUBLIC)
ARM = sorted(c for c in ROUTES if c[1].startswith("/arm/") and c[1] not in PUBLIC)
# The portal's pages take a person's portal session, not a token: test_52_portal.py checks each of them.
PORTAL = sorted(c for c in ROUTES if c[1].startswith("/portal/{tenant}"))


def client_from(server: Server, source: str) -> httpx.Client:
    """An HTTPS client of ``server`` whose connections come from ``source`` (any 127.x.y.z on Linux)."""
    context = ssl.create_default_context(cafile=server.ca_cert)
    transport = httpx.HTTPTransport(verify=context, local_address=source)
    return httpx.Client(base_url=server.url.replace("localhost", "127.0.0.1"), transport=transport, timeout=30)


def secret_request(server: Server, client_id: str, secret: str, source: str,
                   scope: str = "https://graph.microsoft.com/.default") -> httpx.Response:
    with client_from(server, source) as client:
        return client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope})


def fresh_window(needed: float, window: float = 60) -> None:
    """Wait for the next fixed window when fewer than ``needed`` seconds are left in this one."""
    left = window - time.time() % window
    if left < needed:
        time.sleep(left + 0.05)


def aadsts(response: httpx.Response) -> tuple[int, str, list[int]]:
    body: dict[str, Any] = response.json()
    return response.status_code, body.get("error", ""), body.get("error_codes", [])
