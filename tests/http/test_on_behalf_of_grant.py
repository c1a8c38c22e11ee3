"""The on-behalf-of grant over HTTP: the token a middle tier gets for the user whose token it received (v2 and
v1 endpoints, v2 and v1 assertions, through ``common`` and ``organizations``), what comes beside it, the
refresh token's lineage, the user's state, the downstream API's assignment rule and the sign-in log. The
catalogue's refusals (item 49) are in ``tests/security/test_49_on_behalf_of.py``."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tenantd.domain.claims import pairwise_subject

from ..support import Server
from .graph_support import ok
from .obo_support import Obo, arrange, claims, header, on_behalf_of, user_token
from .people_support import issued, new_user, refresh, refusal


@pytest.fixture(scope="module")
def obo(server: Server) -> Iterator[Obo]:
    yield arrange(server)


def test_v2_the_user_keeps_her_identity_the_middle_tier_becomes_the_client(obo: Obo) -> None:
    assertion = user_token(obo, obo.alice, f"{obo.mid.uri}/access_as_user")
    body = issued(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read")))
    assert set(body) == {"token_type", "scope", "expires_in", "ext_expires_in", "access_token"}
    assert body["scope"] == obo.down_scope("Things.Read") and isinstance(body["expires_in"], int)
    given, got = claims(assertion), claims(body["access_token"])
    assert got["aud"] == obo.down["appId"] and got["ver"] == "2.0" and got["idtyp"] == "user"
    assert got["oid"] == given["oid"] == obo.alice["id"] and got["tid"] == obo.tenant_id
    assert got["azp"] == obo.mid.app_id and got["azpacr"] == "1" and given["azp"] == obo.desktop["appId"]
    assert got["sub"] == pairwise_subject(obo.alice["id"], obo.mid.app_id) != given["sub"]
    assert got["scp"] == "Things.Read" and given["scp"] == "access_as_user"
    assert got["roles"] == ["Things.Reader"] and got["preferred_username"] == obo.alice["userPrincipalName"]


def test_default_gives_what_the_middle_tier_holds_and_bob_no_role(obo: Obo) -> None:
    assertion = user_token(obo, obo.bob, f"{obo.mid.uri}/access_as_user")
    got = claims(issued(on_behalf_of(obo, obo.mid, assertion, f"{obo.down_uri}/.default"))["access_token"])
    assert got["scp"] == "Things.Read" and "roles" not in got and got["oid"] == obo.bob["id"]


def test_graph_user_read_and_the_v1_shape_of_graphs_tokens(obo: Obo) -> None:
    assertion = user_token(obo, obo.alice, f"{obo.mid.uri}/access_as_user")
    body = issued(on_behalf_of(obo, obo.mid, assertion, "https://graph.microsoft.com/User.Read"))
    got = claims(body["access_token"])
    assert got["aud"] == "https://graph.microsoft.com" and got["ver"] == "1.0"
    assert got["appid"] == obo.mid.app_id and got["appidacr"] == "1" and got["scp"] == "User.Read"
    assert got["upn"] == obo.alice["userPrincipalName"] and header(body["access_token"])["x5t"]


def test_a_v1_assertion_for_the_middle_tiers_uri_and_the_v1_endpoint(obo: Obo) -> None:
    """A v1 middle tier's token carries ``aud`` as the client asked (its App ID URI); the v1 endpoint takes
    ``resource`` and answers in strings, with a refresh token and an ID token as it always does."""
    assertion = user_token(obo, obo.alice, obo.mid_v1.uri, version=1)
    assert claims(assertion)["aud"] == obo.mid_v1.uri and claims(assertion)["ver"] == "1.0"
    body = issued(on_behalf_of(obo, obo.mid_v1, assertion, version=1, resource=obo.down_uri))
    assert body["resource"] == obo.down_uri and isinstance(body["expires_in"], str)
    assert body["scope"] == "Things.Read" and body["refresh_token"] and body["id_token"]
    got = claims(body["access_token"])
    assert got["aud"] == obo.down["appId"] and got["azp"] == obo.mid_v1.app_id and got["roles"] == ["Things.Reader"]
    by_app_id = user_token(obo, obo.alice, obo.mid_v1.app_id, version=1)
    assert claims(by_app_id)["aud"] == obo.mid_v1.app_id
    issued(on_behalf_of(obo, obo.mid_v1, by_app_id, obo.down_scope("Things.Read")))


@pytest.mark.parametrize("authority", ["common", "organizations"])
def test_through_common_the_tenant_is_the_assertions(obo: Obo, authority: str) -> None:
    ok(obo.server.graph("PATCH", f"/applications/{obo.mid.app['id']}",
                        json={"signInAudience": "AzureADMultipleOrgs"}), 204)
    try:
        assertion = user_token(obo, obo.alice, f"{obo.mid.uri}/access_as_user")
        body = issued(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read"), tenant=authority))
    finally:
        ok(obo.server.graph("PATCH", f"/applications/{obo.mid.app['id']}",
                            json={"signInAudience": "AzureADMyOrg"}), 204)
    got = claims(body["access_token"])
    assert got["tid"] == obo.tenant_id and got["iss"] == f"{obo.server.url}/{obo.tenant_id}/v2.0"
    single = on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read"), tenant=authority)
    assert refusal(single) == (400, "invalid_request", [50194])   # a one-organization app, as for every grant


def test_offline_access_gives_the_middle_tier_a_refresh_token_of_its_own(obo: Obo) -> None:
    assertion = user_token(obo, obo.alice, f"{obo.mid.uri}/access_as_user")
    plain = issued(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read")))
    assert "refresh_token" not in plain and "id_token" not in plain
    body = issued(on_behalf_of(obo, obo.mid, assertion, f"{obo.down_scope('Things.Read')} openid profile "
                                                        "offline_access", client_info="1"))
    assert body["scope"] == f"{obo.down_scope('Things.Read')} openid profile offline_access"
    id_token = claims(body["id_token"])
    assert id_token["aud"] == obo.mid.app_id and id_token["oid"] == obo.alice["id"] and body["client_info"]
    assert refusal(refresh(obo.server, body["refresh_token"], obo.mid.app)) == (401, "invalid_client", [7000218])
    assert refusal(refresh(obo.server, body["refresh_token"], obo.other.app, client_secret=obo.other.secret)) == \
        (400, "invalid_grant", [70000])
    renewed = issued(refresh(obo.server, body["refresh_token"], obo.mid.app, client_secret=obo.mid.secret))
    got = claims(renewed["access_token"])
    assert got["azp"] == obo.mid.app_id and got["oid"] == obo.alice["id"] and got["scp"] == "Things.Read"


def test_a_disabled_or_deleted_user_gets_nothing(obo: Obo) -> None:
    carol = new_user(obo.server, "carol")
    assertion = user_token(obo, carol, f"{obo.mid.uri}/access_as_user")
    issued(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read")))
    ok(obo.server.graph("PATCH", f"/users/{carol['id']}", json={"accountEnabled": False}), 204)
    assert refusal(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read"))) == \
        (400, "invalid_grant", [50057])
    ok(obo.server.graph("DELETE", f"/users/{carol['id']}"), 204)
    assert refusal(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read"))) == \
        (400, "invalid_grant", [50034])


def test_an_assertion_issued_before_her_sessions_were_revoked_is_refused(obo: Obo) -> None:
    dana = new_user(obo.server, "dana")
    scope = f"{obo.mid.uri}/access_as_user"
    assertion = user_token(obo, dana, scope)
    issued(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read")))
    time.sleep(1.1)   # the revocation's time is to the second, as Graph's signInSessionsValidFromDateTime
    ok(obo.server.graph("POST", f"/users/{dana['id']}/revokeSignInSessions"), 200)
    answer = on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read"))
    assert refusal(answer) == (400, "invalid_grant", [50173])
    assert "TokensValidFrom" in answer.json()["error_description"]
    issued(on_behalf_of(obo, obo.mid, user_token(obo, dana, scope), obo.down_scope("Things.Read")))   # signs in again


def test_the_downstream_api_that_requires_assignment_refuses_bob(obo: Obo) -> None:
    path = f"/servicePrincipals/{obo.down_sp['id']}"
    ok(obo.server.graph("PATCH", path, json={"appRoleAssignmentRequired": True}), 204)
    try:
        bob = user_token(obo, obo.bob, f"{obo.mid.uri}/access_as_user")
        assert refusal(on_behalf_of(obo, obo.mid, bob, obo.down_scope("Things.Read"))) == \
            (400, "invalid_grant", [50105])
        alice = user_token(obo, obo.alice, f"{obo.mid.uri}/access_as_user")
        issued(on_behalf_of(obo, obo.mid, alice, obo.down_scope("Things.Read")))
    finally:
        ok(obo.server.graph("PATCH", path, json={"appRoleAssignmentRequired": False}), 204)


def test_the_request_must_say_on_behalf_of_and_the_middle_tier_must_prove_itself(obo: Obo) -> None:
    assertion = user_token(obo, obo.alice, f"{obo.mid.uri}/access_as_user")
    scope = obo.down_scope("Things.Read")
    assert refusal(on_behalf_of(obo, obo.mid, assertion, scope, requested_token_use="")) == \
        (400, "invalid_request", [900144])
    assert refusal(on_behalf_of(obo, obo.mid, "", scope)) == (400, "invalid_request", [900144])
    assert refusal(on_behalf_of(obo, obo.mid, assertion, scope, secret="")) == (401, "invalid_client", [7000218])
    assert refusal(on_behalf_of(obo, obo.mid, assertion, scope, secret="not-the-secret")) == \
        (401, "invalid_client", [7000215])
    assert refusal(on_behalf_of(obo, obo.mid, "not.a.token", scope)) == (400, "invalid_request", [50027])
    assert refusal(on_behalf_of(obo, obo.mid, assertion, "")) == (400, "invalid_request", [900144])


def test_the_sign_in_log_shows_the_user_through_the_middle_tier(obo: Obo) -> None:
    assertion = user_token(obo, obo.bob, f"{obo.mid.uri}/access_as_user")
    issued(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read")))
    refusal(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Write")))
    rows: list[dict[str, object]] = []
    for _ in range(50):   # the log is written in batches, off the token path
        rows = ok(obo.server.graph("GET", "/auditLogs/signIns", params={
            "$filter": f"appId eq '{obo.mid.app_id}'"}))["value"]
        if {r["status"]["errorCode"] for r in rows} >= {0, 65001}:   # type: ignore[index]
            break
        time.sleep(0.2)
    done = next(r for r in rows if r["status"]["errorCode"] == 0 and r["userId"] == obo.bob["id"])  # type: ignore[index]
    assert done["tenantdKind"] == "jwt-bearer" and done["isInteractive"] is False
    assert done["userPrincipalName"] == obo.bob["userPrincipalName"] and done["resourceId"] == obo.down["appId"]
    assert any(r["status"]["errorCode"] == 65001 for r in rows)  # type: ignore[index]
