"""SECURITY.md item 37: impersonation (minting a token as another principal, opening a host session that
lets a process use a host's managed identities) needs its own admin role, is audited, and is off for
principals of other tenants."""

from __future__ import annotations

import uuid
from typing import Any

import jwt

from tenantd.domain import builtins

from ..http.graph_support import new_client, ok
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
        "userPrincipalName": f"imp{uuid.uuid4().hex[:6]}@contoso.com", "passwordProfile": {"password": "x"}}), 201)
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
