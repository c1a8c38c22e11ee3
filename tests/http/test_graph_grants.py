"""Graph's /oauth2PermissionGrants on SQLite and PostgreSQL: delegated permission grants created, listed
(filters, paging, a client's and a user's), read, changed (scope only), deleted, refused as Graph refuses them,
audited, and gone with their client, resource or user."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from ..support import Server
from .graph_support import GRAPH_SP, error, grant_graph_role, graph_token, new_app, new_client, new_sp, ok, unique

Obj = dict[str, Any]


def _scope(value: str, enabled: bool = True) -> Obj:
    return {"id": str(uuid.uuid4()), "value": value, "type": "User", "isEnabled": enabled,
            "adminConsentDisplayName": value, "adminConsentDescription": value}


def _api(server: Server) -> tuple[Obj, Obj]:
    """An API offering Things.Read and Things.Write (enabled) and Things.Old (disabled), and its service principal."""
    name = unique("grants api").replace(" ", "-")
    app = new_app(server, "grants api", identifierUris=[f"api://{name}"], api={"oauth2PermissionScopes": [
        _scope("Things.Read"), _scope("Things.Write"), _scope("Things.Old", enabled=False)]})
    return app, new_sp(server, app)


def _user(server: Server) -> Obj:
    local = f"grants{uuid.uuid4().hex[:8]}"
    return ok(server.graph("POST", "/users", json={"userPrincipalName": f"{local}@contoso.test",
                                                  "displayName": local}), 201)


def _grant(server: Server, client: Obj, resource: Obj, scope: str, user: Obj | None = None) -> Obj:
    body = {"clientId": client["id"], "resourceId": resource["id"], "scope": scope,
            "consentType": "Principal" if user else "AllPrincipals", **({"principalId": user["id"]} if user else {})}
    return ok(server.graph("POST", "/oauth2PermissionGrants", json=body), 201)


def _ids(text: str) -> list[str]:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return [str(uuid.UUID(bytes_le=raw[i:i + 16])) for i in range(0, len(raw), 16)]


def _listed(server: Server, path: str, **params: str) -> list[Obj]:
    return list(ok(server.graph("GET", path, params=params))["value"])


def test_a_grant_is_created_read_and_listed_as_graph_shows_it(tenantd: Server) -> None:
    _, client, _ = new_client(tenantd)
    _, api = _api(tenantd)
    with tenantd.http() as http:
        response = http.post("/v1.0/oauth2PermissionGrants", headers={
            "Authorization": f"Bearer {tenantd.admin_token()}"}, json={
            "@odata.type": "#microsoft.graph.oAuth2PermissionGrant", "clientId": client["id"].upper(),
            "consentType": "AllPrincipals", "principalId": None, "resourceId": api["id"],
            "scope": " things.read  Things.Read Things.Write "})
    created = ok(response, 201)
    assert set(created) == {"@odata.context", "id", "clientId", "consentType", "principalId", "resourceId", "scope"}
    assert created["@odata.context"].endswith("/v1.0/$metadata#oauth2PermissionGrants/$entity")
    assert (created["clientId"], created["resourceId"], created["principalId"]) == (client["id"], api["id"], None)
    assert created["scope"] == "Things.Read Things.Write"   # as the API writes them, once each
    assert len(created["id"]) == 43 and _ids(created["id"]) == [client["id"], api["id"]]   # Entra's id
    assert response.headers["location"].endswith(f"/v1.0/oauth2PermissionGrants/{created['id']}")

    got = ok(tenantd.graph("GET", f"/oauth2PermissionGrants/{created['id']}"))
    assert got == created
    selected = ok(tenantd.graph("GET", f"/oauth2PermissionGrants/{created['id']}", params={"$select": "scope"}))
    assert set(selected) == {"@odata.context", "scope"}
    assert [g["id"] for g in _listed(tenantd, "/oauth2PermissionGrants", **{
        "$filter": f"clientId eq '{client['id']}'"})] == [created["id"]]
    assert [g["id"] for g in _listed(tenantd, f"/servicePrincipals/{client['id']}/oauth2PermissionGrants")] == [
        created["id"]]
    assert _listed(tenantd, f"/servicePrincipals/{api['id']}/oauth2PermissionGrants") == []   # only as a client


def test_one_grant_per_client_resource_and_user(tenantd: Server) -> None:
    _, client, _ = new_client(tenantd)
    _, api = _api(tenantd)
    alice, bob = _user(tenantd), _user(tenantd)
    every = _grant(tenantd, client, api, "Things.Read")
    hers = _grant(tenantd, client, api, "Things.Write", alice)
    his = _grant(tenantd, client, api, "Things.Read", bob)
    assert len(hers["id"]) == 64 and _ids(hers["id"]) == [client["id"], api["id"], alice["id"]]
    assert hers["consentType"] == "Principal" and hers["principalId"] == alice["id"]
    for user in (None, alice):
        body = {"clientId": client["id"], "resourceId": api["id"], "scope": "Things.Read",
                "consentType": "Principal" if user else "AllPrincipals", "principalId": user and user["id"]}
        err = error(tenantd.graph("POST", "/oauth2PermissionGrants", json=body), 409,
                    "Request_MultipleObjectsWithSameKeyValue")
        assert err["message"] == "Permission entry already exists."

    assert [g["id"] for g in _listed(tenantd, f"/users/{alice['id']}/oauth2PermissionGrants")] == [hers["id"]]
    assert [g["id"] for g in _listed(tenantd, f"/users/{bob['userPrincipalName']}/oauth2PermissionGrants")] == [
        his["id"]]
    mine = f"clientId eq '{client['id']}'"
    assert {g["id"] for g in _listed(tenantd, "/oauth2PermissionGrants", **{
        "$filter": f"{mine} and consentType eq 'Principal'"})} == {hers["id"], his["id"]}
    assert [g["id"] for g in _listed(tenantd, "/oauth2PermissionGrants", **{
        "$filter": f"{mine} and principalId eq null"})] == [every["id"]]
    assert [g["id"] for g in _listed(tenantd, "/oauth2PermissionGrants", **{
        "$filter": f"resourceId eq '{api['id']}' and principalId eq '{bob['id']}'"})] == [his["id"]]
    first = ok(tenantd.graph("GET", f"/servicePrincipals(appId='{client['appId']}')/oauth2PermissionGrants",
                             params={"$top": "2", "$count": "true"}))
    assert first["@odata.count"] == 3 and len(first["value"]) == 2
    rest = ok(tenantd.graph("GET", first["@odata.nextLink"].split("/v1.0", 1)[1]))
    assert {g["id"] for g in first["value"] + rest["value"]} == {every["id"], hers["id"], his["id"]}
    assert "@odata.nextLink" not in rest


def test_what_graph_refuses(tenantd: Server) -> None:
    _, client, _ = new_client(tenantd)
    _, api = _api(tenantd)
    alice = _user(tenantd)
    nobody = str(uuid.uuid4())

    def refused(status: int = 400, **changes: Any) -> str:
        body = {"clientId": client["id"], "consentType": "AllPrincipals", "resourceId": api["id"],
                "scope": "Things.Read", **changes}
        return str(error(tenantd.graph("POST", "/oauth2PermissionGrants", json=body), status)["message"])

    assert refused(clientId=nobody).startswith("Invalid value specified for property 'clientId' of resource "
                                               "'OAuth2PermissionGrant'.")
    assert "'resourceId'" in refused(resourceId=nobody)
    assert "'principalId'" in refused(principalId=alice["id"])                      # AllPrincipals names no user
    assert "'principalId'" in refused(consentType="Principal")                      # Principal names one
    assert "'principalId'" in refused(consentType="Principal", principalId=client["id"])   # a user, not an app
    assert "'principalId'" in refused(consentType="Principal", principalId=nobody)
    assert "'consentType'" in refused(consentType="Everyone")
    assert "'Things.Delete' is not a delegated permission" in refused(scope="Things.Read Things.Delete")
    assert "'Things.Old'" in refused(scope="Things.Old")                            # disabled: not offered
    assert "User.Read" in refused(scope="User.Read")                                # Graph's, not this API's
    assert "longer than 3850" in refused(scope="Things.Read " * 400)
    assert refused(clientId="not-a-guid").startswith("Invalid value specified for property 'clientId'")
    assert refused(id="x") == "Property 'id' does not exist as a declared property or extension property."
    assert refused(startTime="0001-01-01T00:00:00").startswith("Property 'startTime' does not exist")
    error(tenantd.graph("GET", "/oauth2PermissionGrants/not-an-id"), 400)
    error(tenantd.graph("GET", "/oauth2PermissionGrants/" + "A" * 43), 404, "Request_ResourceNotFound")
    assert _listed(tenantd, "/oauth2PermissionGrants", **{"$filter": f"clientId eq '{client['id']}'"}) == []


def test_graphs_own_scopes_and_an_empty_scope(tenantd: Server) -> None:
    _, client, _ = new_client(tenantd)
    graph = ok(tenantd.graph("GET", GRAPH_SP))
    granted = _grant(tenantd, client, graph, "openid profile offline_access user.read")
    assert granted["scope"] == "openid profile offline_access User.Read"
    _, api = _api(tenantd)
    assert _grant(tenantd, client, api, "")["scope"] == ""


def test_patch_changes_the_scope_only_and_delete_removes_the_grant(tenantd: Server) -> None:
    _, client, _ = new_client(tenantd)
    _, api = _api(tenantd)
    grant = _grant(tenantd, client, api, "Things.Read")
    path = f"/oauth2PermissionGrants/{grant['id']}"
    ok(tenantd.graph("PATCH", path, json={"scope": "Things.Read Things.Write"}), 204)
    assert ok(tenantd.graph("GET", path))["scope"] == "Things.Read Things.Write"
    for name, value in (("clientId", client["id"]), ("consentType", "Principal"), ("resourceId", api["id"]),
                        ("principalId", None), ("id", grant["id"])):
        err = error(tenantd.graph("PATCH", path, json={name: value, "scope": "Things.Read"}), 400)
        assert err["message"] == f"Property cannot be updated: {name}"
    error(tenantd.graph("PATCH", path, json={"scope": "Things.Nope"}), 400)
    assert ok(tenantd.graph("GET", path))["scope"] == "Things.Read Things.Write"
    error(tenantd.graph("PATCH", "/oauth2PermissionGrants/" + "B" * 64, json={"scope": ""}), 404)

    ok(tenantd.graph("DELETE", path), 204)
    error(tenantd.graph("GET", path), 404, "Request_ResourceNotFound")
    error(tenantd.graph("DELETE", path), 404, "Request_ResourceNotFound")
    assert _grant(tenantd, client, api, "Things.Write")["id"] == grant["id"]   # the same key: the same id again


def test_changes_are_audited_as_entra_names_them(tenantd: Server) -> None:
    _, client, _ = new_client(tenantd)
    _, api = _api(tenantd)
    grant = _grant(tenantd, client, api, "Things.Read")
    ok(tenantd.graph("PATCH", f"/oauth2PermissionGrants/{grant['id']}", json={"scope": "Things.Write"}), 204)
    ok(tenantd.graph("DELETE", f"/oauth2PermissionGrants/{grant['id']}"), 204)
    audits = _listed(tenantd, "/auditLogs/directoryAudits", **{"$top": "10"})
    mine = [a for a in audits if any(t["id"] == client["id"] for t in a["targetResources"])]
    assert [a["activityDisplayName"] for a in mine[:3]] == [
        "Remove delegated permission grant", "Update delegated permission grant", "Add delegated permission grant"]
    added = mine[2]
    assert added["category"] == "ApplicationManagement" and added["operationType"] == "Assign"
    target = added["targetResources"][0]
    assert (target["id"], target["type"]) == (api["id"], "ServicePrincipal")
    changes = {c["displayName"]: c for c in target["modifiedProperties"]}
    assert changes["DelegatedPermissionGrant.Scope"]["newValue"] == '"Things.Read"'
    assert changes["ServicePrincipal.ObjectID"]["newValue"] == f'"{client["id"]}"'
    updated = {c["displayName"]: c for c in mine[1]["targetResources"][0]["modifiedProperties"]}
    assert (updated["DelegatedPermissionGrant.Scope"]["oldValue"],
            updated["DelegatedPermissionGrant.Scope"]["newValue"]) == ('"Things.Read"', '"Things.Write"')


def test_grants_go_with_their_client_resource_or_user(tenantd: Server) -> None:
    client_app, client, _ = new_client(tenantd)
    _, api = _api(tenantd)
    _, other_api = _api(tenantd)
    alice = _user(tenantd)
    of_client = _grant(tenantd, client, other_api, "Things.Read")
    _, second_client, _ = new_client(tenantd)
    of_resource = _grant(tenantd, second_client, api, "Things.Read")
    of_user = _grant(tenantd, second_client, other_api, "Things.Read", alice)
    kept = _grant(tenantd, second_client, other_api, "Things.Write")

    ok(tenantd.graph("DELETE", f"/users/{alice['id']}"), 204)
    error(tenantd.graph("GET", f"/oauth2PermissionGrants/{of_user['id']}"), 404)
    ok(tenantd.graph("DELETE", f"/servicePrincipals/{api['id']}"), 204)
    error(tenantd.graph("GET", f"/oauth2PermissionGrants/{of_resource['id']}"), 404)
    ok(tenantd.graph("DELETE", f"/applications/{client_app['id']}"), 204)   # and its service principal with it
    error(tenantd.graph("GET", f"/oauth2PermissionGrants/{of_client['id']}"), 404)
    assert ok(tenantd.graph("GET", f"/oauth2PermissionGrants/{kept['id']}"))["scope"] == "Things.Write"


@pytest.mark.parametrize(("permission", "reads", "writes"), [
    ("DelegatedPermissionGrant.Read.All", True, False), ("Directory.Read.All", True, False),
    ("DelegatedPermissionGrant.ReadWrite.All", True, True), ("Directory.ReadWrite.All", True, True),
    ("Application.ReadWrite.All", False, False), ("AppRoleAssignment.ReadWrite.All", False, False),
])
def test_the_permissions_graph_documents(tenantd: Server, permission: str, reads: bool, writes: bool) -> None:
    app, sp, secret = new_client(tenantd)
    grant_graph_role(tenantd, sp, permission)
    token = graph_token(tenantd, app, secret)
    _, api = _api(tenantd)
    listed = tenantd.graph("GET", "/oauth2PermissionGrants", token=token)
    assert listed.status_code == (200 if reads else 403), listed.text
    created = tenantd.graph("POST", "/oauth2PermissionGrants", token=token, json={
        "clientId": sp["id"], "consentType": "AllPrincipals", "resourceId": api["id"], "scope": "Things.Read"})
    assert created.status_code == (201 if writes else 403), created.text
    if not writes:
        assert error(created, 403, "Authorization_RequestDenied")
