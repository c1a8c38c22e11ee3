"""Graph v1.0 /applications and /servicePrincipals against a real tenantd: shapes, updates, secrets, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tenantd.domain import builtins

from ..support import Server
from .graph_support import error, new_api, new_app, new_sp, ok, role, send, store, unique

SOME_GUID = "0d7c3e58-1f2a-4b6c-9d8e-7f6a5b4c3d2e"


def _api_uri(app: dict[str, Any]) -> str:
    return str(app["identifierUris"][0])


def test_create_get_list_and_delete_an_application(server: Server) -> None:
    name = unique("Things API")
    things_role = role("Things.Read.All")
    response = server.graph("POST", "/applications", json={
        "@odata.type": "#microsoft.graph.application", "displayName": name,
        "identifierUris": [f"api://{name.replace(' ', '-')}"], "appRoles": [things_role],
        "api": {"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": []}})
    app = ok(response, 201)
    assert app["@odata.context"] == f"{server.url}/v1.0/$metadata#applications/$entity"
    assert response.headers["location"] == f"{server.url}/v1.0/applications/{app['id']}"
    assert app["displayName"] == name and app["identifierUris"] == [f"api://{name.replace(' ', '-')}"]
    assert app["appRoles"] == [{**things_role, "origin": "Application"}]
    assert app["api"]["requestedAccessTokenVersion"] == 2 and app["api"]["oauth2PermissionScopes"] == []
    assert app["signInAudience"] == "AzureADMyOrg" and app["deletedDateTime"] is None
    assert app["passwordCredentials"] == [] and app["createdDateTime"].endswith("Z")
    assert uuid.UUID(app["appId"]) and uuid.UUID(app["id"])

    by_id = ok(server.graph("GET", f"/applications/{app['id']}"))
    by_app_id = ok(server.graph("GET", f"/applications(appId='{app['appId']}')"))
    assert by_id == by_app_id == app
    listed = ok(server.graph("GET", "/applications", params={"$filter": f"displayName eq '{name}'"}))
    assert listed["@odata.context"] == f"{server.url}/v1.0/$metadata#applications"
    assert [a["id"] for a in listed["value"]] == [app["id"]]
    assert listed["value"][0] == {k: v for k, v in app.items() if k != "@odata.context"}

    assert server.graph("DELETE", f"/applications/{app['id']}").status_code == 204
    error(server.graph("GET", f"/applications/{app['id']}"), 404, "Request_ResourceNotFound")
    with store(server) as (d, tid):
        assert all(a.id != app["id"] for a in d.applications(tid))


def test_patch_updates_the_application_and_its_service_principal(server: Server) -> None:
    app, sp = new_api(server)
    new_role = role("Things.Write")
    old_role = {**app["appRoles"][0], "isEnabled": False}
    response = server.graph("PATCH", f"/applications(appId='{app['appId']}')", json={
        "displayName": app["displayName"] + " v2", "identifierUris": [_api_uri(app) + "-v2"],
        "appRoles": [old_role, new_role], "api": {"requestedAccessTokenVersion": 1}})
    assert response.status_code == 204 and not response.content
    changed = ok(server.graph("GET", f"/applications/{app['id']}"))
    assert changed["displayName"] == app["displayName"] + " v2"
    assert changed["identifierUris"] == [_api_uri(app) + "-v2"]
    assert [(r["value"], r["isEnabled"]) for r in changed["appRoles"]] == [("Things.Read.All", False),
                                                                           ("Things.Write", True)]
    assert changed["api"]["requestedAccessTokenVersion"] == 1
    mirrored = ok(server.graph("GET", f"/servicePrincipals/{sp['id']}"))
    assert mirrored["appRoles"] == changed["appRoles"] and mirrored["displayName"] == changed["displayName"]
    assert _api_uri(app) + "-v2" in mirrored["servicePrincipalNames"]

    # A disabled role can now go; an enabled one could not.
    assert server.graph("PATCH", f"/applications/{app['id']}", json={"appRoles": [new_role]}).status_code == 204
    error(server.graph("PATCH", f"/applications/{app['id']}", json={"appRoles": []}), 400,
          "CannotDeleteOrUpdateEnabledEntitlement")
    with store(server) as (d, tid):
        assert [r.value for r in d.application(tid, app["id"]).app_roles] == ["Things.Write"]


def test_add_password_shows_the_secret_once_and_remove_password_revokes_it(server: Server) -> None:
    app = new_app(server, "client")
    new_sp(server, app)
    response = server.graph("POST", f"/applications/{app['id']}/addPassword", json={
        "passwordCredential": {"displayName": "ci", "endDateTime": "2099-01-01T00:00:00.1234567Z"}})
    cred = ok(response)
    assert cred["@odata.context"] == f"{server.url}/v1.0/$metadata#microsoft.graph.passwordCredential"
    assert response.headers["cache-control"] == "no-store"
    secret = cred["secretText"]
    assert len(secret) >= 43 and cred["hint"] == secret[:3] and cred["displayName"] == "ci"
    assert cred["endDateTime"].startswith("2099-01-01") and uuid.UUID(cred["keyId"])

    stored = {k: v for k, v in cred.items() if k != "@odata.context"} | {"secretText": None}
    assert ok(server.graph("GET", f"/applications/{app['id']}"))["passwordCredentials"] == [stored]
    listed = server.graph("GET", "/applications", params={"$filter": f"id eq '{app['id']}'"}).text
    assert secret not in listed and "hash" not in listed.lower()

    scope = "https://graph.microsoft.com/.default"
    assert server.token(app["appId"], secret, scope).status_code == 200
    assert server.graph("POST", f"/applications/{app['id']}/removePassword",
                        json={"keyId": cred["keyId"]}).status_code == 204
    assert server.token(app["appId"], secret, scope).status_code == 401
    error(server.graph("POST", f"/applications/{app['id']}/removePassword", json={"keyId": cred["keyId"]}), 400)
    error(server.graph("POST", f"/applications/{app['id']}/removePassword", json={"keyId": "nope"}), 400)


@pytest.mark.parametrize("body", [
    {"passwordCredential": {"endDateTime": "next tuesday"}},
    {"passwordCredential": {"endDateTime": "2001-01-01T00:00:00Z"}},
    {"passwordCredential": {"displayName": 5}},
    {"passwordCredential": {"secretText": "chosen-by-me"}},
    {"passwordCredential": "x"},
    {"keyId": SOME_GUID},
])
def test_add_password_refuses_bad_input_and_adds_nothing(server: Server, body: dict[str, Any]) -> None:
    app = new_app(server, "client")
    error(server.graph("POST", f"/applications/{app['id']}/addPassword", json=body), 400)
    with store(server) as (d, tid):
        assert d.application(tid, app["id"]).password_credentials == ()


BAD_CREATES: list[tuple[str, Any]] = [
    ("displayName", 5),
    ("displayName", ""),
    ("identifierUris", "api://just-a-string"),
    ("identifierUris", ["not a uri"]),
    ("identifierUris", ["api://dup", "API://DUP"]),
    ("appRoles", {"id": "x"}),
    ("appRoles", [{"id": "not-a-guid", "displayName": "r", "allowedMemberTypes": ["Application"]}]),
    ("appRoles", [{"id": SOME_GUID, "displayName": "r", "allowedMemberTypes": ["Robot"]}]),
    ("api", {"requestedAccessTokenVersion": 3}),
    ("api", {"requestedAccessTokenVersion": True}),
    ("api", {"requestedAccessTokenVersion": "2"}),
    ("api", {"oauth2PermissionScopes": [{"id": SOME_GUID}]}),
    ("api", "v2"),
    ("signInAudience", "PersonalMicrosoftAccount"),
    ("appId", SOME_GUID),
    ("passwordCredentials", []),
    ("@odata.type", "#microsoft.graph.user"),
]


@pytest.mark.parametrize(("field", "value"), BAD_CREATES)
def test_create_refuses_bad_fields_and_writes_nothing(server: Server, field: str, value: Any) -> None:
    name = unique("bad")
    body = {"displayName": name, field: value}
    error(server.graph("POST", "/applications", json=body), 400)
    with store(server) as (d, tid):
        assert [a for a in d.applications(tid) if a.display_name == name] == []


@pytest.mark.parametrize(("content", "content_type"), [
    (b'{"displayName": ', "application/json"),
    (b"[]", "application/json"),
    (b'"x"', "application/json"),
    (b'{"displayName": "a", "displayName": "b"}', "application/json"),
    (b'{"displayName": NaN}', "application/json"),
    (b"\xff\xfe", "application/json"),
    (b'{"displayName": "a"}', "text/plain"),
    (b"displayName=a", "application/x-www-form-urlencoded"),
    (b"[" * 30_000 + b"]" * 30_000, "application/json"),
])
def test_unreadable_bodies_get_graphs_bad_request(server: Server, content: bytes, content_type: str) -> None:
    err = error(send(server, "POST", "/applications", {"content-type": content_type}, content=content),
                400, "BadRequest")
    assert err["message"].startswith("Unable to read JSON request payload")


def test_oversized_body_is_refused(server: Server) -> None:
    name = unique("big")
    body = {"displayName": name, "notes": "x" * 70_000}
    error(server.graph("POST", "/applications", json=body), 413)
    with store(server) as (d, tid):
        assert [a for a in d.applications(tid) if a.display_name == name] == []


def test_duplicate_identifier_uris_are_refused_and_nothing_half_written(server: Server) -> None:
    first, _ = new_api(server)
    uri = _api_uri(first)
    error(server.graph("POST", "/applications", json={"displayName": unique("dup"), "identifierUris": [uri.upper()]}),
          400, "Request_MultipleObjectsWithSameKeyValue")
    other = new_app(server, "other", identifierUris=[f"api://{uuid.uuid4()}"])
    error(server.graph("PATCH", f"/applications/{other['id']}", json={
        "displayName": "renamed", "identifierUris": [f"api://{uuid.uuid4()}", uri],
        "appRoles": [role("New.Role")]}), 400, "Request_MultipleObjectsWithSameKeyValue")
    with store(server) as (d, tid):
        kept = d.application(tid, other["id"])
        assert (kept.display_name, list(kept.identifier_uris), kept.app_roles) == (
            other["displayName"], other["identifierUris"], ())
        assert [a.display_name for a in d.applications(tid) if uri in a.identifier_uris] == [first["displayName"]]


def test_malformed_and_unknown_ids(server: Server) -> None:
    err = error(server.graph("GET", "/applications/not-a-guid"), 400, "Request_BadRequest")
    assert err["message"] == "Invalid object identifier 'not-a-guid'."
    error(server.graph("GET", "/applications(appId='not-a-guid')"), 400)
    error(server.graph("DELETE", "/servicePrincipals/1234"), 400)
    missing = str(uuid.uuid4())
    for method, path, body in [
        ("GET", f"/applications/{missing}", None),
        ("GET", f"/applications(appId='{missing}')", None),
        ("PATCH", f"/applications/{missing}", {"displayName": "x"}),
        ("DELETE", f"/applications/{missing}", None),
        ("POST", f"/applications/{missing}/addPassword", {}),
        ("GET", f"/servicePrincipals/{missing}", None),
        ("PATCH", f"/servicePrincipals(appId='{missing}')", {"accountEnabled": False}),
        ("DELETE", f"/servicePrincipals/{missing}", None),
    ]:
        error(server.graph(method, path, json=body), 404, "Request_ResourceNotFound")
    error(server.graph("PUT", "/applications", json={}), 405)
    error(server.graph("GET", "/nosuchthing"), 404)


def test_service_principal_from_an_app_id(server: Server) -> None:
    app, _ = new_api(server)
    client = new_app(server, "client")
    response = server.graph("POST", "/servicePrincipals", json={
        "@odata.type": "#microsoft.graph.servicePrincipal", "appId": client["appId"].upper(),
        "appRoleAssignmentRequired": True, "accountEnabled": False})
    sp = ok(response, 201)
    assert response.headers["location"] == f"{server.url}/v1.0/servicePrincipals/{sp['id']}"
    assert sp["@odata.context"] == f"{server.url}/v1.0/$metadata#servicePrincipals/$entity"
    assert (sp["appId"], sp["displayName"], sp["servicePrincipalType"]) == (
        client["appId"], client["displayName"], "Application")
    assert sp["appRoleAssignmentRequired"] is True and sp["accountEnabled"] is False
    assert sp["appOwnerOrganizationId"] == server.tenant_id and sp["alternativeNames"] == []
    assert sp["servicePrincipalNames"] == [client["appId"]] and sp["passwordCredentials"] == []

    error(server.graph("POST", "/servicePrincipals", json={"appId": client["appId"]}), 400,
          "Request_MultipleObjectsWithSameKeyValue")
    error(server.graph("POST", "/servicePrincipals", json={"appId": str(uuid.uuid4())}), 400)
    error(server.graph("POST", "/servicePrincipals", json={"appId": "nope"}), 400)
    error(server.graph("POST", "/servicePrincipals", json={}), 400)
    error(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"], "accountEnabled": "yes"}), 400)

    api_sp = ok(server.graph("GET", f"/servicePrincipals(appId='{app['appId']}')"))
    assert api_sp["appRoles"] == app["appRoles"] and _api_uri(app) in api_sp["servicePrincipalNames"]
    assert ok(server.graph("GET", f"/servicePrincipals/{api_sp['id']}")) == api_sp

    found = ok(server.graph("GET", "/servicePrincipals", params={
        "$filter": f"servicePrincipalNames/any(x:x eq '{_api_uri(app)}') and servicePrincipalType eq 'Application'"}))
    assert [s["id"] for s in found["value"]] == [api_sp["id"]]
    graph = ok(server.graph("GET", "/servicePrincipals", params={"$filter": f"appId eq '{builtins.GRAPH_APP_ID}'"}))
    assert [s["displayName"] for s in graph["value"]] == ["Microsoft Graph"]
    assert graph["value"][0]["appOwnerOrganizationId"] == builtins.MICROSOFT_TENANT_ID


def test_service_principal_update_and_delete(server: Server) -> None:
    app, sp = new_api(server)
    path = f"/servicePrincipals/{sp['id']}"
    assert server.graph("PATCH", path, json={"appRoleAssignmentRequired": True}).status_code == 204
    assert ok(server.graph("GET", path))["appRoleAssignmentRequired"] is True
    for body in ({"accountEnabled": "false"}, {"accountEnabled": False, "displayName": "x"}, {"appId": sp["appId"]}):
        error(server.graph("PATCH", path, json=body), 400)
    with store(server) as (d, tid):
        kept = d.service_principal(tid, sp["id"])
        assert (kept.account_enabled, kept.app_role_assignment_required, kept.display_name) == (
            True, True, sp["displayName"])
    assert server.graph("DELETE", f"/servicePrincipals(appId='{app['appId']}')").status_code == 204
    error(server.graph("GET", path), 404, "Request_ResourceNotFound")
    assert ok(server.graph("GET", f"/applications/{app['id']}"))["id"] == app["id"]   # the application stays
