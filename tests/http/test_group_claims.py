"""The ``groups`` claim through a real server, on SQLite and PostgreSQL: what the RESOURCE application's
``groupMembershipClaims`` asks for in access tokens and the CLIENT's in ID tokens, followed through nested
groups; Entra's overage form past 200 groups (which getMemberObjects resolves); ApplicationGroup; app-only
tokens; and app roles held through a group staying with its direct members only."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tenantd.domain.model import Group
from tenantd.protect import TokenValidator
from tenantd.protect.groups import GroupResolver, GroupsUnavailable, has_overage

from ..support import Server
from .graph_support import ok
from .people_support import WEB_REDIRECT, World, arrange, claims, code_for, issued, new_user, redeem, store_of

Obj = dict[str, Any]


@dataclass
class Groups:
    world: World
    nested: Obj                 # a user in g1, g1 in g2, g2 in g3
    chain: list[str]            # [g1, g2, g3]
    many: Obj                   # a user in 250 groups: 125 directly, 125 through one of those
    many_ids: set[str]
    two_hundred: Obj            # a user in exactly 200 groups (the most a JWT lists)
    app_group: str              # the API's app role holder (the readers group) for ApplicationGroup


def _groups(server: Server, count: int, tag: str) -> list[str]:
    """``count`` groups written in one transaction (as a bulk import would), their ids."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    made = [Group(server.tenant_id, str(uuid.uuid4()), f"{tag} {i:03d}", None, f"{tag}{i}", True, now)
            for i in range(count)]
    with store_of(server) as store, store.write() as tx:
        tx.insert_groups(made)
    return [g.id for g in made]


def _members(server: Server, rows: list[tuple[str, str, str]]) -> None:
    with store_of(server) as store, store.write() as tx:
        tx.insert_group_members(rows)


def _add(server: Server, group: str, member: str) -> None:
    ok(server.graph("POST", f"/groups/{group}/members/$ref", json={
        "@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{member}"}), 204)


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[Groups]:
    w = arrange(tenantd)
    nested = new_user(tenantd, "nested")
    chain = _groups(tenantd, 3, "chain")
    _add(tenantd, chain[0], nested["id"])
    _add(tenantd, chain[1], chain[0])
    _add(tenantd, chain[2], chain[1])
    many, two_hundred = new_user(tenantd, "many"), new_user(tenantd, "twohundred")
    lots = _groups(tenantd, 250, "lots")
    _members(tenantd, [(g, many["id"], "user") for g in lots[:125]]
             + [(g, lots[0], "group") for g in lots[125:]]            # lots[0] sits in the other 125
             + [(g, two_hundred["id"], "user") for g in lots[:200] if g != lots[0]]
             + [(lots[200], two_hundred["id"], "user")])
    readers = ok(tenantd.graph("GET", f"/users/{w.alice['id']}/memberOf"))["value"][0]["id"]
    yield Groups(w, nested, chain, many, set(lots), two_hundred, readers)


def _claims_setting(world: Groups, app: Obj, value: str | None) -> None:
    ok(world.world.server.graph("PATCH", f"/applications/{app['id']}", json={"groupMembershipClaims": value}), 204)


@pytest.fixture
def api_asks(world: Groups) -> Iterator[Any]:
    """Set the API's (and, with ``client=``, the web client's) groupMembershipClaims for one test."""
    def set_to(value: str | None, client: str | None = None) -> None:
        _claims_setting(world, world.world.api, value)
        _claims_setting(world, world.world.web, client)
    yield set_to
    set_to(None)


def _tokens(world: Groups, user: Obj) -> tuple[Obj, Obj]:
    """(access token claims, ID token claims) of ``user`` signing in to the web app for the API."""
    w = world.world
    scope = f"openid profile {w.scope('Things.Read')}"
    code = code_for(w, w.web, WEB_REDIRECT, user, scope)
    body = issued(redeem(w, code, w.web, WEB_REDIRECT, client_secret=w.web_secret, scope=scope))
    return claims(body["access_token"]), claims(body["id_token"])


