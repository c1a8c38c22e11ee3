"""Graph v1.0 memberships read from the member, through a real server on SQLite and PostgreSQL: memberOf and
transitiveMemberOf of users, groups and service principals, a group's transitiveMembers (paged, $select,
$filter, typed with @odata.type), the four membership actions with their bodies and limits, and the refusal
of a membership that would close a cycle, in Graph's envelope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from ..support import Server
from .graph_support import error, grant_graph_role, graph_token, new_app, new_client, new_sp, ok, unique

Obj = dict[str, Any]
GROUP_TYPE = "#microsoft.graph.group"


@dataclass
class World:
    user: Obj
    sp: Obj
    app: Obj
    g1: Obj       # the user is in g1, g1 in g2, g2 in g3; the service principal is in g2
    g2: Obj
    g3: Obj
    other: Obj    # a group nobody above is in


def _group(server: Server) -> Obj:
    return ok(server.graph("POST", "/groups", json={"displayName": unique("nest")}), 201)


def _add(server: Server, group: Obj, member: Obj) -> None:
    ok(server.graph("POST", f"/groups/{group['id']}/members/$ref", json={
        "@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{member['id']}"}), 204)


@pytest.fixture(scope="module")
def world(tenantd: Server) -> World:
    user = ok(tenantd.graph("POST", "/users", json={"userPrincipalName": f"{uuid.uuid4().hex[:8]}@example.com",
                                                   "displayName": "Nested Person"}), 201)
    app = new_app(tenantd, "member")
    sp = new_sp(tenantd, app)
    g1, g2, g3, other = (_group(tenantd) for _ in range(4))
    for group, member in ((g1, user), (g2, g1), (g3, g2), (g2, sp)):
        _add(tenantd, group, member)
    return World(user, sp, app, g1, g2, g3, other)


def _ids(body: Obj) -> set[str]:
    return {item["id"] for item in body["value"]}


def test_a_users_direct_and_transitive_memberships(tenantd: Server, world: World) -> None:
    direct = ok(tenantd.graph("GET", f"/users/{world.user['id']}/memberOf"))
    assert direct["@odata.context"] == f"{tenantd.url}/v1.0/$metadata#directoryObjects"
    assert [(g["@odata.type"], g["id"], g["displayName"]) for g in direct["value"]] == [
        (GROUP_TYPE, world.g1["id"], world.g1["displayName"])]
    assert direct["value"][0]["securityEnabled"] is True
    every = ok(tenantd.graph("GET", f"/users/{world.user['userPrincipalName']}/transitiveMemberOf"))
    assert _ids(every) == {world.g1["id"], world.g2["id"], world.g3["id"]}
    assert {g["@odata.type"] for g in every["value"]} == {GROUP_TYPE}


def test_transitive_memberships_page_select_and_filter(tenantd: Server, world: World) -> None:
    path = f"/users/{world.user['id']}/transitiveMemberOf"
    first = ok(tenantd.graph("GET", path, params={"$top": "2", "$select": "id,displayName"}))
    assert len(first["value"]) == 2 and "@odata.nextLink" in first
    assert all(set(g) == {"@odata.type", "id", "displayName"} for g in first["value"])
    link = first["@odata.nextLink"]
    assert link.startswith(f"{tenantd.url}/v1.0{path}?")
    with tenantd.http() as client:
        rest = ok(client.get(link, headers={"Authorization": f"Bearer {tenantd.admin_token()}"}))
    assert "@odata.nextLink" not in rest and len(rest["value"]) == 1
    assert _ids(first) | _ids(rest) == {world.g1["id"], world.g2["id"], world.g3["id"]}
    named = ok(tenantd.graph("GET", path, params={"$filter": f"displayName eq '{world.g3['displayName']}'",
                                                  "$count": "true"}))
    assert (_ids(named), named["@odata.count"]) == ({world.g3["id"]}, 1)


def test_a_groups_memberships_and_transitive_members(tenantd: Server, world: World) -> None:
    assert _ids(ok(tenantd.graph("GET", f"/groups/{world.g1['id']}/memberOf"))) == {world.g2["id"]}
    assert _ids(ok(tenantd.graph("GET", f"/groups/{world.g1['id']}/transitiveMemberOf"))) == {
        world.g2["id"], world.g3["id"]}
    below = ok(tenantd.graph("GET", f"/groups/{world.g3['id']}/transitiveMembers"))
    assert {m["id"]: m["@odata.type"] for m in below["value"]} == {
        world.g2["id"]: GROUP_TYPE, world.g1["id"]: GROUP_TYPE, world.user["id"]: "#microsoft.graph.user",
        world.sp["id"]: "#microsoft.graph.servicePrincipal"}
    direct = ok(tenantd.graph("GET", f"/groups/{world.g3['id']}/members"))
    assert _ids(direct) == {world.g2["id"]}


def test_a_service_principals_memberships(tenantd: Server, world: World) -> None:
    assert _ids(ok(tenantd.graph("GET", f"/servicePrincipals/{world.sp['id']}/memberOf"))) == {world.g2["id"]}
    by_app_id = ok(tenantd.graph("GET", f"/servicePrincipals(appId='{world.app['appId']}')/transitiveMemberOf"))
    assert _ids(by_app_id) == {world.g2["id"], world.g3["id"]}


@pytest.mark.parametrize("action", ["getMemberObjects", "getMemberGroups"])
@pytest.mark.parametrize("security_only", [True, False])
def test_get_member_objects_and_groups(tenantd: Server, world: World, action: str, security_only: bool) -> None:
    answer = ok(tenantd.graph("POST", f"/users/{world.user['id']}/{action}",
                              json={"securityEnabledOnly": security_only}))
    assert answer["@odata.context"] == f"{tenantd.url}/v1.0/$metadata#Collection(Edm.String)"
    assert set(answer["value"]) == {world.g1["id"], world.g2["id"], world.g3["id"]}
    assert len(answer["value"]) == 3
    sp = ok(tenantd.graph("POST", f"/servicePrincipals/{world.sp['id']}/{action}", json={}))
    assert set(sp["value"]) == {world.g2["id"], world.g3["id"]}
    group = ok(tenantd.graph("POST", f"/groups/{world.g3['id']}/{action}", json={"securityEnabledOnly": None}))
    assert group["value"] == []


def test_check_member_groups_and_objects(tenantd: Server, world: World) -> None:
    asked = [world.other["id"], world.g3["id"].upper(), world.g1["id"], str(uuid.uuid4())]
    groups = ok(tenantd.graph("POST", f"/users/{world.user['id']}/checkMemberGroups", json={"groupIds": asked}))
    assert groups["@odata.context"] == f"{tenantd.url}/v1.0/$metadata#Collection(Edm.String)"
    assert groups["value"] == [world.g3["id"], world.g1["id"]]
    objects = ok(tenantd.graph("POST", f"/servicePrincipals/{world.sp['id']}/checkMemberObjects",
                               json={"ids": asked}))
    assert objects["value"] == [world.g3["id"]]
    assert ok(tenantd.graph("POST", f"/groups/{world.g1['id']}/checkMemberGroups",
                            json={"groupIds": []}))["value"] == []


@pytest.mark.parametrize(("action", "body"), [
    ("checkMemberGroups", {"groupIds": [str(uuid.uuid4()) for _ in range(21)]}),   # more than 20
    ("checkMemberGroups", {"groupIds": ["not-a-guid"]}),
    ("checkMemberGroups", {"groupIds": "00000000-0000-0000-0000-000000000000"}),
    ("checkMemberGroups", {}),
    ("checkMemberObjects", {"groupIds": []}),                                      # checkMemberObjects takes ids
    ("getMemberObjects", {"securityEnabledOnly": "yes"}),
    ("getMemberGroups", {"securityEnabledOnly": True, "extra": 1}),
])
def test_malformed_actions_are_refused_in_graphs_envelope(tenantd: Server, world: World, action: str,
                                                          body: Obj) -> None:
    error(tenantd.graph("POST", f"/users/{world.user['id']}/{action}", json=body), 400)


def test_unknown_objects_are_404(tenantd: Server) -> None:
    nobody = str(uuid.uuid4())
    for path in (f"/users/{nobody}/transitiveMemberOf", f"/groups/{nobody}/transitiveMembers",
                 f"/servicePrincipals/{nobody}/memberOf"):
        error(tenantd.graph("GET", path), 404, "Request_ResourceNotFound")
    error(tenantd.graph("POST", f"/groups/{nobody}/getMemberGroups", json={"securityEnabledOnly": False}), 404)


def test_a_membership_closing_a_cycle_is_refused(tenantd: Server, world: World) -> None:
    for group, member in ((world.g1, world.g3), (world.g2, world.g3), (world.g1, world.g1)):
        refused = error(tenantd.graph("POST", f"/groups/{group['id']}/members/$ref", json={
            "@odata.id": f"https://graph.microsoft.com/v1.0/groups/{member['id']}"}), 400, "Request_BadRequest")
        assert "circular" in refused["message"] or "itself" in refused["message"]
    assert _ids(ok(tenantd.graph("GET", f"/groups/{world.g1['id']}/members"))) == {world.user["id"]}
    assert _ids(ok(tenantd.graph("GET", f"/groups/{world.g2['id']}/members"))) == {world.g1["id"], world.sp["id"]}


def test_reading_memberships_needs_a_permission_that_reads_the_member(tenantd: Server, world: World) -> None:
    """User.Read.All reads a user's groups; Application.Read.All does not (403 in Graph's envelope)."""
    readers = {}
    for permission in ("User.Read.All", "Application.Read.All"):
        app, sp, secret = new_client(tenantd)
        grant_graph_role(tenantd, sp, permission)
        readers[permission] = graph_token(tenantd, app, secret)
    path = f"/users/{world.user['id']}/transitiveMemberOf"
    assert _ids(ok(tenantd.graph("GET", path, token=readers["User.Read.All"]))) == {
        world.g1["id"], world.g2["id"], world.g3["id"]}
    error(tenantd.graph("GET", path, token=readers["Application.Read.All"]), 403, "Authorization_RequestDenied")
    error(tenantd.graph("POST", f"/users/{world.user['id']}/getMemberObjects", json={},
                        token=readers["Application.Read.All"]), 403)


def test_directory_objects_answer_as_the_route_of_the_objects_kind(tenantd: Server, world: World) -> None:
    """``/directoryObjects/{id}/...`` (az ad group member check): a user's, a group's and a service principal's
    answer as their own routes do, and each is authorized as its own route: User.Read.All reads a user's groups
    through it, not a group's, nor a service principal's (403, never an answer)."""
    asked = {"groupIds": [world.g1["id"], world.g3["id"], world.other["id"]]}
    for obj, expected in ((world.user, [world.g1["id"], world.g3["id"]]), (world.sp, [world.g3["id"]]),
                          (world.g1, [world.g3["id"]])):
        answer = ok(tenantd.graph("POST", f"/directoryObjects/{obj['id']}/checkMemberGroups", json=asked))
        assert answer["@odata.context"] == f"{tenantd.url}/v1.0/$metadata#Collection(Edm.String)"
        assert answer["value"] == expected
    groups = ok(tenantd.graph("POST", f"/directoryObjects/{world.user['id']}/getMemberGroups", json={}))
    assert set(groups["value"]) == {world.g1["id"], world.g2["id"], world.g3["id"]}
    assert ok(tenantd.graph("POST", f"/directoryObjects/{world.sp['id']}/checkMemberObjects",
                            json={"ids": [world.g2["id"]]}))["value"] == [world.g2["id"]]
    app, sp, secret = new_client(tenantd)
    grant_graph_role(tenantd, sp, "User.Read.All")
    users_only = graph_token(tenantd, app, secret)
    assert ok(tenantd.graph("POST", f"/directoryObjects/{world.user['id']}/getMemberObjects", json={},
                            token=users_only))["value"]
    for other in (world.g1, world.sp):
        error(tenantd.graph("POST", f"/directoryObjects/{other['id']}/getMemberObjects", json={},
                            token=users_only), 403, "Authorization_RequestDenied")
    error(tenantd.graph("POST", f"/directoryObjects/{uuid.uuid4()}/checkMemberGroups", json=asked), 404,
          "Request_ResourceNotFound")
    error(tenantd.graph("POST", f"/directoryObjects/{world.user['id']}/checkMemberGroups", json={}), 400)


def test_get_by_ids_answers_the_objects_of_the_kinds_asked(tenantd: Server, world: World) -> None:
    nobody = str(uuid.uuid4())
    ids = [world.user["id"], world.g1["id"], world.sp["id"], nobody, world.app["id"]]
    every = ok(tenantd.graph("POST", "/directoryObjects/getByIds",
                             json={"ids": ids, "types": ["user", "group", "servicePrincipal",
                                                         "directoryObjectPartnerReference"]}))
    assert every["@odata.context"] == f"{tenantd.url}/v1.0/$metadata#directoryObjects"
    assert [(o["@odata.type"], o["id"]) for o in every["value"]] == [
        ("#microsoft.graph.user", world.user["id"]), (GROUP_TYPE, world.g1["id"]),
        ("#microsoft.graph.servicePrincipal", world.sp["id"])]
    assert every["value"][0]["displayName"] == "Nested Person"
    only_groups = ok(tenantd.graph("POST", "/directoryObjects/getByIds", json={"ids": ids, "types": ["Group"]}))
    assert [o["id"] for o in only_groups["value"]] == [world.g1["id"]]
    assert len(ok(tenantd.graph("POST", "/directoryObjects/getByIds", json={"ids": ids}))["value"]) == 3
    for body in ({}, {"ids": "x"}, {"ids": ["not-a-guid"]}, {"ids": [nobody], "types": ["planet"]},
                 {"ids": [nobody] * 1001}, {"ids": [], "extra": 1}, {"ids": [], "types": None}):
        error(tenantd.graph("POST", "/directoryObjects/getByIds", json=body), 400)
    app, sp, secret = new_client(tenantd)
    grant_graph_role(tenantd, sp, "User.Read.All")
    error(tenantd.graph("POST", "/directoryObjects/getByIds", json={"ids": ids},
                        token=graph_token(tenantd, app, secret)), 403)
