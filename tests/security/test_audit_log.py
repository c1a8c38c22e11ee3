"""The directory audit log: every change recorded (who, what, before and after, when) in the change's own
transaction, served at Graph's /auditLogs/directoryAudits and by `tenantd logs --audit`."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tenantd.domain.errors import BadRequest
from tenantd.runtime import Runtime
from tenantd.store import Tx

from ..http.graph_support import error, grant_graph_role, graph_token, new_api, new_app, new_client, new_sp, ok, role
from ..support import Server

PATH = "/auditLogs/directoryAudits"


def entries(server: Server, token: str | None = None, **params: str) -> list[dict[str, Any]]:
    """Every entry (newest first), following next links."""
    page = ok(server.graph("GET", PATH, token=token, params={"$top": "999", **params}))
    found = list(page["value"])
    while "@odata.nextLink" in page:
        page = ok(server.graph("GET", page["@odata.nextLink"].split("/v1.0", 1)[1], token=token))
        found += page["value"]
    return found


def about(found: list[dict[str, Any]], *ids: str) -> list[tuple[str, str]]:
    """(activity, first target's id) of the entries that touch one of ``ids``, oldest first."""
    return [(e["activityDisplayName"], e["targetResources"][0]["id"]) for e in reversed(found)
            if any(t["id"] in ids for t in e["targetResources"])]


def changes(entry: dict[str, Any], target: int = 0) -> dict[str, tuple[Any, Any]]:
    return {p["displayName"]: (None if p["oldValue"] is None else json.loads(p["oldValue"]),
                               None if p["newValue"] is None else json.loads(p["newValue"]))
            for p in entry["targetResources"][target]["modifiedProperties"]}


def test_audit_every_graph_change_is_recorded_with_who_and_what(server: Server) -> None:
    app = new_app(server, "audited", identifierUris=[f"api://audited-{uuid.uuid4().hex[:8]}"])
    ok(server.graph("PATCH", f"/applications/{app['id']}", json={"displayName": "audited renamed"}), 204)
    key_id = ok(server.graph("POST", f"/applications/{app['id']}/addPassword", json={}))["keyId"]
    ok(server.graph("POST", f"/applications/{app['id']}/removePassword", json={"keyId": key_id}), 204)
    sp = new_sp(server, app)
    ok(server.graph("PATCH", f"/servicePrincipals/{sp['id']}", json={"appRoleAssignmentRequired": True}), 204)
    api, api_sp = new_api(server, role("Audit.Read"))
    assignment = ok(server.graph("POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", json={
        "principalId": sp["id"], "resourceId": api_sp["id"], "appRoleId": api["appRoles"][0]["id"]}), 201)
    ok(server.graph("DELETE", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo/{assignment['id']}"), 204)
    user = ok(server.graph("POST", "/users", json={"displayName": "Ada", "accountEnabled": True,
                                                   "userPrincipalName": f"ada{uuid.uuid4().hex[:6]}@contoso.com",
                                                   "mailNickname": "ada",
                                                   "passwordProfile": {"password": "Pass-word-1"}}), 201)
    group = ok(server.graph("POST", "/groups", json={"displayName": "Auditors", "mailEnabled": False,
                                                     "mailNickname": "auditors", "securityEnabled": True}), 201)
    ok(server.graph("POST", f"/groups/{group['id']}/members/$ref", json={
        "@odata.id": f"{server.url}/v1.0/directoryObjects/{user['id']}"}), 204)
    ok(server.graph("DELETE", f"/groups/{group['id']}/members/{user['id']}/$ref"), 204)
    ok(server.graph("DELETE", f"/users/{user['id']}"), 204)
    ok(server.graph("DELETE", f"/applications/{app['id']}"), 204)

    found = entries(server)
    assert about(found, app["id"], sp["id"], user["id"], group["id"]) == [
        ("Add application", app["id"]),
        ("Update application", app["id"]),
        ("Update application \u2013 Certificates and secrets management", app["id"]),
        ("Update application \u2013 Certificates and secrets management", app["id"]),
        ("Add service principal", sp["id"]),
        ("Update service principal", sp["id"]),
        ("Add app role assignment to service principal", sp["id"]),
        ("Remove app role assignment from service principal", sp["id"]),
        ("Add user", user["id"]),
        ("Add group", group["id"]),
        ("Add member to group", user["id"]),
        ("Remove member from group", user["id"]),
        ("Delete user", user["id"]),
        ("Delete application", app["id"]),
        ("Delete service principal", sp["id"]),
    ]
    mine = [e for e in found if any(t["id"] in (app["id"], sp["id"]) for t in e["targetResources"])]
    admin_app = server.info["admin_client_id"]
    assert {e["initiatedBy"]["app"]["appId"] for e in mine} == {admin_app}
    assert {e["result"] for e in mine} == {"success"}
    renamed = next(e for e in mine if e["activityDisplayName"] == "Update application")
    assert changes(renamed) == {"DisplayName": (app["displayName"], "audited renamed")}
    assigned = next(e for e in mine if e["operationType"] == "Assign")
    assert changes(assigned)["AppRole.Value"] == (None, "Audit.Read")
    assert [t["id"] for t in assigned["targetResources"]] == [sp["id"], api_sp["id"]]
    flag = next(e for e in mine if e["activityDisplayName"] == "Update service principal")
    assert changes(flag) == {"AppRoleAssignmentRequired": (False, True)}


def test_audit_no_secret_or_hash_is_recorded(server: Server) -> None:
    app = new_app(server, "secretive")
    added = ok(server.graph("POST", f"/applications/{app['id']}/addPassword", json={}))
    rt = server.runtime()
    try:
        stored = rt.directory.application(server.tenant_id, app["id"]).password_credentials[0].secret_hash
    finally:
        rt.store.dispose()
    entry = next(e for e in entries(server) if e["targetResources"][0]["id"] == app["id"]
                 and "Certificates" in e["activityDisplayName"])
    text = json.dumps(entry)
    assert added["secretText"] not in text and stored.hex() not in text
    (credential,) = changes(entry)["PasswordCredentials"][1]
    assert set(credential) == {"keyId", "displayName", "startDateTime", "endDateTime"}


def test_audit_a_refused_change_leaves_no_row(server: Server) -> None:
    api, api_sp = new_api(server, role("Dup.Read"))
    _, sp, _ = new_client(server)
    body = {"principalId": sp["id"], "resourceId": api_sp["id"], "appRoleId": api["appRoles"][0]["id"]}
    ok(server.graph("POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", json=body), 201)
    before = entries(server)
    error(server.graph("POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", json=body), 400)
    error(server.graph("POST", "/applications", json={"displayName": "x", "identifierUris": ["not a uri"]}), 400)
    assert entries(server) == before


def test_audit_rows_commit_and_roll_back_with_their_change(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = rt.directory.create_tenant("contoso")
    made = rt.directory.create_application(tenant.id, "kept")
    newest = rt.directory.audits(tenant.id)[0]
    assert (newest["activity"], newest["targets"][0]["id"]) == ("Add application", made.id)

    def broken(self: Tx, rows: Any) -> None:
        raise RuntimeError("the audit log is unwritable")

    monkeypatch.setattr(Tx, "insert_directory_audits", broken)
    with pytest.raises(RuntimeError):
        rt.directory.create_application(tenant.id, "lost")
    with pytest.raises(RuntimeError):
        rt.directory.update_application(tenant.id, made.id, {"displayName": "renamed"})
    monkeypatch.undo()
    assert [a.display_name for a in rt.directory.applications(tenant.id)] == ["kept"]
    with pytest.raises(BadRequest):
        rt.directory.create_application(tenant.id, "bad", identifier_uris=["not a uri"])
    assert len(rt.directory.audits(tenant.id)) == 3   # "Add tenant", its "Add verified domain", "Add application"


def test_audit_start_up_changes_are_tenantds_own(server: Server) -> None:
    first = entries(server)[-1]
    assert first["activityDisplayName"] == "Add tenant"
    assert first["initiatedBy"]["app"] == {"appId": None, "displayName": "tenantd", "servicePrincipalId": None,
                                           "servicePrincipalName": None}


def test_audit_filter_select_and_paging(server: Server) -> None:
    for _ in range(3):
        new_app(server, "paged")
    everything = entries(server)
    adds = entries(server, **{"$filter": "activityDisplayName eq 'Add application'"})
    assert adds and {e["activityDisplayName"] for e in adds} == {"Add application"}
    middle = everything[len(everything) // 2]["activityDateTime"]
    newer = entries(server, **{"$filter": f"activityDateTime ge {middle} and category eq 'ApplicationManagement'"})
    assert newer and all(e["activityDateTime"] >= middle for e in newer)
    paged = entries(server, **{"$top": "2"})
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
    assert [e["activityDateTime"] for e in everything] == sorted((e["activityDateTime"] for e in everything),
                                                                 reverse=True)
    one = ok(server.graph("GET", f"{PATH}/{everything[0]['id']}", params={"$select": "activityDisplayName"}))
    assert one["activityDisplayName"] == everything[0]["activityDisplayName"] and "targetResources" not in one
    for bad in ("activityDisplayName gt 'x'", "targetResources eq 'x'", "activityDateTime ge yesterday", "(("):
        error(server.graph("GET", PATH, params={"$filter": bad}), 400)
    error(server.graph("GET", f"{PATH}/{uuid.uuid4()}"), 404)


def test_audit_reading_needs_audit_log_or_directory_read(server: Server) -> None:
    for permission, status in ((None, 403), ("Application.ReadWrite.All", 403), ("AuditLog.Read.All", 200),
                               ("Directory.Read.All", 200)):
        app, sp, secret = new_client(server)
        if permission:
            grant_graph_role(server, sp, permission)
        assert server.graph("GET", PATH, token=graph_token(server, app, secret)).status_code == status
    assert server.graph("GET", PATH, token="garbage").status_code == 401


def test_audit_tenant_file_changes_and_identities_are_the_callers(server: Server, tmp_path: Any) -> None:
    name = f"filed {uuid.uuid4().hex[:8]}"
    (tmp_path / "tenant.yaml").write_text(f"applications:\n  - displayName: {name}\n")
    server.cli("apply", str(tmp_path / "tenant.yaml"), check=True)
    made = ok(server.admin("POST", "/identities", json={
        "name": "audited-identity", "type": "SystemAssigned",
        "host": f"/subscriptions/{uuid.uuid4()}/resourceGroups/rg/providers/Microsoft.Web/sites/audited"}), 201)
    found = entries(server)
    filed = next(e for e in found if e["targetResources"][0]["displayName"] == name
                 and e["targetResources"][0]["type"] == "Application")
    identity = next(e for e in found if e["targetResources"][0]["id"] == made["id"])
    assert filed["activityDisplayName"] == "Add application" and identity["activityDisplayName"] == (
        "Add service principal")
    assert filed["initiatedBy"]["app"]["appId"] == identity["initiatedBy"]["app"]["appId"] == (
        server.info["admin_client_id"])


def test_audit_logs_cli_shows_directory_audits(server: Server) -> None:
    app = new_app(server, "cli shown")
    result = server.cli("logs", "--audit", "--json", "--limit", "5", check=True)
    shown = json.loads(result.stdout)
    assert len(shown) <= 5 and shown[0]["targetResources"][0]["id"] == app["id"]
    table = server.cli("logs", "--audit", "--since", "1h", check=True).stdout
    assert "Add application" in table and app["displayName"] in table
    failed = json.loads(server.cli("logs", "--audit", "--failed", "--json", check=True).stdout)
    assert all(e["result"] == "failure" for e in failed)