def test_three_nested_groups_are_all_in_the_access_token(world: Groups, api_asks: Any) -> None:
    api_asks("SecurityGroup")
    access, id_token = _tokens(world, world.nested)
    assert sorted(access["groups"]) == sorted(world.chain)
    assert "groups" not in id_token and "hasgroups" not in id_token   # the client asks for none
    names = list(access)
    assert names.index("groups") == names.index("azpacr") + 1 < names.index("idtyp")   # Entra's claim order


def test_none_or_no_setting_puts_no_group_in_any_token(world: Groups, api_asks: Any) -> None:
    for value in ("None", None):
        api_asks(value, client=value)
        access, id_token = _tokens(world, world.nested)
        for token in (access, id_token):
            assert not {"groups", "hasgroups", "_claim_names", "_claim_sources"} & set(token), token


def test_directory_role_alone_puts_no_group_in_the_token(world: Groups, api_asks: Any) -> None:
    api_asks("DirectoryRole")
    access, _ = _tokens(world, world.nested)
    assert "groups" not in access


def test_the_id_token_follows_the_client_applications_setting(world: Groups, api_asks: Any) -> None:
    api_asks(None, client="All")
    access, id_token = _tokens(world, world.nested)
    assert "groups" not in access
    assert sorted(id_token["groups"]) == sorted(world.chain)


def test_past_200_groups_the_token_points_at_get_member_objects(world: Groups, api_asks: Any) -> None:
    api_asks("SecurityGroup")
    access, _ = _tokens(world, world.many)
    tid, oid = world.world.tenant_id, world.many["id"]
    assert "groups" not in access and "hasgroups" not in access
    assert access["_claim_names"] == {"groups": "src1"}
    assert access["_claim_sources"] == {
        "src1": {"endpoint": f"https://graph.windows.net/{tid}/users/{oid}/getMemberObjects"}}
    names = list(access)
    assert names[names.index("exp") + 1:names.index("exp") + 3] == ["_claim_names", "_claim_sources"]
    resolved = ok(world.world.server.graph("POST", f"/users/{oid}/getMemberObjects",
                                           json={"securityEnabledOnly": True}))["value"]
    assert len(resolved) == 250 and set(resolved) == world.many_ids


def test_exactly_200_groups_are_still_listed(world: Groups, api_asks: Any) -> None:
    api_asks("SecurityGroup")
    access, _ = _tokens(world, world.two_hundred)
    assert len(access["groups"]) == 200 and "_claim_names" not in access


def test_application_group_lists_only_the_groups_assigned_to_the_resource(world: Groups, api_asks: Any) -> None:
    api_asks("ApplicationGroup")
    access, _ = _tokens(world, world.world.alice)
    assert access["groups"] == [world.app_group]           # the readers group holds the API's role
    access, _ = _tokens(world, world.nested)                # in three groups, none assigned to the API
    assert "groups" not in access


def test_a_role_held_by_an_outer_group_reaches_only_its_direct_members(world: Groups, api_asks: Any) -> None:
    """Entra expands nested groups for the groups claim, never for app roles: a user in g1, itself in the role
    holder g2, gets g2 in ``groups`` and no role."""
    w = world.world
    api_asks("SecurityGroup")
    holder = w.api_sp["appRoles"][0]["id"]
    ok(w.server.graph("POST", f"/servicePrincipals/{w.api_sp['id']}/appRoleAssignedTo", json={
        "principalId": world.chain[1], "resourceId": w.api_sp["id"], "appRoleId": holder}), 201)
    access, _ = _tokens(world, world.nested)
    assert world.chain[1] in access["groups"] and "roles" not in access


def test_a_membership_removed_leaves_the_very_next_token(world: Groups, api_asks: Any) -> None:
    api_asks("SecurityGroup")
    w = world.world
    person = new_user(w.server, "leaving")
    _add(w.server, world.chain[2], person["id"])
    assert _tokens(world, person)[0]["groups"] == [world.chain[2]]
    assert w.server.graph("DELETE", f"/groups/{world.chain[2]}/members/{person['id']}/$ref").status_code == 204
    assert "groups" not in _tokens(world, person)[0]


