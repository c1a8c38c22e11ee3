"""The refresh token grant through a real server, on SQLite and PostgreSQL: a new refresh token on every use
with the old one still valid, a refresh for another resource, the client binding, the lifetimes (90 days
unused, a spa's 24 hours) and the refusals."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tenantd.domain import builtins
from tenantd.tokens import refresh_tokens
from tenantd.tokens.refresh_tokens import Lineage

from ..support import Server
from .people_support import (
    PASSWORD,
    SPA_ORIGIN,
    SPA_REDIRECT,
    WEB_REDIRECT,
    World,
    arrange,
    audience,
    claims,
    code_for,
    issued,
    pkce,
    redeem,
    refresh,
    refusal,
    store_of,
    token,
)


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[World]:
    yield arrange(tenantd)


def signed_in(world: World, scope: str = "") -> dict[str, str]:
    """Alice's tokens through the public client (the password grant), with a refresh token."""
    return issued(token(world.server, grant_type="password", client_id=world.native["appId"],
                        username=world.alice["userPrincipalName"], password=PASSWORD,
                        scope=scope or f"openid offline_access {world.scope('Things.Read')}"))


def test_each_use_gives_a_new_refresh_token_and_the_old_one_stays_valid(world: World) -> None:
    first = signed_in(world)
    second = issued(refresh(world.server, first["refresh_token"], world.native))
    assert second["refresh_token"] != first["refresh_token"]
    access = claims(second["access_token"])
    assert access["scp"] == "Things.Read" and access["roles"] == ["Things.Reader"] and access["azpacr"] == "0"
    assert second["scope"] == f"{world.api_uri}/Things.Read openid offline_access"
    assert claims(second["id_token"])["aud"] == world.native["appId"]
    issued(refresh(world.server, first["refresh_token"], world.native))       # as in Entra: not revoked
    issued(refresh(world.server, second["refresh_token"], world.native))


def test_a_refresh_may_ask_for_another_resource(world: World) -> None:
    first = signed_in(world)
    graph = issued(refresh(world.server, first["refresh_token"], world.native,
                           scope="https://graph.microsoft.com/User.Read offline_access openid profile"))
    access = claims(graph["access_token"])
    assert access["aud"] == builtins.GRAPH_RESOURCE and access["scp"] == "User.Read" and "roles" not in access
    assert refusal(refresh(world.server, first["refresh_token"], world.native,
                           scope=world.scope("Things.Write"))) == (400, "invalid_grant", [65001])


def test_no_refresh_token_without_offline_access(world: World) -> None:
    body = signed_in(world, f"openid {world.scope('Things.Read')}")
    assert "refresh_token" not in body and body["scope"] == f"{world.api_uri}/Things.Read openid"


def test_a_refresh_token_is_bound_to_its_client(world: World) -> None:
    first = signed_in(world)
    assert refusal(refresh(world.server, first["refresh_token"], world.spa)) == (400, "invalid_grant", [70000])
    assert refusal(refresh(world.server, first["refresh_token"], world.web, client_secret=world.web_secret)) == (
        400, "invalid_grant", [70000])


def test_a_confidential_clients_refresh_token_needs_its_secret(world: World) -> None:
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, f"offline_access {world.scope('Things.Read')}")
    body = issued(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret))
    assert refusal(refresh(world.server, body["refresh_token"], world.web)) == (401, "invalid_client", [7000218])
    assert refusal(refresh(world.server, body["refresh_token"], world.web, client_secret="x" + world.web_secret))[
        2] == [7000215]
    assert claims(issued(refresh(world.server, body["refresh_token"], world.web,
                                 client_secret=world.web_secret))["access_token"])["azpacr"] == "1"


def test_a_spas_refresh_token_comes_cross_origin_and_keeps_its_end(world: World) -> None:
    verifier, challenge = pkce()
    code = code_for(world, world.spa, SPA_REDIRECT, world.alice, f"offline_access {world.scope('Things.Read')}",
                    challenge=challenge)
    body = issued(token(world.server, origin=SPA_ORIGIN, grant_type="authorization_code", code=code,
                        client_id=world.spa["appId"], redirect_uri=SPA_REDIRECT, code_verifier=verifier))
    assert refusal(refresh(world.server, body["refresh_token"], world.spa)) == (400, "invalid_request", [9002327])
    renewed = issued(token(world.server, origin=SPA_ORIGIN, grant_type="refresh_token", client_id=world.spa["appId"],
                           refresh_token=body["refresh_token"]))
    with store_of(world.server) as store:
        first, second = (refresh_tokens.find(store, t) for t in (body["refresh_token"], renewed["refresh_token"]))
    assert first is not None and second is not None and second.hard_expiry == first.hard_expiry is not None


def test_an_unused_token_ends_after_90_days_and_a_spas_after_a_day(world: World) -> None:
    now, server = int(time.time()), world.server
    with store_of(server) as store:
        idle = refresh_tokens.issue(store, world.tenant_id, world.native["appId"], world.alice["id"], "public",
                                    Lineage("offline_access", None, "g1", now), now - 90 * 86400 - 5)
        spa = refresh_tokens.issue(store, world.tenant_id, world.spa["appId"], world.alice["id"], "spa",
                                   Lineage("offline_access", None, "g2", now, first_sign_in=now - 86400 - 5), now)
    assert refusal(refresh(server, idle, world.native)) == (400, "invalid_grant", [700082])
    assert refusal(token(server, origin=SPA_ORIGIN, grant_type="refresh_token", client_id=world.spa["appId"],
                         refresh_token=spa)) == (400, "invalid_grant", [700084])


def test_unknown_and_malformed_refresh_tokens(world: World) -> None:
    assert refusal(refresh(world.server, "B" * 43, world.native)) == (400, "invalid_grant", [70000])
    assert refusal(refresh(world.server, "not one of ours", world.native)) == (400, "invalid_grant", [9002313])
    assert refusal(token(world.server, grant_type="refresh_token", client_id=world.native["appId"])) == (
        400, "invalid_request", [900144])


@pytest.mark.parametrize("authority", ["common", "organizations"])
def test_a_refresh_through_common_signs_in_to_the_tokens_tenant(world: World, authority: str) -> None:
    """Once its application is for every organization (AADSTS50194 while it is its organization's only)."""
    first = signed_in(world)
    form = {"grant_type": "refresh_token", "client_id": world.native["appId"], "refresh_token": first["refresh_token"]}
    assert refusal(token(world.server, tenant=authority, **form)) == (400, "invalid_request", [50194])
    with audience(world.server, world.native, "AzureADMultipleOrgs"):
        body = issued(token(world.server, tenant=authority, **form))
    assert claims(body["access_token"])["tid"] == world.tenant_id
    assert refusal(token(world.server, tenant=authority, grant_type="refresh_token",
                         client_id=world.native["appId"], refresh_token="C" * 43)) == (400, "invalid_grant", [70000])


def test_the_v1_endpoint_refreshes_for_a_resource(world: World) -> None:
    first = signed_in(world)
    body = issued(token(world.server, version=1, grant_type="refresh_token", client_id=world.native["appId"],
                        refresh_token=first["refresh_token"], resource=world.api_uri))
    assert body["resource"] == world.api_uri and body["scope"] == "Things.Read" and body["refresh_token"]
    assert claims(body["id_token"])["ver"] == "1.0"
