"""Graph v1.0 /users and /groups with their members, against a real tenantd."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ..support import Server
from .graph_support import error, new_app, new_sp, ok, store, unique

USER_DEFAULT = {"@odata.context", "id", "businessPhones", "displayName", "givenName", "jobTitle", "mail",
                "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}


def _upn() -> str:
    return f"{uuid.uuid4().hex[:10]}@example.com"


def new_user(server: Server, **fields: Any) -> dict[str, Any]:
    return ok(server.graph("POST", "/users", json={
        "userPrincipalName": _upn(), "displayName": unique("user"), "accountEnabled": True,
        "mailNickname": "someone", "passwordProfile": {"password": "Not-kept-1"},
        **fields}), 201)


def new_group(server: Server) -> dict[str, Any]:
    return ok(server.graph("POST", "/groups", json={"displayName": unique("group"), "description": "d",
                                                    "mailNickname": "grp", "securityEnabled": True}), 201)


def test_user_lifecycle(server: Server) -> None:
    response = server.graph("POST", "/users", json={"userPrincipalName": _upn(), "displayName": "Ada",
                                                    "accountEnabled": True, "mail": "ada@example.com"})
    user = ok(response, 201)
    assert set(user) == USER_DEFAULT     # Graph's default property set for users
    assert user["@odata.context"] == f"{server.url}/v1.0/$metadata#users/$entity"
    assert response.headers["location"] == f"{server.url}/v1.0/users/{user['id']}"
    assert (user["displayName"], user["mail"], user["businessPhones"]) == ("Ada", "ada@example.com", [])

    by_upn = ok(server.graph("GET", f"/users/{user['userPrincipalName'].upper()}"))
    assert by_upn == user == ok(server.graph("GET", f"/users/{user['id']}"))
    selected = ok(server.graph("GET", f"/users/{user['id']}", params={"$select": "accountEnabled,createdDateTime"}))
    assert selected["@odata.context"] == f"{server.url}/v1.0/$metadata#users(accountEnabled,createdDateTime)/$entity"
    assert set(selected) == {"@odata.context", "accountEnabled", "createdDateTime"} and selected["accountEnabled"]

    assert server.graph("PATCH", f"/users/{user['id']}", json={"displayName": "Ada L.", "accountEnabled": False}) \
        .status_code == 204
    found = ok(server.graph("GET", "/users", params={
        "$filter": f"userPrincipalName eq '{user['userPrincipalName']}' and accountEnabled eq false",
        "$select": "id,displayName,accountEnabled"}))
    assert found["value"] == [{"id": user["id"], "displayName": "Ada L.", "accountEnabled": False}]

    assert server.graph("DELETE", f"/users/{user['userPrincipalName']}").status_code == 204
    error(server.graph("GET", f"/users/{user['id']}"), 404, "Request_ResourceNotFound")


@pytest.mark.parametrize("body", [
    {"displayName": "No UPN"},
    {"userPrincipalName": "no-at-sign", "displayName": "x"},
    {"userPrincipalName": "a@b.example", "displayName": ""},
    {"userPrincipalName": "a@b.example", "displayName": "x", "accountEnabled": "true"},
    {"userPrincipalName": "a@b.example", "displayName": "x", "jobTitle": "boss"},
    {"userPrincipalName": "a@b.example", "displayName": "x", "passwordProfile": "secret"},
])
def test_bad_users_are_refused(server: Server, body: dict[str, Any]) -> None:
    error(server.graph("POST", "/users", json=body), 400)
    with store(server) as (d, tid):
        assert all(u.user_principal_name != "a@b.example" for u in d.users(tid))


def test_user_conflicts_and_bad_updates_change_nothing(server: Server) -> None:
    user = new_user(server)
    error(server.graph("POST", "/users", json={"userPrincipalName": user["userPrincipalName"].upper(),
                                              "displayName": "twin"}), 400, "Request_MultipleObjectsWithSameKeyValue")
    for body in ({"displayName": "ok", "accountEnabled": "no"}, {"displayName": ""},
                 {"userPrincipalName": "x@y.example"}):
        error(server.graph("PATCH", f"/users/{user['id']}", json=body), 400)
    with store(server) as (d, tid):
        kept = d.user(tid, user["id"])
        assert (kept.display_name, kept.account_enabled) == (user["displayName"], True)
    error(server.graph("GET", "/users/not-an-id"), 400, "Request_BadRequest")
    error(server.graph("PATCH", f"/users/{uuid.uuid4()}", json={"displayName": "x"}), 404)


def test_groups_and_members(server: Server) -> None:
    group = new_group(server)
    assert group["@odata.context"] == f"{server.url}/v1.0/$metadata#groups/$entity"
    assert (group["securityEnabled"], group["mailEnabled"], group["groupTypes"], group["mailNickname"]) == (
        True, False, [], "grp")
    assert ok(server.graph("GET", f"/groups/{group['id']}")) == group
    listed = ok(server.graph("GET", "/groups", params={"$filter": f"startswith(displayName,'{group['displayName']}')"}))
    assert [g["id"] for g in listed["value"]] == [group["id"]]

    user, sp, inner = new_user(server), new_sp(server, new_app(server)), new_group(server)
    members = f"/groups/{group['id']}/members"
    for member, collection in ((user, "users"), (sp, "directoryObjects"), (inner, "groups")):
        response = server.graph("POST", f"{members}/$ref", json={
            "@odata.id": f"https://graph.microsoft.com/v1.0/{collection}/{member['id']}"})
        assert response.status_code == 204, response.text
    listed = ok(server.graph("GET", members))
    assert listed["@odata.context"] == f"{server.url}/v1.0/$metadata#directoryObjects"
    types = {m["id"]: m["@odata.type"] for m in listed["value"]}
    assert types == {user["id"]: "#microsoft.graph.user", sp["id"]: "#microsoft.graph.servicePrincipal",
                     inner["id"]: "#microsoft.graph.group"}
    users_only = ok(server.graph("GET", members, params={"$filter": f"id eq '{user['id']}'", "$select": "displayName"}))
    assert users_only["value"] == [{"@odata.type": "#microsoft.graph.user", "displayName": user["displayName"]}]

    ref = f"{members}/{user['id']}/$ref"
    assert server.graph("DELETE", ref).status_code == 204
    error(server.graph("DELETE", ref), 404)
    assert {m["id"] for m in ok(server.graph("GET", members))["value"]} == {sp["id"], inner["id"]}
    assert server.graph("DELETE", f"/groups/{group['id']}").status_code == 204
    error(server.graph("GET", members), 404, "Request_ResourceNotFound")


def test_refused_member_changes_write_nothing(server: Server) -> None:
    group, user = new_group(server), new_user(server)
    ref = f"/groups/{group['id']}/members/$ref"
    assert server.graph("POST", ref, json={"@odata.id": f"https://x/v1.0/directoryObjects/{user['id']}"}) \
        .status_code == 204
    for body in (
        {"@odata.id": f"https://x/v1.0/directoryObjects/{user['id']}"},       # already a member
        {"@odata.id": f"https://x/v1.0/directoryObjects/{uuid.uuid4()}"},     # nobody
        {"@odata.id": f"https://x/v1.0/directoryObjects/{group['id']}"},      # itself
        {"@odata.id": "https://x/v1.0/directoryObjects/not-a-guid"},
        {"@odata.id": f"https://x/v1.0/applications/{user['id']}"},
        {"@odata.id": 5},
        {"id": user["id"]},
    ):
        error(server.graph("POST", ref, json=body), 400)
    error(server.graph("POST", f"/groups/{uuid.uuid4()}/members/$ref",
                       json={"@odata.id": f"https://x/v1.0/directoryObjects/{user['id']}"}), 404)
    with store(server) as (d, tid):
        assert [m.id for m in d.members(tid, group["id"])] == [user["id"]]


@pytest.mark.parametrize("body", [
    {"description": "no name"},
    {"displayName": "x", "securityEnabled": False},
    {"displayName": "x", "mailEnabled": True},
    {"displayName": "x", "groupTypes": ["Unified"]},
    {"displayName": "x", "securityEnabled": 1},
    {"displayName": "x", "visibility": "Private"},
])
def test_bad_groups_are_refused(server: Server, body: dict[str, Any]) -> None:
    before = len(ok(server.graph("GET", "/groups", params={"$top": "999"}))["value"])
    error(server.graph("POST", "/groups", json=body), 400)
    assert len(ok(server.graph("GET", "/groups", params={"$top": "999"}))["value"]) == before