def test_an_applications_own_token_carries_its_groups_when_the_resource_asks(world: Groups, api_asks: Any) -> None:
    """Client credentials: the client's service principal in g1 (and so in g2, g3)."""
    w = world.world
    api_asks("SecurityGroup")
    web_sp = ok(w.server.graph("GET", f"/servicePrincipals(appId='{w.web['appId']}')"))
    _add(w.server, world.chain[0], web_sp["id"])
    try:
        response = w.server.token(w.web["appId"], w.web_secret, f"{w.api_uri}/.default")
        app_only = claims(ok(response)["access_token"])
        assert app_only["idtyp"] == "app" and sorted(app_only["groups"]) == sorted(world.chain)
        api_asks(None)
        app_only = claims(ok(w.server.token(w.web["appId"], w.web_secret, f"{w.api_uri}/.default"))["access_token"])
        assert "groups" not in app_only
    finally:
        w.server.graph("DELETE", f"/groups/{world.chain[0]}/members/{web_sp['id']}/$ref")


def test_a_managed_identitys_cached_token_follows_its_groups(world: Groups, api_asks: Any) -> None:
    """IMDS-like caching (App Service protocol): a token is served again while the identity's roles and the
    groups the resource asks for stay the same, and a new one the moment its groups change."""
    w = world.world
    site = f"/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/Microsoft.Web/sites/" \
           f"g{uuid.uuid4().hex[:8]}"
    identity = ok(w.server.admin("POST", "/identities", json={"name": f"grouped-{uuid.uuid4().hex[:6]}",
                                                                "host": site}), 201)
    secret = ok(w.server.admin("POST", "/hosts/sessions", json={"host": site}), 201)["secret"]
    api_asks("SecurityGroup")
    _add(w.server, world.chain[0], identity["id"])

    def token() -> str:
        with httpx.Client(base_url=w.server.info["identity_url"]) as client:
            response = client.get("/msi/token", params={"api-version": "2019-08-01", "resource": w.api_uri},
                                  headers={"X-IDENTITY-HEADER": secret})
        return str(ok(response)["access_token"])

    first = token()
    assert sorted(claims(first)["groups"]) == sorted(world.chain) and token() == first   # the cache answers
    assert w.server.graph("DELETE", f"/groups/{world.chain[0]}/members/{identity['id']}/$ref").status_code == 204
    assert "groups" not in claims(token())


def test_the_protect_resolver_reads_an_overage_tokens_groups_from_graph(world: Groups, api_asks: Any) -> None:
    """tenantd.protect's GroupResolver, as an API would use it: a validated overage token's 250 groups come
    from Microsoft Graph's getMemberObjects at tenantd's address, with the API's own Graph token."""
    api_asks("SecurityGroup")
    server = world.world.server
    validator = TokenValidator(tenant_id=server.tenant_id, audiences=[world.world.api["appId"]],
                               authority=server.url, verify=server.ca_cert)
    graph_calls: list[str] = []

    def graph_token() -> str:
        graph_calls.append("token")
        return server.admin_token()

    resolver = GroupResolver(graph_token, graph_url=server.url, verify=server.ca_cert)
    for user, expected in ((world.many, world.many_ids), (world.nested, set(world.chain))):
        checked = validator.validate(_raw_access_token(world, user))
        assert has_overage(checked) == (user is world.many)
        assert set(resolver.groups(checked)) == expected
        assert set(asyncio.run(resolver.agroups(checked))) == expected
    assert len(graph_calls) == 2, "the listed groups must be read from the token, not fetched"
    refused = GroupResolver(lambda: "not-a-token", graph_url=server.url, verify=server.ca_cert)
    with pytest.raises(GroupsUnavailable, match="HTTP 401"):
        refused.groups(validator.validate(_raw_access_token(world, world.many)))


def _raw_access_token(world: Groups, user: Obj) -> str:
    w = world.world
    scope = f"openid profile {w.scope('Things.Read')}"
    code = code_for(w, w.web, WEB_REDIRECT, user, scope)
    return str(issued(redeem(w, code, w.web, WEB_REDIRECT, client_secret=w.web_secret, scope=scope))["access_token"])
