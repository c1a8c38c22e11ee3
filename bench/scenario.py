"""The tenant every row measures against, made through tenantd's own APIs: an API with an app role, a
client app with a secret and that role, and an App Service site's managed identity with it too."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from .servers import Tenantd

ROLE_ID = "5b3c8a4e-2f1d-4c6b-9a7e-0d8f1e2c3b4a"
API_URI = "api://bench"
HOST = "/subscriptions/00000000-0000-0000-0000-00000000be0c/resourceGroups/bench/providers/Microsoft.Web/sites/bench"


@dataclass(frozen=True)
class Scenario:
    api_sp_id: str
    client_id: str
    client_sp_id: str
    secret: str
    identity_secret: str

    def form(self) -> str:
        """A client credentials request for the API, as msal sends it."""
        return urlencode({"grant_type": "client_credentials", "client_id": self.client_id,
                          "client_secret": self.secret, "scope": f"{API_URI}/.default", "client_info": "1"})

    def imds_path(self) -> str:
        query = urlencode({"api-version": "2018-02-01", "resource": API_URI})
        return f"/{self.identity_secret}/metadata/identity/oauth2/token?{query}"


def ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.status_code} "
                           f"{response.text[:300]}")
    return response.json() if response.content else {}


def create(server: Tenantd) -> Scenario:
    with server.http() as client:
        graph = server.graph_headers()

        def g(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
            return ok(client.request(method, "/v1.0" + path, json=body, headers=graph))

        api = g("POST", "/applications", {"displayName": "Bench API", "identifierUris": [API_URI], "appRoles": [{
            "allowedMemberTypes": ["Application", "User"], "displayName": "Read", "id": ROLE_ID, "isEnabled": True,
            "description": "Read bench data.", "value": "Bench.Read"}]})
        api_sp = g("POST", "/servicePrincipals", {"appId": api["appId"]})
        app = g("POST", "/applications", {"displayName": "Bench client"})
        app_sp = g("POST", "/servicePrincipals", {"appId": app["appId"]})
        secret = g("POST", f"/applications/{app['id']}/addPassword", {"passwordCredential": {"displayName": "bench"}})
        assign = {"principalId": app_sp["id"], "resourceId": api_sp["id"], "appRoleId": ROLE_ID}
        g("POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", assign)
        admin = server.admin_headers()
        identity = ok(client.post("/_tenantd/identities", json={"name": "bench-site", "host": HOST},
                                   headers=admin))
        g("POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
          {"principalId": identity["id"], "resourceId": api_sp["id"], "appRoleId": ROLE_ID})
        session = ok(client.post("/_tenantd/hosts/sessions", json={"host": HOST}, headers=admin))
    return Scenario(api_sp["id"], app["appId"], app_sp["id"], secret["secretText"], session["secret"])


@dataclass(frozen=True)
class Latency:
    p50: float
    p99: float
    count: int


def latency(samples: list[float]) -> Latency:
    ordered = sorted(samples)
    return Latency(statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
                   len(ordered))


def timed(calls: list[Callable[[], httpx.Response]]) -> Latency:
    """Run each call once, in order, on one keep-alive connection; every answer must succeed."""
    samples = []
    for call in calls:
        began = time.perf_counter()
        ok(call())
        samples.append(time.perf_counter() - began)
    return latency(samples)
