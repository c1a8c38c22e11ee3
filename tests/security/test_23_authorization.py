"""SECURITY.md item 23, and issue 6's secure default "the Graph API and every admin action need a token with
the right role": every route the server mounts is called without a token, with a token for another of
tenantd's APIs, and with a valid token that holds no role. The routes come from the application itself, so a
route added without its authorization fails here."""

from __future__ import annotations

from typing import Any

import pytest

from tenantd.domain import builtins
from tenantd.http import aadgraph

from ..http.graph_support import graph_token, new_client, ok
from ..support import Server
from .support import ADMIN, ARM, GRAPH, PORTAL, PUBLIC, ROUTES

ID = "3f2c5a1e-9b7d-4c6e-8a1f-2d3e4c5b6a79"


def _concrete(path: str, tenant_id: str) -> str:
    return (path.replace("{tenant}", tenant_id).replace("{kid}", "somekid").replace("{name}", "somename")
            .replace("{assignment_id}", "qVHX8s4ZHE2pBjHfPTtTQDNfxmDmILpFg1wDJgoWHoM")
            .replace("{app_id}", ID).replace("{id}", ID).replace("{fid}", ID).replace("{member_id}", ID)
            .replace("{owner_id}", ID).replace("{rest:path}", "providers/Microsoft.Compute"))


AAD_GRAPH = [("GET", "/{tenant}/servicePrincipals/{id}/appRoleAssignments"),
             ("POST", "/{tenant}/servicePrincipals/{id}/appRoleAssignments"),
             ("DELETE", "/{tenant}/servicePrincipals/{id}/appRoleAssignments/{assignment_id}"),
             ("GET", "/{tenant}/users/{id}/appRoleAssignments"),
             ("POST", "/{tenant}/users/{id}/appRoleAssignments"),
             ("DELETE", "/{tenant}/users/{id}/appRoleAssignments/{assignment_id}")]


def _call(server: Server, method: str, path: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    params = {"api-version": "1.6"} if not path.startswith(("/v1.0", "/_tenantd")) else {}
    with server.http() as client:
        return client.request(method, _concrete(path, server.tenant_id), headers=headers, params=params,
                              json={} if method in ("POST", "PATCH", "PUT", "DELETE") else None)


@pytest.fixture(scope="module")
def tokens(server: Server) -> dict[str, str]:
    """Valid tokens without any role, for Graph, AAD Graph, tenantd's admin API and Resource Manager."""
    app, _, secret = new_client(server)
    found = {"graph": graph_token(server, app, secret)}
    for name, resource in (("aad", "https://graph.windows.net"), ("admin", builtins.TENANTD_RESOURCE),
                           ("arm", "https://management.azure.com")):
        found[name] = str(ok(server.token(app["appId"], secret, f"{resource}/.default"))["access_token"])
    return found


def test_23_every_route_is_public_by_design_or_checked_here() -> None:
    assert len(GRAPH) > 40 and ("GET", "/v1.0/auditLogs/directoryAudits") in GRAPH
    assert ("POST", "/_tenantd/token") in ADMIN and ("POST", "/_tenantd/apply") in ADMIN
    assert ("GET", "/arm/subscriptions") in ARM
    checked = {p for _, p in (*GRAPH, *ADMIN, *AAD_GRAPH, *ARM, *PORTAL)} | PUBLIC
    assert {p for _, p in ROUTES} == checked
    assert len(aadgraph.routes) == 4


@pytest.mark.parametrize(("method", "path"), GRAPH, ids=[f"{m} {p}" for m, p in GRAPH])
def test_23_every_graph_call_needs_a_graph_token_with_a_role(server: Server, tokens: dict[str, str],
                                                             method: str, path: str) -> None:
    """A role-less app token gets 403, but on ``/me``, which has no user for an app-only token: Graph's 400.
    (A signed-in user's token: tests/security/test_51_delegated_graph.py.)"""
    app_only = 400 if path == "/v1.0/me" or path.startswith("/v1.0/me/") else 403
    for token, status in ((None, 401), (tokens["admin"], 401), (tokens["graph"], app_only)):
        response = _call(server, method, path, token)
        assert response.status_code == status, (token is not None, response.text)
        assert set(response.json()["error"]) == {"code", "message", "innerError"}


@pytest.mark.parametrize(("method", "path"), ADMIN, ids=[f"{m} {p}" for m, p in ADMIN])
def test_23_every_admin_action_needs_an_admin_token_with_a_role(server: Server, tokens: dict[str, str],
                                                                method: str, path: str) -> None:
    for token, status in ((None, 401), (tokens["graph"], 401), (tokens["admin"], 403)):
        response = _call(server, method, path, token)
        assert response.status_code == status, (token is not None, response.text)


@pytest.mark.parametrize(("method", "path"), ARM, ids=[f"{m} {p}" for m, p in ARM])
def test_23_every_resource_manager_call_needs_a_resource_manager_token(server: Server, tokens: dict[str, str],
                                                                       method: str, path: str) -> None:
    """Resource Manager has no roles (who sees a subscription is declared per subscription, test_arm.py): any
    token of the tenant with one of its audiences, and no other, gets past its 401."""
    for token, code in ((None, "AuthenticationFailed"), (tokens["graph"], "InvalidAuthenticationTokenAudience"),
                        (tokens["admin"], "InvalidAuthenticationTokenAudience")):
        response = _call(server, method, path, token)
        assert response.status_code == 401, (token is not None, response.text)
        assert response.json() == {"error": {"code": code, "message": response.json()["error"]["message"]}}
        assert response.headers["www-authenticate"].startswith("Bearer authorization_uri=")
    assert _call(server, method, path, tokens["arm"]).status_code != 401


@pytest.mark.parametrize(("method", "path"), AAD_GRAPH, ids=[f"{m} {p}" for m, p in AAD_GRAPH])
def test_23_every_aad_graph_call_needs_a_token_with_a_role(server: Server, tokens: dict[str, str],
                                                           method: str, path: str) -> None:
    for token, status in ((None, 401), (tokens["admin"], 401), (tokens["aad"], 403)):
        assert _call(server, method, path, token).status_code == status


def test_23_the_public_document_holds_no_tenant_data(server: Server) -> None:
    with server.http() as client:
        text = client.get("/_tenantd/openapi.json").text
    assert server.tenant_id not in text and server.info["admin_client_id"] not in text
