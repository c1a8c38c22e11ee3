"""Every Graph call needs a token for Graph carrying the Graph application permission the call needs."""

from __future__ import annotations

import uuid

import pytest

from ..support import Server
from .graph_support import error, grant_graph_role, graph_token, new_api, new_client, ok, role, store, unique


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic abc", "Bearer not.a.jwt",
                                           "Bearer " + "A" * 5000])
def test_missing_or_garbage_tokens_get_401(server: Server, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    with server.http() as client:
        response = client.get("/v1.0/applications", headers=headers)
    error(response, 401, "InvalidAuthenticationToken")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_token_for_another_resource_gets_401(server: Server) -> None:
    api_app, _ = new_api(server)
    client_app, _, secret = new_client(server)
    token = ok(server.token(client_app["appId"], secret, f"{api_app['identifierUris'][0]}/.default"))["access_token"]
    error(server.graph("GET", "/applications", token=token), 401, "InvalidAuthenticationToken")
    error(server.graph("GET", "/applications", token=server.admin_token("api://tenantd")), 401)


def test_a_graph_token_without_roles_gets_403_and_writes_nothing(server: Server) -> None:
    client_app, _, secret = new_client(server)
    token = graph_token(server, client_app, secret)
    name = unique("forbidden")
    for method, path, body in [
        ("GET", "/applications", None),
        ("GET", f"/applications/{client_app['id']}", None),
        ("POST", "/applications", {"displayName": name}),
        ("PATCH", f"/applications/{client_app['id']}", {"displayName": name}),
        ("POST", f"/applications/{client_app['id']}/addPassword", {}),
        ("DELETE", f"/applications/{client_app['id']}", None),
        ("GET", "/servicePrincipals", None),
        ("GET", "/users", None),
        ("POST", "/users", {"userPrincipalName": "forbidden@example.com", "displayName": name}),
        ("GET", "/groups", None),
        ("POST", "/groups", {"displayName": name}),
    ]:
        err = error(server.graph(method, path, token=token, json=body), 403, "Authorization_RequestDenied")
        assert "Insufficient privileges" in err["message"]
    with store(server) as (d, tid):
        assert len(d.application(tid, client_app["id"]).password_credentials) == 1
        assert d.application(tid, client_app["id"]).display_name == client_app["displayName"]
        assert not [a for a in d.applications(tid) if a.display_name == name]
        assert not [g for g in d.groups(tid) if g.display_name == name]


def test_each_permission_opens_only_its_calls(server: Server) -> None:
    api_app, api_sp = new_api(server, role("Things.Read.All"))
    reader_app, reader_sp, secret = new_client(server)
    grant_graph_role(server, reader_sp, "Application.Read.All")
    token = graph_token(server, reader_app, secret)
    assert ok(server.graph("GET", f"/applications/{api_app['id']}", token=token))["id"] == api_app["id"]
    assert ok(server.graph("GET", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", token=token))["value"] == []
    error(server.graph("POST", "/applications", token=token, json={"displayName": unique("no")}), 403)
    error(server.graph("GET", "/users", token=token), 403)
    assignment = {"principalId": reader_sp["id"], "resourceId": api_sp["id"],
                  "appRoleId": api_app["appRoles"][0]["id"]}
    path = f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo"
    error(server.graph("POST", path, token=token, json=assignment), 403)

    grant_graph_role(server, reader_sp, "AppRoleAssignment.ReadWrite.All")
    token = graph_token(server, reader_app, secret)   # roles are read when a token is issued
    created = ok(server.graph("POST", path, token=token, json=assignment), 201)
    assert server.graph("DELETE", f"{path}/{created['id']}", token=token).status_code == 204
    error(server.graph("PATCH", f"/applications/{api_app['id']}", token=token, json={"displayName": "x"}), 403)

    user_app, user_sp, user_secret = new_client(server)
    grant_graph_role(server, user_sp, "Directory.ReadWrite.All")
    token = graph_token(server, user_app, user_secret)
    user = ok(server.graph("POST", "/users", token=token, json={
        "userPrincipalName": f"{uuid.uuid4().hex[:8]}@example.com", "displayName": "by directory role"}), 201)
    group = ok(server.graph("POST", "/groups", token=token, json={"displayName": unique("g")}), 201)
    assert server.graph("POST", f"/groups/{group['id']}/members/$ref", token=token, json={
        "@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user['id']}"}).status_code == 204
    error(server.graph("POST", "/applications", token=token, json={"displayName": unique("no")}), 403)


@pytest.mark.parametrize("path", ["/beta", "/beta/users", "/beta/users/someone/memberOf", "/beta/me",
                                  "/v1.0/nothingHere", "/v1.0/users/x/nothingHere"])
def test_graph_paths_tenantd_does_not_serve_answer_graphs_envelope(server: Server, path: str) -> None:
    """Unserved Graph paths (the beta endpoint among them, which AAD Graph's ``/{tenant}/users`` would take for
    a tenant named beta) answer in Graph's error envelope, with or without a token, whatever the method."""
    for method in ("GET", "POST", "PATCH"):
        with server.http() as client:
            anonymous = client.request(method, path)
        for response in (anonymous, server.graph(method, path.removeprefix("/v1.0"))
                         if path.startswith("/v1.0") else anonymous):
            found = error(response, 404, "BadRequest")
            assert set(found) == {"code", "message", "innerError"} and "request-id" in found["innerError"]
    if path.startswith("/beta"):
        assert "Resource not found for the segment 'beta'" in anonymous.json()["error"]["message"]
