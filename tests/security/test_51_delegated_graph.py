"""SECURITY.md item 51: a delegated Graph call is allowed when the token's ``scp`` allows it AND the signed-in
user may do it (Entra's default member permissions, what she owns, her directory roles, the tenant's
authorization policy). A broad ``scp`` — the Azure CLI's token holds Directory.ReadWrite.All and
Application.ReadWrite.All — does not let a member without a role change another's application, assign roles on
an API she does not own, or make herself an admin; an application administrator does not grant Graph's own app
roles; a role is no use without the scope, nor in another tenant of the same server. Each refusal leaves the
directory unchanged. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.domain import builtins
from tenantd.tokens import jwt

from ..http.delegated_support import APP_ADMIN, GLOBAL_ADMIN, PASSWORD, Obj, as_user, person, reference, user_token
from ..http.graph_support import GRAPH_SP, error, new_api, new_app, new_sp, ok, role
from ..support import Server

BROAD = {"Directory.ReadWrite.All", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All",
         "RoleManagement.ReadWrite.Directory", "Policy.ReadWrite.Authorization"}


@dataclass
class Setting:
    server: Server
    mallory: Obj              # a member without any role
    token: str                # her Azure CLI token for Graph: every delegated permission
    victim: Obj               # an application someone else registered
    api: Obj
    api_sp: Obj


@pytest.fixture(scope="module")
def setting(tenantd: Server) -> Iterator[Setting]:
    mallory = person(tenantd, "mallory")
    api, api_sp = new_api(tenantd, role("Things.ReadWrite.All"))
    yield Setting(tenantd, mallory, user_token(tenantd, mallory), new_app(tenantd, "victim"), api, api_sp)


def _call(setting: Setting, method: str, path: str, body: Obj | None = None) -> Obj:
    return error(setting.server.graph(method, path, token=setting.token, json=body), 403,
                 "Authorization_RequestDenied")


def test_51_a_broad_scope_does_not_let_a_member_change_anothers_application(setting: Setting) -> None:
    held = set(jwt.unverified_parts(setting.token)[1]["scp"].split())
    assert held >= BROAD
    victim, path = setting.victim, f"/applications/{setting.victim['id']}"
    _call(setting, "PATCH", path, {"displayName": "pwned", "web": {"redirectUris": ["https://evil.test/cb"]}})
    _call(setting, "POST", f"{path}/addPassword", {})
    _call(setting, "POST", f"{path}/federatedIdentityCredentials", {
        "name": "evil", "issuer": "https://evil.test", "subject": "me"})
    _call(setting, "POST", f"{path}/owners/$ref", reference(setting.mallory["id"]))
    _call(setting, "DELETE", path)
    after = ok(setting.server.graph("GET", path))
    assert (after["displayName"], after["passwordCredentials"], after["web"]["redirectUris"]) == (
        victim["displayName"], [], [])
    assert ok(setting.server.graph("GET", f"{path}/owners"))["value"] == []


def test_51_a_member_cannot_assign_roles_on_an_api_she_does_not_own(setting: Setting) -> None:
    mine = ok(setting.server.graph("POST", "/applications", token=setting.token, json={"displayName": "mine"}), 201)
    client = ok(setting.server.graph("POST", "/servicePrincipals", token=setting.token,
                                     json={"appId": mine["appId"]}), 201)
    body = {"principalId": client["id"], "resourceId": setting.api_sp["id"],
            "appRoleId": setting.api["appRoles"][0]["id"]}
    _call(setting, "POST", f"/servicePrincipals/{setting.api_sp['id']}/appRoleAssignedTo", body)
    _call(setting, "POST", f"/servicePrincipals/{client['id']}/appRoleAssignments", body)
    graph = ok(setting.server.graph("GET", GRAPH_SP))
    _call(setting, "POST", f"/servicePrincipals/{graph['id']}/appRoleAssignedTo", {
        "principalId": client["id"], "resourceId": graph["id"],
        "appRoleId": builtins.GRAPH_ROLES["RoleManagement.ReadWrite.Directory"]})
    assert ok(setting.server.graph("GET", f"/servicePrincipals/{client['id']}/appRoleAssignments"))["value"] == []


def test_51_a_member_cannot_make_herself_an_admin(setting: Setting) -> None:
    mallory = setting.mallory["id"]
    _call(setting, "POST", "/roleManagement/directory/roleAssignments", {
        "principalId": mallory, "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"})
    _call(setting, "POST", f"/directoryRoles/{GLOBAL_ADMIN}/members/$ref", reference(mallory))
    _call(setting, "PATCH", "/policies/authorizationPolicy", {"defaultUserRolePermissions": {
        "allowedToReadOtherUsers": False}})
    chief = person(setting.server, "chief", GLOBAL_ADMIN)
    _call(setting, "PATCH", f"/users/{chief['id']}", {"displayName": "pwned", "accountEnabled": False})
    _call(setting, "POST", f"/users/{chief['id']}/revokeSignInSessions")
    assert ok(setting.server.graph("GET", f"/users/{chief['id']}"))["displayName"] == chief["displayName"]
    assert ok(setting.server.graph("GET", f"/roleManagement/directory/roleAssignments?$filter=principalId eq "
                                          f"'{mallory}'"))["value"] == []


def test_51_an_application_administrator_does_not_grant_graphs_own_app_roles(setting: Setting) -> None:
    server = setting.server
    call = as_user(server, person(server, "appadmin", APP_ADMIN))
    client = new_sp(server, new_app(server, "wants graph"))
    graph = ok(server.graph("GET", GRAPH_SP))
    refused = call("POST", f"/servicePrincipals/{graph['id']}/appRoleAssignedTo", json={
        "principalId": client["id"], "resourceId": graph["id"],
        "appRoleId": builtins.GRAPH_ROLES["Application.ReadWrite.All"]})
    error(refused, 403, "Authorization_RequestDenied")
    ok(call("POST", f"/servicePrincipals/{setting.api_sp['id']}/appRoleAssignedTo", json={
        "principalId": client["id"], "resourceId": setting.api_sp["id"],
        "appRoleId": setting.api["appRoles"][0]["id"]}), 201)   # another API's roles: yes
    assert [a["resourceId"] for a in ok(server.graph("GET", f"/servicePrincipals/{client['id']}/appRoleAssignments"))[
        "value"]] == [setting.api_sp["id"]]


def test_51_a_directory_role_is_no_use_without_the_scope(setting: Setting) -> None:
    server = setting.server
    desktop = new_app(server, "user read only", isFallbackPublicClient=True,
                      publicClient={"redirectUris": ["http://localhost"]})
    new_sp(server, desktop)
    boss = person(server, "boss", GLOBAL_ADMIN)
    narrow = user_token(server, boss, client_id=desktop["appId"])
    assert jwt.unverified_parts(narrow)[1]["scp"] == "User.Read"
    path = f"/applications/{setting.victim['id']}"
    error(server.graph("PATCH", path, token=narrow, json={"displayName": "nope"}), 403, "Authorization_RequestDenied")
    error(server.graph("GET", "/users", token=narrow), 403)
    assert ok(server.graph("GET", path))["displayName"] == setting.victim["displayName"]
    ok(server.graph("PATCH", path, token=user_token(server, boss), json={"displayName": "renamed by the boss"}), 204)
    ok(server.graph("PATCH", path, json={"displayName": setting.victim["displayName"]}), 204)


def test_51_a_signed_in_user_reaches_her_own_tenant_only(setting: Setting) -> None:
    """A Global Administrator of another tenant of the same server, her token for the same Graph: the first
    tenant's objects are not there for her (404, as for an id no tenant holds), and she makes nothing of them."""
    server = setting.server
    rt = server.runtime()
    try:
        other = rt.directory.create_tenant(f"other{uuid.uuid4().hex[:6]}")
        olga = rt.directory.create_user(other.id, f"olga@{other.name}.test", "Olga")
        rt.directory.set_password(other.id, olga.id, PasswordProfile(PASSWORD))
        rt.directory.assign_directory_role(other.id, olga.id, GLOBAL_ADMIN)
    finally:
        rt.store.dispose()
    with server.http() as client:
        answer = client.post(f"/{other.id}/oauth2/v2.0/token", data={
            "grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": olga.user_principal_name,
            "password": PASSWORD, "scope": "https://graph.microsoft.com/.default"})
    token = answer.json()["access_token"]
    victim = f"/applications/{setting.victim['id']}"
    for method, path, body in (("GET", victim, None), ("PATCH", victim, {"displayName": "pwned"}),
                               ("POST", f"{victim}/addPassword", {}), ("GET", f"/users/{setting.mallory['id']}", None),
                               ("POST", f"/servicePrincipals/{setting.api_sp['id']}/appRoleAssignedTo", {
                                   "principalId": olga.id, "resourceId": setting.api_sp["id"],
                                   "appRoleId": setting.api["appRoles"][0]["id"]})):
        error(server.graph(method, path, token=token, json=body), 404)
    mine = ok(server.graph("POST", "/applications", token=token, json={"displayName": "olga's"}), 201)
    error(server.graph("POST", f"/applications/{mine['id']}/owners/$ref", token=token,
                       json=reference(setting.mallory["id"])), 404)
    assert ok(server.graph("GET", victim))["displayName"] == setting.victim["displayName"]
