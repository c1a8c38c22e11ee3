"""SECURITY.md item 50, its last clause: a deleted (or narrowed) delegated permission grant removes the scope
from the very next token, on SQLite and PostgreSQL, whatever the token path remembered of it (the directory
cache holds grants under the directory's version, which every grant change advances), through the password
grant, a refresh token, an on-behalf-of exchange (where a user's own grant to the middle tier counts for her
alone), and at another replica of the same database.

The other clauses (user and admin consent, the consent form) belong to the consent page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..http import obo_support
from ..http.graph_support import ok
from ..http.people_support import PASSWORD, World, arrange, claims, issued, refresh, refusal, token
from ..support import Server, servers_on_one_database


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[World]:
    yield arrange(tenantd)


def _password(world: World, scope: str, server: Server | None = None) -> Any:
    return token(server or world.server, grant_type="password", client_id=world.native["appId"],
                 username=world.alice["userPrincipalName"], password=PASSWORD, scope=scope)


def _grant(world: World, scope: str = "Things.Write") -> str:
    client = ok(world.server.graph("GET", f"/servicePrincipals(appId='{world.native['appId']}')"))
    return str(ok(world.server.graph("POST", "/oauth2PermissionGrants", json={
        "clientId": client["id"], "resourceId": world.api_sp["id"], "consentType": "AllPrincipals",
        "scope": scope}), 201)["id"])


def _scp(response: Any) -> set[str]:
    return set(claims(issued(response)["access_token"])["scp"].split())


def test_50_a_deleted_grant_removes_the_scope_from_the_very_next_token(world: World) -> None:
    grant = _grant(world)
    for _ in range(3):   # every read the token path makes is now in memory
        assert _scp(_password(world, world.scope("Things.Write"))) == {"Things.Write"}
        assert _scp(_password(world, world.scope(".default"))) == {"Things.Read", "Things.Write"}
    ok(world.server.graph("DELETE", f"/oauth2PermissionGrants/{grant}"), 204)
    assert refusal(_password(world, world.scope("Things.Write"))) == (400, "invalid_grant", [65001])
    assert _scp(_password(world, world.scope(".default"))) == {"Things.Read"}


def test_50_a_narrowed_grant_narrows_the_very_next_token(world: World) -> None:
    grant = _grant(world, "Things.Read Things.Write")
    assert _scp(_password(world, world.scope(".default"))) == {"Things.Read", "Things.Write"}
    ok(world.server.graph("PATCH", f"/oauth2PermissionGrants/{grant}", json={"scope": "Things.Read"}), 204)
    assert refusal(_password(world, world.scope("Things.Write"))) == (400, "invalid_grant", [65001])
    ok(world.server.graph("DELETE", f"/oauth2PermissionGrants/{grant}"), 204)


def test_50_a_refresh_token_gets_no_scope_its_grant_lost(world: World) -> None:
    grant = _grant(world)
    body = issued(_password(world, f"offline_access {world.scope('Things.Write')}"))
    assert claims(body["access_token"])["scp"] == "Things.Write"
    renewed = issued(refresh(world.server, body["refresh_token"], world.native))
    assert claims(renewed["access_token"])["scp"] == "Things.Write"
    ok(world.server.graph("DELETE", f"/oauth2PermissionGrants/{grant}"), 204)
    assert refusal(refresh(world.server, renewed["refresh_token"], world.native)) == (400, "invalid_grant", [65001])
    again = issued(refresh(world.server, renewed["refresh_token"], world.native,
                           scope=f"offline_access {world.scope('.default')}"))
    assert claims(again["access_token"])["scp"] == "Things.Read"


def test_50_on_behalf_of_a_user_her_own_grant_counts_until_it_is_deleted(tenantd: Server) -> None:
    obo = obo_support.arrange(tenantd)
    mid = ok(tenantd.graph("GET", f"/servicePrincipals(appId='{obo.mid.app_id}')"))
    grant = ok(tenantd.graph("POST", "/oauth2PermissionGrants", json={
        "clientId": mid["id"], "resourceId": obo.down_sp["id"], "consentType": "Principal",
        "principalId": obo.alice["id"], "scope": "Things.Write"}), 201)["id"]

    def exchange(user: dict[str, Any], *names: str) -> Any:
        assertion = obo_support.user_token(obo, user, f"{obo.mid.uri}/access_as_user")
        return obo_support.on_behalf_of(obo, obo.mid, assertion, obo.down_scope(*names))

    assert _scp(exchange(obo.alice, "Things.Write")) == {"Things.Write"}
    assert _scp(exchange(obo.alice, ".default")) == {"Things.Read", "Things.Write"}
    assert refusal(exchange(obo.bob, "Things.Write")) == (400, "invalid_grant", [65001])
    assert _scp(exchange(obo.bob, ".default")) == {"Things.Read"}
    ok(tenantd.graph("DELETE", f"/oauth2PermissionGrants/{grant}"), 204)
    assert refusal(exchange(obo.alice, "Things.Write")) == (400, "invalid_grant", [65001])
    assert _scp(exchange(obo.alice, ".default")) == {"Things.Read"}


def test_50_a_grant_deleted_at_one_replica_is_gone_from_the_others_next_token(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    with servers_on_one_database(tmp_path_factory) as (a, b):
        world = arrange(a)
        grant = _grant(world)
        for _ in range(3):
            assert _scp(_password(world, world.scope("Things.Write"), b)) == {"Things.Write"}
        ok(a.graph("DELETE", f"/oauth2PermissionGrants/{grant}"), 204)
        assert refusal(_password(world, world.scope("Things.Write"), b)) == (400, "invalid_grant", [65001])
        assert _scp(_password(world, world.scope(".default"), b)) == {"Things.Read"}
