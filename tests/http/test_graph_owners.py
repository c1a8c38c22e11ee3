"""Owners through Graph with an app's token, on SQLite and on PostgreSQL: ``owners`` of applications (by id and by
appId), service principals and groups, listed, added by ``$ref`` and removed; Graph's refusals (a second time, a
group as owner, an unknown object, a malformed reference, a group's last owner); ``ownedObjects``; the audit
entries; an owner deleted with her user."""

from __future__ import annotations

import uuid

from ..support import Server
from .delegated_support import reference
from .graph_support import error, new_app, new_sp, ok, unique


def _user(server: Server, name: str) -> dict[str, str]:
    return ok(server.graph("POST", "/users", json={
        "userPrincipalName": f"{name}{uuid.uuid4().hex[:6]}@contoso.test", "displayName": name.title()}), 201)


def test_owners_of_applications_service_principals_and_groups(tenantd: Server) -> None:
    ada, sp_owner = _user(tenantd, "ada"), new_sp(tenantd, new_app(tenantd, "automation"))
    app = new_app(tenantd, "owned")
    sp = new_sp(tenantd, app)
    group = ok(tenantd.graph("POST", "/groups", json={"displayName": unique("owned")}), 201)
    for path in (f"/applications/{app['id']}", f"/applications(appId='{app['appId']}')",
                 f"/servicePrincipals/{sp['id']}", f"/servicePrincipals(appId='{app['appId']}')",
                 f"/groups/{group['id']}"):
        listed = ok(tenantd.graph("GET", f"{path}/owners"))
        assert listed["value"] == [] and listed["@odata.context"].endswith("$metadata#directoryObjects"), path
        ok(tenantd.graph("POST", f"{path}/owners/$ref", json=reference(ada["id"])), 204)
        ok(tenantd.graph("POST", f"{path}/owners/$ref", json={
            "@odata.id": f"https://graph.microsoft.com/v1.0/servicePrincipals/{sp_owner['id']}"}), 204)
        owners = ok(tenantd.graph("GET", f"{path}/owners?$select=id,displayName"))["value"]
        assert {(o["@odata.type"], o["id"]) for o in owners} == {
            ("#microsoft.graph.user", ada["id"]), ("#microsoft.graph.servicePrincipal", sp_owner["id"])}, path
        error(tenantd.graph("POST", f"{path}/owners/$ref", json=reference(ada["id"])), 400, "Request_BadRequest")
        ok(tenantd.graph("DELETE", f"{path}/owners/{sp_owner['id']}/$ref"), 204)
        if not path.startswith("/groups"):
            ok(tenantd.graph("DELETE", f"{path}/owners/{ada['id']}/$ref"), 204)
    owned = ok(tenantd.graph("GET", f"/users/{ada['id']}/ownedObjects"))["value"]
    assert [(o["@odata.type"], o["id"]) for o in owned] == [("#microsoft.graph.group", group["id"])]
    refused = error(tenantd.graph("DELETE", f"/groups/{group['id']}/owners/{ada['id']}/$ref"), 400)
    assert refused["message"] == "The group must have at least one owner, hence this owner cannot be removed."
    activities = {a["activityDisplayName"] for a in ok(tenantd.graph("GET", "/auditLogs/directoryAudits?$top=40"))[
        "value"]}
    assert {"Add owner to application", "Remove owner from application", "Add owner to service principal",
            "Remove owner from service principal", "Add owner to group"} <= activities
    ok(tenantd.graph("DELETE", f"/users/{ada['id']}"), 204)   # her ownerships go with her
    assert ok(tenantd.graph("GET", f"/groups/{group['id']}/owners"))["value"] == []


def test_graphs_refusals(tenantd: Server) -> None:
    app, ada = new_app(tenantd, "refusals"), _user(tenantd, "ada")
    group = ok(tenantd.graph("POST", "/groups", json={"displayName": unique("not an owner")}), 201)
    owners = f"/applications/{app['id']}/owners"
    assert "Unsupported referenced-object" in error(
        tenantd.graph("POST", f"{owners}/$ref", json=reference(group["id"])), 400)["message"]
    error(tenantd.graph("POST", f"{owners}/$ref", json=reference(str(uuid.uuid4()))), 404, "Request_ResourceNotFound")
    error(tenantd.graph("POST", f"{owners}/$ref", json={"@odata.id": "https://example.com/nothing"}), 400)
    error(tenantd.graph("POST", f"{owners}/$ref", json={}), 400)
    error(tenantd.graph("DELETE", f"{owners}/{ada['id']}/$ref"), 404)
    error(tenantd.graph("DELETE", f"{owners}/not-an-id/$ref"), 400)
    error(tenantd.graph("GET", f"/applications/{uuid.uuid4()}/owners"), 404)
    error(tenantd.graph("GET", f"/groups/{uuid.uuid4()}/owners"), 404)
    error(tenantd.graph("GET", f"/users/{uuid.uuid4()}/ownedObjects"), 404)
    ok(tenantd.graph("DELETE", f"/applications/{app['id']}"), 204)
    error(tenantd.graph("POST", f"{owners}/$ref", json=reference(ada["id"])), 404)
