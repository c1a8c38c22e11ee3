"""SECURITY.md item 37: impersonation (minting a token as another principal, opening a host session that
lets a process use a host's managed identities) needs its own admin role, is audited, is off for
principals of other tenants, and reaches a principal holding roles on an API that manages the directory
only for a caller that is an admin too."""

from __future__ import annotations

import uuid
from typing import Any

import jwt

from tenantd.domain import builtins

from ..http.graph_support import GRAPH_SP, error, new_client, ok
from ..support import Server

TENANTD_SP = f"/servicePrincipals(appId='{builtins.TENANTD_APP_ID}')"
GRAPH = "https://graph.microsoft.com"


def host(name: str) -> str:
    return f"/subscriptions/{uuid.uuid4()}/resourceGroups/rg/providers/Microsoft.Web/sites/{name}"


def admin_client(server: Server, *roles: str) -> tuple[str, str]:
    """A client holding ``roles`` of tenantd's admin API: its appId and a token for that API."""
    app, sp, secret = new_client(server)
    tenantd = ok(server.graph("GET", TENANTD_SP))
    for role in roles:
        ok(server.graph("POST", f"/servicePrincipals/{tenantd['id']}/appRoleAssignedTo", json={
            "principalId": sp["id"], "resourceId": tenantd["id"], "appRoleId": builtins.TENANTD_ROLES[role]}), 201)
    token = ok(server.token(app["appId"], secret, f"{builtins.TENANTD_RESOURCE}/.default"))["access_token"]
    return app["appId"], str(token)


def identity(server: Server, name: str, token: str | None = None) -> dict[str, Any]:
    return ok(server.admin("POST", "/identities", token=token, json={
        "name": name, "type": "SystemAssigned", "host": host(name)}), 201)


def audits(server: Server, activity: str) -> list[dict[str, Any]]:
    found = ok(server.graph("GET", "/auditLogs/directoryAudits", params={
        "$filter": f"activityDisplayName eq '{activity}'", "$top": "999"}))
    return list(found["value"])


def test_37_impersonation_needs_its_own_admin_role(server: Server) -> None:
    target = identity(server, "imp-role")
    _, admin_only = admin_client(server, "Tenantd.Admin")
    mint = {"principalId": target["id"], "resource": GRAPH}
    assert server.admin("POST", "/token", token=admin_only, json=mint).status_code == 403
    assert server.admin("POST", "/hosts/sessions", token=admin_only, json={"host": target["resourceId"]}
                        ).status_code == 403
    _, impersonator = admin_client(server, "Tenantd.Impersonate")
    assert server.admin("POST", "/token", token=impersonator, json=mint).status_code == 200
    # A Graph token with every Graph role is no admin token at all.
    assert server.admin("POST", "/token", token=server.admin_token(), json=mint).status_code == 401


def test_37_impersonation_is_audited(server: Server) -> None:
    target = identity(server, "imp-audit")
    app_id, token = admin_client(server, "Tenantd.Impersonate")
    ok(server.admin("POST", "/token", token=token, json={"principalId": target["id"], "resource": GRAPH}))
    unknown = str(uuid.uuid4())
    assert server.admin("POST", "/token", token=token, json={"principalId": unknown, "resource": GRAPH}
                        ).status_code == 400
    session = ok(server.admin("POST", "/hosts/sessions", token=token, json={"host": target["resourceId"]}), 201)
    assert server.admin("DELETE", "/hosts/sessions", token=token, json={"secret": session["secret"]}
                        ).status_code == 204

    minted = {e["targetResources"][0]["id"]: e for e in audits(server, "Issue token as service principal")}
    assert minted[target["id"]]["result"] == "success" and minted[unknown]["result"] == "failure"
    assert "AADSTS700016" in minted[unknown]["resultReason"]
    for entry in (minted[target["id"]], minted[unknown]):
        assert entry["category"] == "Impersonation" and entry["initiatedBy"]["app"]["appId"] == app_id
        assert entry["targetResources"][0]["modifiedProperties"][0]["newValue"] == f'"{GRAPH}"'
    for activity in ("Open host session", "Close host session"):
        entry = next(e for e in audits(server, activity) if e["targetResources"][0]["id"] == target["resourceId"])
        assert entry["initiatedBy"]["app"]["appId"] == app_id
        assert [t["id"] for t in entry["targetResources"][1:]] == [target["id"]]
    text = str(audits(server, "Open host session"))
    assert session["secret"] not in text
    user = ok(server.graph("POST", "/users", json={
        "displayName": "Impersonated", "accountEnabled": True, "mailNickname": "imp",
        "userPrincipalName": f"imp{uuid.uuid4().hex[:6]}@contoso.com",
        "passwordProfile": {"password": "Pass-word-1"}}), 201)
    ok(server.admin("POST", "/token", token=token, json={"principalId": user["id"], "resource": GRAPH}))
    (as_user,) = [e for e in audits(server, "Issue token as user") if e["targetResources"][0]["id"] == user["id"]]
    assert as_user["targetResources"][0]["type"] == "User" and as_user["initiatedBy"]["app"]["appId"] == app_id


