"""``/oidc/userinfo``: a user's Graph token gets her claims (GET and POST); any other token gets 401 with
``WWW-Authenticate``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ..support import Server
from .people_support import PASSWORD, World, arrange, claims, issued, token


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    yield arrange(server)


def ask(server: Server, method: str, bearer: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    with server.http() as client:
        return client.request(method, "/oidc/userinfo", headers=headers)


def sign_in(world: World, scope: str) -> dict[str, str]:
    return issued(token(world.server, grant_type="password", client_id=world.native["appId"],
                        username=world.alice["userPrincipalName"], password=PASSWORD, scope=scope))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_users_graph_token_gets_her_claims(world: World, method: str) -> None:
    body = sign_in(world, "openid profile email")
    response = ask(world.server, method, body["access_token"])
    assert response.status_code == 200, response.text
    assert response.json() == {"sub": claims(body["id_token"])["sub"], "name": "Alice"}
    assert response.headers["cache-control"] == "no-store"


def test_other_tokens_are_refused_with_www_authenticate(world: World) -> None:
    server = world.server
    body = sign_in(world, f"openid {world.scope('Things.Read')}")
    app_only = server.admin_token()
    for bearer in (body["access_token"], body["id_token"], app_only, "garbage", None):
        response = ask(server, "GET", bearer)
        assert response.status_code == 401, bearer
        assert response.headers["www-authenticate"].startswith('Bearer realm="", error="invalid')
        assert response.json()["error"] in ("invalid_token", "invalid_request")
