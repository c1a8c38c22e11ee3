"""Microsoft Graph called by people (delegated tokens, the password grant through the Azure CLI's client id), on
SQLite and on PostgreSQL: ``/me``; a member registers her own application and manages it, but nobody else's,
until she is made an owner; roles on an API need its ownership or an admin role, and Graph's own app roles a
Global Administrator; application administrators, the Global Reader, the User and Groups Administrators, the
Privileged Role Administrator; the tenant's authorization policy; the audit log names the person."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tenantd.domain import builtins

from ..support import Server
from .delegated_support import (
    APP_ADMIN,
    CLOUD_APP_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    PRIVILEGED_ROLE_ADMIN,
    USER_ADMIN,
    Call,
    Obj,
    as_user,
    person,
    reference,
)
from .graph_support import GRAPH_SP, error, new_api, new_app, new_sp, ok, role, unique

POLICY = "/policies/authorizationPolicy"


@dataclass
class World:
    server: Server
    alice: Obj                    # a member without any role
    api: Obj                      # an API nobody owns, with an Application role and a User role
    api_sp: Obj
    people: dict[str, Obj]        # by role name
    calls: dict[str, Call]        # Graph as each of them (Azure CLI tokens: every Graph delegated permission)

    def assignment(self, principal_id: str, kind: str = "Application") -> Obj:
        role_id = next(r["id"] for r in self.api["appRoles"] if r["allowedMemberTypes"] == [kind])
        return {"principalId": principal_id, "resourceId": self.api_sp["id"], "appRoleId": role_id}


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[World]:
    api, api_sp = new_api(tenantd, role("Things.Read.All"), role("Things.Read", ("User",)))
    roles = {"alice": (), "bob": (), "appadmin": (APP_ADMIN,), "cloudadmin": (CLOUD_APP_ADMIN,),
             "global": (GLOBAL_ADMIN,), "reader": (GLOBAL_READER,), "privileged": (PRIVILEGED_ROLE_ADMIN,),
             "useradmin": (USER_ADMIN,), "groupsadmin": (GROUPS_ADMIN,)}
    people = {name: person(tenantd, name, *held) for name, held in roles.items()}
    calls = {name: as_user(tenantd, user) for name, user in people.items()}
    yield World(tenantd, people["alice"], api, api_sp, people, calls)


def test_me_is_the_signed_in_user_and_an_app_only_token_has_none(world: World) -> None:
    alice, server = world.alice, world.server
    me = ok(world.calls["alice"]("GET", "/me"))
    assert me["id"] == alice["id"] and me["userPrincipalName"] == alice["userPrincipalName"]
    assert me["@odata.context"].endswith("$metadata#users/$entity")
    refused = error(server.graph("GET", "/me"), 400, "BadRequest")
    assert refused["message"] == "/me request is only valid with delegated authentication flow."
    error(server.graph("GET", "/me/ownedObjects"), 400, "BadRequest")
    error(server.graph("GET", "/me", token="not-a-token"), 401)
    # A client that holds only Graph's User.Read: her own profile, memberships and owned objects, nothing more.
    desktop = new_app(server, "desktop", isFallbackPublicClient=True, publicClient={"redirectUris": ["http://localhost"]})
    new_sp(server, desktop)
    narrow = as_user(server, alice, client_id=desktop["appId"])
    assert ok(narrow("GET", "/me"))["id"] == alice["id"]
    assert ok(narrow("GET", f"/users/{alice['id']}"))["id"] == alice["id"]
    for path in ("/me/ownedObjects", "/me/memberOf", "/me/transitiveMemberOf"):
        assert ok(narrow("GET", path))["value"] == [], path
    for method, path in (("GET", "/users"), ("GET", f"/users/{world.people['bob']['id']}"), ("GET", "/applications"),
                         ("GET", "/me/appRoleAssignments"), ("POST", "/applications")):
        assert "delegated permissions" in error(narrow(method, path, json={"displayName": "x"}), 403,
                                                "Authorization_RequestDenied")["message"], path


def test_a_member_registers_her_own_app_and_owns_it(world: World) -> None:
    alice, call, server = world.alice, world.calls["alice"], world.server
    app = ok(call("POST", "/applications", json={"displayName": unique("alice's app")}), 201)
    assert [o["id"] for o in ok(server.graph("GET", f"/applications/{app['id']}/owners"))["value"]] == [alice["id"]]
    ok(call("PATCH", f"/applications/{app['id']}", json={"displayName": unique("renamed")}), 204)
    ok(call("PATCH", f"/applications(appId='{app['appId']}')", json={"signInAudience": "AzureADMyOrg"}), 204)
    assert ok(call("POST", f"/applications/{app['id']}/addPassword", json={}))["secretText"]
    ok(call("POST", f"/applications/{app['id']}/federatedIdentityCredentials", json={
        "name": "ci-main", "issuer": "https://issuer.example.com", "subject": "repo:x"}), 201)
    sp = ok(call("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    ok(call("PATCH", f"/servicePrincipals/{sp['id']}", json={"appRoleAssignmentRequired": True}), 204)
    owned = {o["id"]: o["@odata.type"] for o in ok(call("GET", "/me/ownedObjects"))["value"]}
    assert owned == {app["id"]: "#microsoft.graph.application", sp["id"]: "#microsoft.graph.servicePrincipal"}
    assert {o["id"] for o in ok(server.graph("GET", f"/users/{alice['id']}/ownedObjects"))["value"]} == set(owned)
    # The audit log names her, and records her ownership as Entra does.
    audits = ok(server.graph("GET", f"/auditLogs/directoryAudits?$filter=initiatedBy/user/id eq '{alice['id']}'"))
    activities = [a["activityDisplayName"] for a in audits["value"]]
    assert {"Add application", "Add owner to application", "Update application", "Add service principal",
            "Add owner to service principal"} <= set(activities)
    added = next(a for a in audits["value"] if a["activityDisplayName"] == "Add owner to application")
    assert added["initiatedBy"] == {"app": None, "user": {
        "id": alice["id"], "displayName": None, "userPrincipalName": alice["userPrincipalName"], "ipAddress": None}}
    assert [t["id"] for t in added["targetResources"]] == [alice["id"], app["id"]]
    ok(call("DELETE", f"/applications/{app['id']}"), 204)
    assert ok(call("GET", "/me/ownedObjects"))["value"] == []


def test_a_member_changes_another_apps_only_once_she_owns_it(world: World) -> None:
    alice, call, server = world.alice, world.calls["alice"], world.server
    app = new_app(server, "someone else's")
    path = f"/applications/{app['id']}"
    for method, suffix, body in (("PATCH", "", {"displayName": "mine now"}), ("POST", "/addPassword", {}),
                                 ("POST", "/owners/$ref", reference(alice["id"])), ("DELETE", "", None)):
        error(call(method, path + suffix, json=body), 403, "Authorization_RequestDenied")
    assert ok(call("GET", path))["id"] == app["id"]   # every member reads every application
    ok(server.graph("POST", f"{path}/owners/$ref", json=reference(alice["id"])), 204)
    ok(call("PATCH", path, json={"displayName": unique("shared")}), 204)
    ok(call("POST", f"{path}/owners/$ref", json=reference(world.people["bob"]["id"])), 204)   # owners add owners
    ok(call("DELETE", f"{path}/owners/{alice['id']}/$ref"), 204)
    error(call("PATCH", path, json={"displayName": "again"}), 403)
    ok(world.calls["bob"]("PATCH", path, json={"displayName": unique("bob's now")}), 204)


def test_roles_on_an_api_are_assigned_by_its_owners_and_admins(world: World) -> None:
    alice, call, server = world.alice, world.calls["alice"], world.server
    mine = ok(call("POST", "/applications", json={"displayName": unique("client")}), 201)
    client = ok(call("POST", "/servicePrincipals", json={"appId": mine["appId"]}), 201)
    body = world.assignment(client["id"])
    on_api = f"/servicePrincipals/{world.api_sp['id']}/appRoleAssignedTo"
    error(call("POST", on_api, json=body), 403, "Authorization_RequestDenied")
    error(call("POST", f"/servicePrincipals/{client['id']}/appRoleAssignments", json=body), 403)
    error(call("POST", f"/users/{alice['id']}/appRoleAssignments", json=world.assignment(alice["id"], "User")), 403)
    ok(server.graph("POST", f"/servicePrincipals/{world.api_sp['id']}/owners/$ref", json=reference(alice["id"])), 204)
    try:
        made = ok(call("POST", f"/servicePrincipals/{client['id']}/appRoleAssignments", json=body), 201)
        ok(call("DELETE", f"/servicePrincipals/{client['id']}/appRoleAssignments/{made['id']}"), 204)
        made = ok(call("POST", on_api, json=body), 201)
        ok(call("DELETE", f"{on_api}/{made['id']}"), 204)
    finally:
        ok(server.graph("DELETE", f"/servicePrincipals/{world.api_sp['id']}/owners/{alice['id']}/$ref"), 204)
    error(call("POST", on_api, json=body), 403)


def test_application_administrators_manage_every_app_but_not_graphs_roles(world: World) -> None:
    server = world.server
    app = new_app(server, "any")
    graph = ok(server.graph("GET", GRAPH_SP))
    read_all = builtins.GRAPH_ROLES["Application.Read.All"]
    for name in ("appadmin", "cloudadmin"):
        call = world.calls[name]
        ok(call("PATCH", f"/applications/{app['id']}", json={"displayName": unique(name)}), 204)
        assert ok(call("POST", f"/applications/{app['id']}/addPassword", json={}))["secretText"]
        client = ok(call("POST", "/applications", json={"displayName": unique("made by an admin")}), 201)
        assert ok(server.graph("GET", f"/applications/{client['id']}/owners"))["value"] == []   # not its owner
        client_sp = ok(call("POST", "/servicePrincipals", json={"appId": client["appId"]}), 201)
        ok(call("POST", f"/servicePrincipals/{world.api_sp['id']}/appRoleAssignedTo",
                json=world.assignment(client_sp["id"])), 201)
        error(call("POST", f"/servicePrincipals/{graph['id']}/appRoleAssignedTo", json={
            "principalId": client_sp["id"], "resourceId": graph["id"], "appRoleId": read_all}), 403)
        error(call("POST", "/users", json={"userPrincipalName": f"{unique('x').replace(' ', '')}@contoso.test",
                                           "displayName": "X"}), 403)
    client = new_app(server, "graph client")
    client_sp = new_sp(server, client)
    made = ok(world.calls["global"]("POST", f"/servicePrincipals/{graph['id']}/appRoleAssignedTo", json={
        "principalId": client_sp["id"], "resourceId": graph["id"], "appRoleId": read_all}), 201)
    assert made["resourceId"] == graph["id"]


def test_the_global_reader_reads_everything_and_changes_nothing(world: World) -> None:
    call, server, bob = world.calls["reader"], world.server, world.people["bob"]
    for path in ("/applications", "/servicePrincipals", "/users", "/groups", "/oauth2PermissionGrants", "/domains",
                 "/auditLogs/directoryAudits", "/auditLogs/signIns", "/roleManagement/directory/roleAssignments",
                 "/directoryRoles", POLICY, f"/users/{bob['id']}/ownedObjects"):
        ok(call("GET", path))
    for path in ("/auditLogs/directoryAudits", "/auditLogs/signIns"):
        error(world.calls["alice"]("GET", path), 403)    # a member does not read the logs
    app, group = new_app(server, "read only"), ok(server.graph("POST", "/groups", json={"displayName": "ro"}), 201)
    graph = ok(server.graph("GET", GRAPH_SP))
    writes = [
        ("PATCH", f"/applications/{app['id']}", {"displayName": "no"}), ("DELETE", f"/applications/{app['id']}", None),
        ("POST", f"/applications/{app['id']}/owners/$ref", reference(bob["id"])),
        ("POST", "/users", {"userPrincipalName": "nope@contoso.test", "displayName": "Nope"}),
        ("PATCH", f"/users/{bob['id']}", {"displayName": "No"}), ("DELETE", f"/users/{bob['id']}", None),
        ("POST", f"/users/{bob['id']}/revokeSignInSessions", None),
        ("POST", f"/groups/{group['id']}/members/$ref", reference(bob["id"])),
        ("DELETE", f"/groups/{group['id']}", None),
        ("POST", "/roleManagement/directory/roleAssignments", {
            "principalId": bob["id"], "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"}),
        ("POST", "/oauth2PermissionGrants", {"clientId": world.api_sp["id"], "consentType": "AllPrincipals",
                                             "resourceId": graph["id"], "scope": "User.Read"}),
        ("POST", "/domains", {"id": "reader.test"}), ("PATCH", POLICY, {"defaultUserRolePermissions": {}}),
        ("POST", f"/servicePrincipals/{world.api_sp['id']}/appRoleAssignedTo", world.assignment(bob["id"], "User")),
    ]
    refused = [(m, p) for m, p, body in writes if call(m, p, json=body).status_code != 403]
    assert refused == []


def test_user_and_groups_administrators(world: World) -> None:
    users, groups, server = world.calls["useradmin"], world.calls["groupsadmin"], world.server
    made = ok(users("POST", "/users", json={"userPrincipalName": f"{unique('new').replace(' ', '')}@contoso.test",
                                            "displayName": "New"}), 201)
    ok(users("PATCH", f"/users/{made['id']}", json={"displayName": "Renamed"}), 204)
    ok(users("PATCH", f"/users/{world.people['groupsadmin']['id']}", json={"displayName": "Groups Admin"}), 204)
    for privileged in ("global", "appadmin", "privileged"):   # whom a User Administrator does not manage
        target = world.people[privileged]["id"]
        error(users("PATCH", f"/users/{target}", json={"displayName": "Taken"}), 403)
        error(users("POST", f"/users/{target}/revokeSignInSessions"), 403)
    ok(world.calls["global"]("PATCH", f"/users/{world.people['appadmin']['id']}", json={"displayName": "App"}), 204)
    ok(users("DELETE", f"/users/{made['id']}"), 204)
    group = ok(groups("POST", "/groups", json={"displayName": unique("admins' group")}), 201)
    ok(groups("POST", f"/groups/{group['id']}/members/$ref", json=reference(world.alice["id"])), 204)
    error(groups("POST", "/users", json={"userPrincipalName": "g@contoso.test", "displayName": "G"}), 403)
    error(groups("PATCH", f"/applications/{new_app(server)['id']}", json={"displayName": "no"}), 403)
    ok(groups("DELETE", f"/groups/{group['id']}"), 204)


def test_a_member_owns_the_groups_she_creates(world: World) -> None:
    call, alice = world.calls["alice"], world.alice
    group = ok(call("POST", "/groups", json={"displayName": unique("alice's group")}), 201)
    ok(call("POST", f"/groups/{group['id']}/members/$ref", json=reference(world.people["bob"]["id"])), 204)
    assert [o["id"] for o in ok(call("GET", f"/groups/{group['id']}/owners"))["value"]] == [alice["id"]]
    error(call("DELETE", f"/groups/{group['id']}/owners/{alice['id']}/$ref"), 400, "Request_BadRequest")
    other = ok(world.server.graph("POST", "/groups", json={"displayName": unique("not hers")}), 201)
    error(call("POST", f"/groups/{other['id']}/members/$ref", json=reference(alice["id"])), 403)
    ok(call("DELETE", f"/groups/{group['id']}"), 204)


def test_the_authorization_policy_decides_what_members_create_and_read(world: World) -> None:
    server, alice, bob = world.server, world.calls["alice"], world.people["bob"]
    policy = ok(server.graph("GET", POLICY))
    assert policy["id"] == "authorizationPolicy" and policy["@odata.context"].endswith(
        "$metadata#policies/authorizationPolicy/$entity")
    assert policy["defaultUserRolePermissions"]["allowedToCreateApps"] is True
    closed = {"defaultUserRolePermissions": {"allowedToCreateApps": False, "allowedToCreateSecurityGroups": False,
                                             "allowedToReadOtherUsers": False}}
    error(alice("PATCH", POLICY, json=closed), 403)
    error(world.calls["appadmin"]("PATCH", POLICY, json=closed), 403)
    ok(world.calls["privileged"]("PATCH", POLICY, json=closed), 204)
    try:
        assert ok(alice("GET", POLICY))["defaultUserRolePermissions"]["allowedToReadOtherUsers"] is False
        error(alice("POST", "/applications", json={"displayName": "not allowed"}), 403)
        error(alice("POST", "/groups", json={"displayName": "not allowed"}), 403)
        error(alice("GET", f"/users/{bob['id']}"), 403)
        error(alice("GET", "/users"), 403)
        assert ok(alice("GET", "/me"))["id"] == world.alice["id"]
        ok(world.calls["appadmin"]("POST", "/applications", json={"displayName": unique("still allowed")}), 201)
        ok(world.calls["groupsadmin"]("POST", "/groups", json={"displayName": unique("still allowed")}), 201)
        ok(world.calls["useradmin"]("GET", f"/users/{bob['id']}"))
    finally:
        ok(server.graph("PATCH", POLICY, json={"defaultUserRolePermissions": {
            "allowedToCreateApps": True, "allowedToCreateSecurityGroups": True, "allowedToReadOtherUsers": True}}), 204)
    audits = ok(server.graph("GET", "/auditLogs/directoryAudits?$filter=activityDisplayName eq "
                                    "'Update authorization policy'"))["value"]
    assert audits[-1]["initiatedBy"]["user"]["id"] == world.people["privileged"]["id"]
    assert audits[-1]["category"] == "Policy"
    error(server.graph("PATCH", POLICY, json={"blockMsolPowerShell": True}), 400)


def test_a_disabled_users_token_decides_nothing(world: World) -> None:
    server = world.server
    carol = person(server, "carol")
    call = as_user(server, carol)
    ok(call("GET", "/me"))
    ok(server.graph("PATCH", f"/users/{carol['id']}", json={"accountEnabled": False}), 204)
    error(call("GET", "/me"), 403)
    error(call("POST", "/applications", json={"displayName": "after"}), 403)