def test_37_impersonation_is_off_for_principals_of_other_tenants(server: Server) -> None:
    other = ok(server.admin("POST", "/tenants", json={"name": f"other {uuid.uuid4().hex[:8]}"}), 201)
    other_token = ok(server.token(other["admin"]["clientId"], other["admin"]["clientSecret"],
                                  f"{builtins.TENANTD_RESOURCE}/.default", tenant=other["id"]))["access_token"]
    foreign = identity(server, "imp-foreign", token=other_token)

    minted = server.admin("POST", "/token", json={"principalId": foreign["id"], "resource": GRAPH})
    assert minted.status_code == 400 and "access_token" not in minted.json()
    session = server.admin("POST", "/hosts/sessions", json={"host": foreign["resourceId"]})
    assert session.status_code == 400 and "secret" not in session.json()
    # The other tenant's own admin may impersonate it, and gets a token of that tenant only.
    own = ok(server.admin("POST", "/token", token=other_token, json={"principalId": foreign["id"], "resource": GRAPH}))
    claims = jwt.decode(own["access_token"], options={"verify_signature": False})
    assert claims["tid"] == other["id"] and claims["oid"] == foreign["id"]


def grant_graph_role(server: Server, principal_id: str, value: str) -> None:
    graph = ok(server.graph("GET", GRAPH_SP))
    ok(server.graph("POST", f"/servicePrincipals/{graph['id']}/appRoleAssignedTo", json={
        "principalId": principal_id, "resourceId": graph["id"], "appRoleId": builtins.GRAPH_ROLES[value]}), 201)


def test_37_impersonate_alone_reaches_no_principal_with_directory_roles(server: Server) -> None:
    """The attack: Tenantd.Impersonate alone minted a token as tenantd's admin app (Tenantd.Admin, every
    Graph role), or as any principal holding a Graph role, read or write."""
    _, impersonator = admin_client(server, "Tenantd.Impersonate")
    admin_app = ok(server.graph("GET", f"/servicePrincipals(appId='{server.info['admin_client_id']}')"))
    writer = identity(server, "imp-graph-writer")
    grant_graph_role(server, writer["id"], "Application.ReadWrite.All")
    reader = identity(server, "imp-graph-reader")
    grant_graph_role(server, reader["id"], "Directory.Read.All")
    for target, resource in ((admin_app, builtins.TENANTD_RESOURCE), (admin_app, GRAPH), (admin_app, "api://x"),
                             (writer, GRAPH), (reader, GRAPH)):
        refused = server.admin("POST", "/token", token=impersonator,
                               json={"principalId": target["id"], "resource": resource})
        assert "access_token" not in refused.text
        assert error(refused, 403, "Authorization_RequestDenied")
    session = server.admin("POST", "/hosts/sessions", token=impersonator, json={"host": writer["resourceId"]})
    assert "secret" not in session.json()
    error(session, 403, "Authorization_RequestDenied")

    # An admin may: it holds that power already.
    _, admin = admin_client(server, "Tenantd.Impersonate", "Tenantd.Admin")
    minted = ok(server.admin("POST", "/token", token=admin, json={"principalId": writer["id"], "resource": GRAPH}))
    assert jwt.decode(minted["access_token"], options={"verify_signature": False})["roles"] == [
        "Application.ReadWrite.All"]
    ok(server.admin("POST", "/hosts/sessions", token=admin, json={"host": writer["resourceId"]}), 201)
    # An ordinary principal stays within the impersonator's reach.
    plain = identity(server, "imp-plain")
    ok(server.admin("POST", "/token", token=impersonator, json={"principalId": plain["id"], "resource": GRAPH}))


def test_37_refused_impersonation_of_a_privileged_principal_is_audited(server: Server) -> None:
    app_id, impersonator = admin_client(server, "Tenantd.Impersonate")
    writer = identity(server, "imp-audit-writer")
    grant_graph_role(server, writer["id"], "Group.ReadWrite.All")
    assert server.admin("POST", "/token", token=impersonator,
                        json={"principalId": writer["id"], "resource": GRAPH}).status_code == 403
    assert server.admin("POST", "/hosts/sessions", token=impersonator,
                        json={"host": writer["resourceId"]}).status_code == 403

    (minted,) = [e for e in audits(server, "Issue token as service principal")
                 if e["targetResources"][0]["id"] == writer["id"]]
    (opened,) = [e for e in audits(server, "Open host session")
                 if e["targetResources"][0]["id"] == writer["resourceId"]]
    for entry in (minted, opened):
        assert entry["result"] == "failure" and entry["initiatedBy"]["app"]["appId"] == app_id
        assert "Tenantd.Admin" in entry["resultReason"] and entry["category"] == "Impersonation"
