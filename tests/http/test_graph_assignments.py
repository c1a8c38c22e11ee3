"""App role assignments through Graph v1.0: appRoleAssignedTo, appRoleAssignments (service principals, users,
groups), by object id and by ``(appId='...')``, with Entra's refusals and nothing half-written."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import pytest

from tenantd.domain.ids import DEFAULT_ACCESS_ROLE_ID

from ..support import Server
from .graph_support import error, new_api, new_client, ok, role, store, unique

ASSIGNMENT_KEYS = {"@odata.context", "id", "deletedDateTime", "appRoleId", "createdDateTime", "principalDisplayName",
                   "principalId", "principalType", "resourceDisplayName", "resourceId"}


@dataclass
class World:
    api_app: dict[str, Any]
    api: dict[str, Any]
    client_app: dict[str, Any]
    client: dict[str, Any]
    secret: str
    app_role: str
    user_role: str
    disabled_role: str
    user: dict[str, Any]
    group: dict[str, Any]


@pytest.fixture
def world(server: Server) -> World:
    """A fresh API (an Application role, a User role, a disabled role), a client with a secret, a user, a group."""
    roles = [role("Things.Read.All"), role("Things.Admin", ("User",)), role("Things.Old", enabled=False)]
    api_app, api = new_api(server, *roles)
    client_app, client, secret = new_client(server)
    user = ok(server.graph("POST", "/users", json={"userPrincipalName": f"{uuid.uuid4().hex[:10]}@example.com",
                                                   "displayName": unique("user"), "accountEnabled": True}), 201)
    group = ok(server.graph("POST", "/groups", json={"displayName": unique("group"), "securityEnabled": True,
                                                     "mailEnabled": False, "mailNickname": "g"}), 201)
    return World(api_app, api, client_app, client, secret, roles[0]["id"], roles[1]["id"], roles[2]["id"], user,
                 group)


def _body(principal: str, resource: str, app_role: str) -> dict[str, str]:
    return {"@odata.type": "#microsoft.graph.appRoleAssignment", "appRoleId": app_role, "principalId": principal,
            "resourceId": resource}


def _roles_in_token(server: Server, w: World) -> Any:
    response = server.token(w.client_app["appId"], w.secret, f"{w.api_app['identifierUris'][0]}/.default")
    return jwt.decode(ok(response)["access_token"], options={"verify_signature": False}).get("roles")


def test_assign_list_and_remove_through_app_role_assigned_to(server: Server, world: World) -> None:
    w = world
    path = f"/servicePrincipals/{w.api['id']}/appRoleAssignedTo"
    response = server.graph("POST", path, json=_body(w.client["id"], w.api["id"], w.app_role))
    created = ok(response, 201)
    assert set(created) == ASSIGNMENT_KEYS
    assert created["@odata.context"] == (f"{server.url}/v1.0/$metadata#servicePrincipals('{w.api['id']}')"
                                         "/appRoleAssignedTo/$entity")
    assert response.headers["location"] == f"{server.url}/v1.0/servicePrincipals/{w.api['id']}/appRoleAssignedTo/" \
                                           f"{created['id']}"
    assert (created["principalId"], created["resourceId"], created["appRoleId"]) == (
        w.client["id"], w.api["id"], w.app_role)
    assert (created["principalType"], created["principalDisplayName"], created["resourceDisplayName"]) == (
        "ServicePrincipal", w.client["displayName"], w.api["displayName"])
    assert created["deletedDateTime"] is None and created["createdDateTime"].endswith("Z")
    assert base64.urlsafe_b64decode(created["id"] + "=")[:16] == uuid.UUID(w.client["id"]).bytes_le
    assert _roles_in_token(server, w) == ["Things.Read.All"]

    entry = {k: v for k, v in created.items() if k != "@odata.context"}
    listed = ok(server.graph("GET", path))
    assert listed["@odata.context"] == f"{server.url}/v1.0/$metadata#servicePrincipals('{w.api['id']}')" \
                                       "/appRoleAssignedTo"
    assert listed["value"] == [entry]
    assert ok(server.graph("GET", f"/servicePrincipals(appId='{w.api_app['appId']}')/appRoleAssignedTo"))[
        "value"] == [entry]
    assert ok(server.graph("GET", f"/servicePrincipals/{w.client['id']}/appRoleAssignments"))["value"] == [entry]
    assert ok(server.graph("GET", f"{path}/{created['id']}")) == created
    error(server.graph("GET", f"/servicePrincipals/{w.client['id']}/appRoleAssignedTo/{created['id']}"), 404)

    assert server.graph("DELETE", f"{path}/{created['id']}").status_code == 204
    assert ok(server.graph("GET", path))["value"] == []
    assert _roles_in_token(server, w) is None
    error(server.graph("DELETE", f"{path}/{created['id']}"), 404, "Request_ResourceNotFound")


def test_assign_through_app_role_assignments_addressed_by_app_id(server: Server, world: World) -> None:
    w = world
    path = f"/servicePrincipals(appId='{w.client_app['appId']}')/appRoleAssignments"
    response = server.graph("POST", path, json=_body(w.client["id"], w.api["id"], w.app_role))
    created = ok(response, 201)
    assert created["@odata.context"] == (f"{server.url}/v1.0/$metadata#servicePrincipals('{w.client['id']}')"
                                         "/appRoleAssignments/$entity")
    assert ok(server.graph("GET", path))["value"][0]["id"] == created["id"]
    # Removing it through the resource's view of it is as good as through the principal's.
    assert server.graph("DELETE", f"/servicePrincipals/{w.api['id']}/appRoleAssignedTo/{created['id']}") \
        .status_code == 204
    assert ok(server.graph("GET", path))["value"] == []


def test_users_and_groups_hold_user_roles_and_default_access(server: Server, world: World) -> None:
    w = world
    upn_path = f"/users/{w.user['userPrincipalName'].upper()}/appRoleAssignments"
    to_user = ok(server.graph("POST", upn_path, json=_body(w.user["id"], w.api["id"], w.user_role)), 201)
    assert (to_user["principalType"], to_user["principalDisplayName"]) == ("User", w.user["displayName"])
    group_path = f"/groups/{w.group['id']}/appRoleAssignments"
    to_group = ok(server.graph("POST", group_path, json=_body(w.group["id"], w.api["id"], DEFAULT_ACCESS_ROLE_ID)),
                  201)
    assert (to_group["principalType"], to_group["appRoleId"]) == ("Group", DEFAULT_ACCESS_ROLE_ID)
    assert to_group["@odata.context"].endswith(f"#groups('{w.group['id']}')/appRoleAssignments/$entity")

    assert [a["id"] for a in ok(server.graph("GET", f"/users/{w.user['id']}/appRoleAssignments"))["value"]] == [
        to_user["id"]]
    assert [a["id"] for a in ok(server.graph("GET", group_path))["value"]] == [to_group["id"]]
    assigned_to = ok(server.graph("GET", f"/servicePrincipals/{w.api['id']}/appRoleAssignedTo", params={
        "$filter": f"principalType eq 'User' or appRoleId eq {DEFAULT_ACCESS_ROLE_ID}"}))
    assert sorted(a["id"] for a in assigned_to["value"]) == sorted([to_user["id"], to_group["id"]])
    only_user = ok(server.graph("GET", f"/servicePrincipals/{w.api['id']}/appRoleAssignedTo", params={
        "$filter": f"principalId eq '{w.user['id']}'", "$select": "id,principalType"}))
    assert only_user["value"] == [{"id": to_user["id"], "principalType": "User"}]

    assert server.graph("DELETE", f"{upn_path}/{to_user['id']}").status_code == 204
    error(server.graph("DELETE", f"{group_path}/{to_user['id']}"), 404)
    assert server.graph("DELETE", f"{group_path}/{to_group['id']}").status_code == 204


def test_refused_assignments_write_nothing(server: Server, world: World) -> None:
    w = world
    path = f"/servicePrincipals/{w.api['id']}/appRoleAssignedTo"
    first = ok(server.graph("POST", path, json=_body(w.client["id"], w.api["id"], w.app_role)), 201)

    def refused(body: dict[str, Any], message: str | None = None, url: str = path) -> None:
        err = error(server.graph("POST", url, json=body), 400)
        if message is not None:
            assert err["message"] == message

    refused(_body(w.client["id"], w.api["id"], w.app_role), "Permission being assigned already exists on the object.")
    refused(_body(str(uuid.uuid4()), w.api["id"], w.app_role), "Not a valid reference update.")
    refused(_body(w.client["id"], w.api["id"], w.disabled_role))             # a disabled role
    refused(_body(w.client["id"], w.api["id"], w.user_role))                 # a User role for a service principal
    refused(_body(w.client["id"], w.api["id"], str(uuid.uuid4())))           # a role the resource lacks
    refused(_body(w.user["id"], w.api["id"], w.app_role))                    # an Application role for a user
    refused(_body(w.client["id"], w.client["id"], w.app_role))               # URL and body name other resources
    refused(_body(w.client["id"], "not-a-guid", w.app_role))
    refused({"principalId": w.client["id"], "resourceId": w.api["id"]})      # no appRoleId
    refused({**_body(w.client["id"], w.api["id"], w.app_role), "id": first["id"]})
    refused(_body(w.user["id"], w.api["id"], w.user_role), url=f"/groups/{w.group['id']}/appRoleAssignments")
    refused(_body(w.api["id"], w.api["id"], w.app_role), url=f"/servicePrincipals/{w.client['id']}/appRoleAssignments")

    with store(server) as (d, tid):
        held = d.assignments_to(tid, w.api["id"])
    assert [(a.id, a.principal_id, a.app_role_id) for a in held] == [(first["id"], w.client["id"], w.app_role)]


def test_unknown_and_malformed_ids(server: Server, world: World) -> None:
    w = world
    missing = str(uuid.uuid4())
    body = _body(w.client["id"], missing, w.app_role)
    error(server.graph("GET", f"/servicePrincipals/{missing}/appRoleAssignedTo"), 404, "Request_ResourceNotFound")
    error(server.graph("POST", f"/servicePrincipals/{missing}/appRoleAssignedTo", json=body), 404)
    error(server.graph("GET", f"/servicePrincipals(appId='{missing}')/appRoleAssignments"), 404)
    error(server.graph("GET", f"/users/{missing}/appRoleAssignments"), 404)
    error(server.graph("GET", "/users/nobody@example.com/appRoleAssignments"), 404)
    error(server.graph("GET", f"/groups/{missing}/appRoleAssignments"), 404)
    # a user is not a service principal, whatever its id
    error(server.graph("GET", f"/servicePrincipals/{w.user['id']}/appRoleAssignments"), 404)
    error(server.graph("GET", "/servicePrincipals/xyz/appRoleAssignedTo"), 400, "Request_BadRequest")
    error(server.graph("GET", "/users/not-a-guid-or-upn/appRoleAssignments"), 400)
    path = f"/servicePrincipals/{w.api['id']}/appRoleAssignedTo"
    error(server.graph("DELETE", f"{path}/short"), 400)
    error(server.graph("DELETE", f"{path}/{'A' * 43}"), 404, "Request_ResourceNotFound")
    error(server.graph("PATCH", path, json={}), 405)
