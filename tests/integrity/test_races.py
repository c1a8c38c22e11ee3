"""Simultaneous duplicates, on SQLite and PostgreSQL: 100 identical assignment POSTs make one assignment and
99 deterministic 400s; contested identifierUris and federated credential issuer+subject pairs have exactly
one winner. The store is consistent afterwards."""

from __future__ import annotations

import uuid

import httpx
import sqlalchemy as sa

from tenantd.store import Store
from tenantd.store import schema as t

from ..http.graph_support import new_api, new_app, new_client, ok, role
from ..support import Server
from .conftest import Tenantd
from .consistency import problems
from .load import Call, burst

DUPLICATE = "Permission being assigned already exists on the object."
SAME_KEY = "Request_MultipleObjectsWithSameKeyValue"


def _count(database: str, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    store = Store(database)
    try:
        with store.read() as tx:
            return int(tx.conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())
    finally:
        store.dispose()


def _refused(responses: list[httpx.Response], winners: int = 1) -> list[httpx.Response]:
    """The losers of a race, after checking there is one winner and no 5xx."""
    statuses = sorted(r.status_code for r in responses)
    assert all(s < 500 for s in statuses), [r.text for r in responses if r.status_code >= 500][:3]
    assert len([r for r in responses if r.status_code in (200, 201, 204)]) == winners, statuses
    return [r for r in responses if r.status_code not in (200, 201, 204)]


def test_100_identical_assignments_make_one(tenantd: Tenantd) -> None:
    server = tenantd.server
    _, api = new_api(server)
    _, client, _ = new_client(server)
    role_id = api["appRoles"][0]["id"]
    body = {"principalId": client["id"], "resourceId": api["id"], "appRoleId": role_id}
    responses = burst(server, [("POST", f"/servicePrincipals/{api['id']}/appRoleAssignedTo", body)] * 100)
    for loser in _refused(responses):
        assert loser.status_code == 400, loser.text
        assert loser.json()["error"]["code"] == "Request_BadRequest"
        assert loser.json()["error"]["message"] == DUPLICATE
    listed = ok(server.graph("GET", f"/servicePrincipals/{api['id']}/appRoleAssignedTo"))["value"]
    assert [(a["principalId"], a["appRoleId"]) for a in listed] == [(client["id"], role_id)]
    a = t.app_role_assignments
    assert _count(tenantd.database, a, a.c.principal_id == client["id"], a.c.resource_id == api["id"]) == 1
    assert problems(tenantd.database) == []


def test_contested_identifier_uris_have_one_winner(tenantd: Tenantd) -> None:
    server = tenantd.server
    patched_uri, posted_uri = f"api://contested-{uuid.uuid4().hex[:8]}", f"api://posted-{uuid.uuid4().hex[:8]}"
    apps = [r.json() for r in burst(server, [("POST", "/applications", {"displayName": f"contender {i}"})
                                             for i in range(20)])]
    patches = burst(server, [("PATCH", f"/applications/{app['id']}", {"identifierUris": [patched_uri]})
                             for app in apps])
    posts = burst(server, [("POST", "/applications", {"displayName": f"claim {i}", "identifierUris": [posted_uri]})
                           for i in range(20)])
    for loser in _refused(patches) + _refused(posts):
        assert loser.status_code == 400, loser.text
        assert loser.json()["error"]["code"] == SAME_KEY
    holders = [app["id"] for app in apps if ok(server.graph("GET", f"/applications/{app['id']}"))["identifierUris"]]
    assert len(holders) == 1
    uris = t.identifier_uris
    assert _count(tenantd.database, uris, uris.c.uri_key.in_([patched_uri, posted_uri])) == 2
    assert problems(tenantd.database) == []


def test_contested_federated_credentials_have_one_winner(tenantd: Tenantd) -> None:
    server = tenantd.server
    app = new_app(server)
    subject = f"repo:contoso/{uuid.uuid4().hex[:8]}:ref:refs/heads/main"
    calls = [("POST", f"/applications/{app['id']}/federatedIdentityCredentials",
              {"name": f"twin-{i}", "issuer": "https://token.actions.githubusercontent.com", "subject": subject,
               "audiences": ["api://AzureADTokenExchange"]}) for i in range(20)]
    for loser in _refused(burst(server, calls)):
        assert loser.status_code == 400, loser.text
        assert "issuer and subject must be unique" in loser.json()["error"]["message"]
    f = t.federated_credentials
    assert _count(tenantd.database, f, f.c.owner_id == app["id"]) == 1
    assert problems(tenantd.database) == []


def test_identical_memberships_make_one(tenantd: Tenantd) -> None:
    server = tenantd.server
    group = ok(server.graph("POST", "/groups", json={"displayName": "race", "securityEnabled": True,
                                                     "mailEnabled": False, "mailNickname": "race"}), 201)
    [user] = _users(server, 1)
    body = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user}"}
    for loser in _refused(burst(server, [("POST", f"/groups/{group['id']}/members/$ref", body)] * 30)):
        assert loser.status_code == 400, loser.text
        assert "already exist" in loser.json()["error"]["message"]
    m = t.group_members
    assert _count(tenantd.database, m, m.c.group_id == group["id"]) == 1


def test_assignments_racing_the_deletion_of_their_principals_leave_no_orphans(tenantd: Tenantd) -> None:
    server = tenantd.server
    _, api = new_api(server, role("Race.Read", ("Application", "User")))
    users = _users(server, 25)
    calls: list[Call] = []
    for user in users:
        calls += [("POST", f"/users/{user}/appRoleAssignments",
                   {"principalId": user, "resourceId": api["id"], "appRoleId": api["appRoles"][0]["id"]}),
                  ("DELETE", f"/users/{user}", None)]
    responses = burst(server, calls)
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500][:3]
    assert all(r.status_code == 204 for r in responses[1::2])
    a = t.app_role_assignments
    assert _count(tenantd.database, a, a.c.resource_id == api["id"]) == 0
    assert problems(tenantd.database) == []


def _users(server: Server, count: int) -> list[str]:
    created = burst(server, [("POST", "/users", {"userPrincipalName": f"{uuid.uuid4().hex[:10]}@example.com",
                                                 "displayName": "race", "accountEnabled": True})
                             for _ in range(count)])
    return [str(ok(r, 201)["id"]) for r in created]
