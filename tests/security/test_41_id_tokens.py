"""SECURITY.md item 41 (the token endpoint's half; ``state`` is the authorize endpoint's): the ``nonce`` of the
authorization request is in the ID token, whose ``aud`` is the client; an ID token is never accepted as an
access token: not by Graph, the admin API or the UserInfo endpoint, not even one whose audience is Graph's, and
not by ``tenantd.protect`` guarding an app that is its own API (so the ID token's audience is the API's)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tenantd.domain import builtins
from tenantd.domain.claims import UserTokenRequest, id_token_claims
from tenantd.protect import InvalidToken, TokenValidator
from tenantd.tokens import jwt

from ..http.people_support import PASSWORD, WEB_REDIRECT, World, arrange, claims, code_for, issued, redeem, token
from ..support import Server


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    yield arrange(server)


def id_token_of(world: World) -> str:
    body = issued(token(world.server, grant_type="password", client_id=world.native["appId"],
                        username=world.alice["userPrincipalName"], password=PASSWORD, scope="openid profile"))
    return body["id_token"]


def graph_shaped_id_token(server: Server, user_id: str) -> str:
    """An ID token as tenantd signs them, for a client whose id were one of Graph's audiences."""
    rt = server.runtime()
    try:
        request = UserTokenRequest(server.tenant_id, user_id, "alice@contoso.test", "Alice", builtins.GRAPH_APP_ID,
                                   builtins.GRAPH_APP_ID, builtins.GRAPH_APP_ID, 2, (), ())
        payload = id_token_claims(request, rt.tokens.issuers(server.tenant_id), int(time.time()), 3600)
        return jwt.sign(payload, rt.tokens.keyring.active(server.tenant_id), with_x5t=False)
    finally:
        rt.store.dispose()


def test_41_the_nonce_is_in_the_id_token_whose_audience_is_the_client(world: World) -> None:
    for nonce in ("a-nonce-of-the-client", None):
        code = code_for(world, world.web, WEB_REDIRECT, world.alice, f"openid {world.scope('Things.Read')}",
                        nonce=nonce)
        body = issued(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret))
        id_token = claims(body["id_token"])
        assert id_token.get("nonce") == nonce and id_token["aud"] == world.web["appId"]


def test_41_tenantds_apis_refuse_an_id_token(world: World) -> None:
    server = world.server
    for bearer in (id_token_of(world), graph_shaped_id_token(server, world.alice["id"])):
        with server.http() as client:
            graph = client.get("/v1.0/users", headers={"Authorization": f"Bearer {bearer}"})
            admin = client.get("/_tenantd/keys", headers={"Authorization": f"Bearer {bearer}"})
            userinfo = client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {bearer}"})
        for response in (graph, admin, userinfo):
            assert response.status_code == 401, response.text


def test_41_the_graph_shaped_id_token_is_refused_for_being_one(world: World) -> None:
    """The audience check alone would refuse every genuine ID token; this one passes it and is refused as an
    ID token."""
    with world.server.http() as client:
        response = client.get("/v1.0/users", headers={
            "Authorization": f"Bearer {graph_shaped_id_token(world.server, world.alice['id'])}"})
    assert response.status_code == 401 and "not an access token" in response.json()["error"]["message"]


def test_41_protect_refuses_an_id_token_of_an_app_that_is_its_own_api(world: World) -> None:
    server = world.server
    validator = TokenValidator(tenant_id=server.tenant_id, audiences=[world.native["appId"]], authority=server.url,
                               verify=server.ca_cert)
    with pytest.raises(InvalidToken):
        validator.validate(id_token_of(world))

