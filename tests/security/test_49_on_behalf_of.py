"""SECURITY.md item 49: on-behalf-of takes only a user's access token whose ``aud`` is the calling middle tier,
signed by this tenant with a key it publishes, and within its lifetime; an application's own token, an ID token,
an expired token, one for another audience or presented by another client, and one signed by another key or
tenant or by a revoked key are refused with Entra's codes; the result carries only the scopes the middle tier
was granted on the downstream API, for the same user."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tenantd.tokens import jwt
from tenantd.tokens.keys import SigningKey

from ..http.graph_support import unique
from ..http.obo_support import Obo, arrange, claims, header, on_behalf_of, user_token
from ..http.people_support import PASSWORD, issued, refusal, token
from ..support import Server
from ..tokens.support import new_key


@pytest.fixture(scope="module")
def obo(server: Server) -> Iterator[Obo]:
    yield arrange(server)


def alices(obo: Obo) -> str:
    return user_token(obo, obo.alice, f"{obo.mid.uri}/access_as_user")


def signed(obo: Obo, payload: dict[str, Any], tenant_id: str | None = None) -> str:
    """``payload`` signed by a tenant's active key, as tenantd signs (the key read from the store)."""
    rt = obo.server.runtime()
    try:
        return jwt.sign(payload, rt.tokens.keyring.active(tenant_id or obo.tenant_id), with_x5t=False)
    finally:
        rt.store.dispose()


def exchange(obo: Obo, assertion: str) -> tuple[int, str, list[int]]:
    return refusal(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read")))


def test_49_an_applications_own_token_is_refused(obo: Obo) -> None:
    response = obo.server.token(obo.other.app_id, obo.other.secret, f"{obo.mid.uri}/.default")
    app_only = str(response.json()["access_token"])
    assert claims(app_only)["aud"] == obo.mid.app_id and claims(app_only)["idtyp"] == "app"
    assert exchange(obo, app_only) == (400, "unauthorized_client", [7000114])


def test_49_an_id_token_is_refused(obo: Obo) -> None:
    body = issued(token(obo.server, grant_type="password", client_id=obo.mid.app_id, client_secret=obo.mid.secret,
                        username=obo.alice["userPrincipalName"], password=PASSWORD, scope="openid profile"))
    id_token = str(body["id_token"])
    assert claims(id_token)["aud"] == obo.mid.app_id and claims(id_token)["oid"] == obo.alice["id"]
    assert exchange(obo, id_token) == (400, "invalid_grant", [240002])


def test_49_an_expired_or_not_yet_valid_assertion_is_refused(obo: Obo) -> None:
    payload, now = claims(alices(obo)), int(time.time())
    assert issued(on_behalf_of(obo, obo.mid, signed(obo, {**payload, "exp": now + 600}),
                               obo.down_scope("Things.Read")))   # re-signed as tenantd signs: taken
    expired = signed(obo, {**payload, "iat": now - 7200, "nbf": now - 7200, "exp": now - 1})
    assert exchange(obo, expired) == (400, "invalid_grant", [500133])
    assert exchange(obo, signed(obo, {**payload, "nbf": now + 600, "exp": now + 4000})) == \
        (400, "invalid_grant", [500133])
    assert exchange(obo, signed(obo, {k: v for k, v in payload.items() if k != "exp"})) == \
        (400, "invalid_grant", [50013])


def test_49_an_assertion_for_another_audience_is_refused(obo: Obo) -> None:
    for_graph = user_token(obo, obo.alice, "User.Read")
    assert claims(for_graph)["aud"] == "https://graph.microsoft.com"
    assert exchange(obo, for_graph) == (400, "invalid_grant", [500131])
    for_another_middle_tier = user_token(obo, obo.alice, f"{obo.mid_v1.uri}/access_as_user")
    assert exchange(obo, for_another_middle_tier) == (400, "invalid_grant", [500131])


def test_49_another_client_cannot_replay_a_middle_tiers_assertion(obo: Obo) -> None:
    assertion = alices(obo)
    replayed = on_behalf_of(obo, obo.other, assertion, obo.down_scope("Things.Read"))
    assert refusal(replayed) == (400, "invalid_grant", [500131])   # ``other`` holds the same consent, in vain
    issued(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read")))


def test_49_an_assertion_signed_by_another_key_or_tenant_is_refused(obo: Obo) -> None:
    assertion = alices(obo)
    payload, kid = claims(assertion), header(assertion)["kid"]
    stranger = new_key()
    own_kid = SigningKey(kid, obo.tenant_id, stranger, b"", "active")
    assert exchange(obo, jwt.sign(payload, own_kid, with_x5t=False)) == (400, "invalid_grant", [50013])
    unknown_kid = SigningKey("made-up-kid", obo.tenant_id, stranger, b"", "active")
    assert exchange(obo, jwt.sign(payload, unknown_kid, with_x5t=False)) == (400, "invalid_grant", [50013])
    rt = obo.server.runtime()
    try:
        other = rt.directory.create_tenant(unique("obo-b").replace(" ", "-")).id
    finally:
        rt.store.dispose()
    assert exchange(obo, signed(obo, payload, other)) == (400, "invalid_grant", [50013])   # B's key, A's claims
    theirs = {**payload, "tid": other, "iss": f"{obo.server.url}/{other}/v2.0"}
    assert exchange(obo, signed(obo, theirs)) == (400, "invalid_grant", [50013])        # A's key, B's claims
    tampered = assertion.rsplit(".", 1)[0] + "." + jwt.sign(payload, own_kid, with_x5t=False).rsplit(".", 1)[1]
    assert exchange(obo, tampered) == (400, "invalid_grant", [50013])


def test_49_an_assertion_signed_by_a_revoked_key_is_refused(fresh_server: Server) -> None:
    """Only keys the tenant still publishes verify an assertion: once its key is revoked (``tenantd keys
    revoke``, the admin API), a token it signed is refused, and one the replacement signs is taken."""
    obo = arrange(fresh_server)
    assertion = alices(obo)
    issued(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read")))
    revoked = fresh_server.admin("POST", f"/keys/{header(assertion)['kid']}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert exchange(obo, assertion) == (400, "invalid_grant", [50013])
    issued(on_behalf_of(obo, obo.mid, alices(obo), obo.down_scope("Things.Read")))


def test_49_only_scopes_the_middle_tier_was_granted_for_the_same_user(obo: Obo) -> None:
    assertion = alices(obo)
    assert refusal(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Write"))) == \
        (400, "invalid_grant", [65001])
    assert refusal(on_behalf_of(obo, obo.mid, assertion, obo.down_scope("Things.Read", "Things.Write"))) == \
        (400, "invalid_grant", [65001])
    got = claims(issued(on_behalf_of(obo, obo.mid, assertion, f"{obo.down_uri}/.default"))["access_token"])
    assert got["scp"] == "Things.Read" and got["oid"] == claims(assertion)["oid"] == obo.alice["id"]
    assert claims(assertion)["scp"] == "access_as_user"   # the assertion's own scopes never carry over
    graph = claims(issued(on_behalf_of(obo, obo.mid, assertion, "https://graph.microsoft.com/.default"))
                   ["access_token"])
    assert graph["scp"] == "User.Read" and graph["oid"] == obo.alice["id"]
