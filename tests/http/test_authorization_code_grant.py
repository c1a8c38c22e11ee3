"""The authorization code grant through a real server, on SQLite and PostgreSQL: codes issued as the authorize
endpoint issues them (``tokens.codes.issue_code``), redeemed by a confidential web app, a spa and a public
client, with every refusal Entra gives."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tenantd.domain import builtins

from ..support import Server
from .people_support import (
    NATIVE_REDIRECT,
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
    stored_refresh_token,
    token,
)


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[World]:
    yield arrange(tenantd)


def test_a_web_app_redeems_a_code_with_its_secret(world: World) -> None:
    scope = f"openid profile offline_access {world.scope('Things.Read')}"
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, scope, nonce="n-0S6_WzA2Mj")
    body = issued(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret, scope=scope,
                         client_info="1"))
    assert body["token_type"] == "Bearer" and body["expires_in"] == body["ext_expires_in"] > 3000
    assert body["scope"] == f"{world.api_uri}/Things.Read openid profile offline_access"
    access = claims(body["access_token"])
    assert access["aud"] == world.api["appId"] and access["azp"] == world.web["appId"] and access["azpacr"] == "1"
    assert access["scp"] == "Things.Read" and access["roles"] == ["Things.Reader"]
    assert access["oid"] == world.alice["id"] and access["preferred_username"] == world.alice["userPrincipalName"]
    id_token = claims(body["id_token"])
    assert id_token["aud"] == world.web["appId"] and id_token["nonce"] == "n-0S6_WzA2Mj"
    assert id_token["iss"] == f"{world.server.url}/{world.tenant_id}/v2.0" and id_token["ver"] == "2.0"
    assert id_token["sub"] == access["sub"] and id_token["oid"] == world.alice["id"] and "idtyp" not in id_token
    stored = stored_refresh_token(world.server, body["refresh_token"])
    assert stored is not None and stored.client_kind == "confidential" and stored.hard_expiry is None
    assert body["client_info"]


def test_default_grants_what_the_client_is_pre_authorized_for(world: World) -> None:
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, f"openid {world.api_uri}/.default")
    body = issued(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret))
    assert claims(body["access_token"])["scp"] == "Things.Read" and "refresh_token" not in body
    assert body["scope"] == f"{world.api_uri}/Things.Read {world.api_uri}/.default openid"


def test_a_scope_nobody_consented_to_is_consent_required(world: World) -> None:
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, f"openid {world.scope('Things.Write')}")
    assert refusal(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret)) == (
        400, "invalid_grant", [65001])
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, world.scope("Things.Delete"))
    assert refusal(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret))[2] == [70011]


def test_only_openid_scopes_give_a_graph_token_with_user_read(world: World) -> None:
    code = code_for(world, world.web, WEB_REDIRECT, world.bob, "openid profile email")
    body = issued(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret))
    access = claims(body["access_token"])
    assert access["aud"] == builtins.GRAPH_RESOURCE and access["scp"] == "User.Read" and "roles" not in access
    assert body["scope"] == "https://graph.microsoft.com/User.Read openid profile email"


def test_a_code_is_refused_for_another_client_redirect_or_a_missing_secret(world: World) -> None:
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, world.scope("Things.Read"))
    assert refusal(redeem(world, code, world.web, WEB_REDIRECT + "/other", client_secret=world.web_secret)) == (
        400, "invalid_grant", [500112])
    assert refusal(redeem(world, code, world.spa, WEB_REDIRECT, client_secret=world.web_secret)) == (
        400, "invalid_grant", [70000])
    assert refusal(redeem(world, code, world.web, WEB_REDIRECT)) == (401, "invalid_client", [7000218])
    assert refusal(redeem(world, code, world.web, WEB_REDIRECT, client_secret="x" + world.web_secret))[2] == [
        7000215]
    issued(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret))   # still unused


def test_unknown_malformed_and_expired_codes(world: World) -> None:
    assert refusal(redeem(world, "A" * 43, world.web, WEB_REDIRECT, client_secret=world.web_secret)) == (
        400, "invalid_grant", [70000])
    assert refusal(redeem(world, "not a code", world.web, WEB_REDIRECT, client_secret=world.web_secret)) == (
        400, "invalid_grant", [9002313])
    old = code_for(world, world.web, WEB_REDIRECT, world.alice, world.scope("Things.Read"), issued=time.time() - 601)
    assert refusal(redeem(world, old, world.web, WEB_REDIRECT, client_secret=world.web_secret)) == (
        400, "invalid_grant", [70008])
    assert refusal(token(world.server, grant_type="authorization_code", client_id=world.web["appId"],
                         client_secret=world.web_secret)) == (400, "invalid_request", [900144])


def test_a_second_redemption_fails_and_revokes_the_first_ones_tokens(world: World) -> None:
    scope = f"openid offline_access {world.scope('Things.Read')}"
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, scope)
    first = issued(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret))
    issued(refresh(world.server, first["refresh_token"], world.web, client_secret=world.web_secret))
    assert refusal(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret)) == (
        400, "invalid_grant", [54005])
    assert refusal(refresh(world.server, first["refresh_token"], world.web, client_secret=world.web_secret)) == (
        400, "invalid_grant", [70000])


def test_a_public_client_redeems_with_its_pkce_verifier(world: World) -> None:
    verifier, challenge = pkce()
    redirect = "http://localhost:53117/callback"   # a loopback port of the client's choosing (RFC 8252)
    code = code_for(world, world.native, redirect, world.alice, f"openid offline_access {world.scope('Things.Read')}",
                    challenge=challenge)
    assert refusal(redeem(world, code, world.native, redirect, code_verifier=pkce()[0])) == (
        400, "invalid_grant", [501481])
    assert refusal(redeem(world, code, world.native, redirect)) == (400, "invalid_request", [900144])
    body = issued(redeem(world, code, world.native, redirect, code_verifier=verifier))
    assert claims(body["access_token"])["azpacr"] == "0"
    stored = stored_refresh_token(world.server, body["refresh_token"])
    assert stored is not None and stored.client_kind == "public"


def test_a_public_clients_code_without_pkce_is_refused(world: World) -> None:
    code = code_for(world, world.native, NATIVE_REDIRECT, world.alice, world.scope("Things.Read"))
    assert refusal(redeem(world, code, world.native, NATIVE_REDIRECT)) == (400, "invalid_request", [9002325])


def test_a_spa_redeems_cross_origin_and_its_refresh_token_ends_in_a_day(world: World) -> None:
    verifier, challenge = pkce()
    scope = f"openid offline_access {world.scope('Things.Read')}"
    code = code_for(world, world.spa, SPA_REDIRECT, world.alice, scope, challenge=challenge)
    assert refusal(redeem(world, code, world.spa, SPA_REDIRECT, code_verifier=verifier)) == (
        400, "invalid_request", [9002327])
    assert refusal(token(world.server, origin=SPA_ORIGIN, grant_type="authorization_code", code=code,
                         client_id=world.spa["appId"], redirect_uri=SPA_REDIRECT, code_verifier=verifier,
                         client_secret=world.web_secret)) == (401, "invalid_client", [700025])
    response = token(world.server, origin=SPA_ORIGIN, grant_type="authorization_code", code=code,
                     client_id=world.spa["appId"], redirect_uri=SPA_REDIRECT, code_verifier=verifier)
    body = issued(response)
    assert response.headers["access-control-allow-origin"] == "*"
    stored = stored_refresh_token(world.server, body["refresh_token"])
    assert stored is not None and stored.client_kind == "spa"
    assert stored.hard_expiry == stored.first_sign_in + 86400 and stored.expires == stored.hard_expiry


def test_only_a_spa_redeems_cross_origin(world: World) -> None:
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, world.scope("Things.Read"))
    response = token(world.server, origin="https://elsewhere.test", grant_type="authorization_code", code=code,
                     client_id=world.web["appId"], redirect_uri=WEB_REDIRECT, client_secret=world.web_secret)
    assert refusal(response) == (400, "invalid_request", [9002326])
    assert response.headers["access-control-allow-origin"] == "*"


def test_the_v1_endpoint_answers_in_v1s_shape_with_a_v1_id_token(world: World) -> None:
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, resource=world.api_uri)
    body = issued(token(world.server, version=1, grant_type="authorization_code", code=code,
                        client_id=world.web["appId"], redirect_uri=WEB_REDIRECT, client_secret=world.web_secret))
    assert body["resource"] == world.api_uri and body["scope"] == "Things.Read" and body["expires_in"].isdigit()
    assert body["refresh_token"]
    id_token = claims(body["id_token"])
    assert id_token["ver"] == "1.0" and id_token["iss"] == f"{world.server.url}/{world.tenant_id}/"
    assert id_token["upn"] == id_token["unique_name"] == world.alice["userPrincipalName"]
    assert id_token["amr"] == ["pwd"] and id_token["ipaddr"] == "127.0.0.1" and id_token["aud"] == world.web["appId"]


@pytest.mark.parametrize("authority", ["common", "organizations"])
def test_a_code_redeemed_through_common_signs_in_to_its_tenant(world: World, authority: str) -> None:
    """Once its application is for every organization: one of its own organization only is refused there
    (AADSTS50194), and the refusal leaves the code unspent."""
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, f"openid {world.scope('Things.Read')}")
    form = {"grant_type": "authorization_code", "code": code, "client_id": world.web["appId"],
            "redirect_uri": WEB_REDIRECT, "client_secret": world.web_secret}
    assert refusal(token(world.server, tenant=authority, **form)) == (400, "invalid_request", [50194])
    with audience(world.server, world.web, "AzureADMultipleOrgs"):
        body = issued(token(world.server, tenant=authority, **form))
    assert claims(body["access_token"])["iss"] == f"{world.server.url}/{world.tenant_id}/v2.0"
    assert refusal(token(world.server, tenant=authority, grant_type="client_credentials",
                         client_id=world.web["appId"], client_secret=world.web_secret,
                         scope=f"{world.api_uri}/.default")) == (400, "invalid_request", [50059])


def test_a_user_without_the_required_assignment_is_refused(world: World) -> None:
    server = world.server
    assert server.graph("PATCH", f"/servicePrincipals/{world.api_sp['id']}",
                        json={"appRoleAssignmentRequired": True}).status_code == 204
    try:
        for user, expected in ((world.bob, (400, "invalid_grant", [50105])), (world.alice, None)):
            code = code_for(world, world.web, WEB_REDIRECT, user, world.scope("Things.Read"))
            response = redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret)
            assert (refusal(response) if expected else response.status_code) == (expected or 200)
    finally:
        server.graph("PATCH", f"/servicePrincipals/{world.api_sp['id']}", json={"appRoleAssignmentRequired": False})
