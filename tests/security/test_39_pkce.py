"""SECURITY.md item 39: PKCE with S256 is required of public and spa clients; ``plain`` and a missing verifier
are refused. (The authorize endpoint refuses such requests before any code exists; the token endpoint refuses
such codes again, whoever wrote them.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..http.people_support import (
    NATIVE_REDIRECT,
    SPA_ORIGIN,
    SPA_REDIRECT,
    World,
    arrange,
    code_for,
    pkce,
    refusal,
    token,
)
from ..support import Server


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    yield arrange(server)


def redeem_as(world: World, kind: str, code: str, **form: str) -> tuple[int, str, list[int]] | int:
    client, redirect, origin = ((world.native, NATIVE_REDIRECT, None) if kind == "public"
                                else (world.spa, SPA_REDIRECT, SPA_ORIGIN))
    response = token(world.server, origin=origin, grant_type="authorization_code", code=code,
                     client_id=client["appId"], redirect_uri=redirect, **form)
    return 200 if response.status_code == 200 else refusal(response)


def code_of(world: World, kind: str, challenge: str | None, method: str = "S256") -> str:
    client, redirect = (world.native, NATIVE_REDIRECT) if kind == "public" else (world.spa, SPA_REDIRECT)
    return code_for(world, client, redirect, world.alice, world.scope("Things.Read"), challenge=challenge,
                    method=method)


@pytest.mark.parametrize("kind", ["public", "spa"])
def test_39_a_code_without_a_challenge_is_refused(world: World, kind: str) -> None:
    assert redeem_as(world, kind, code_of(world, kind, None)) == (400, "invalid_request", [9002325])


@pytest.mark.parametrize("kind", ["public", "spa"])
def test_39_plain_is_refused(world: World, kind: str) -> None:
    verifier = pkce()[0]
    code = code_of(world, kind, verifier, method="plain")   # plain: the challenge is the verifier itself
    assert redeem_as(world, kind, code, code_verifier=verifier) == (400, "invalid_grant", [501481])


@pytest.mark.parametrize("kind", ["public", "spa"])
def test_39_a_missing_or_wrong_verifier_is_refused_and_the_right_one_accepted(world: World, kind: str) -> None:
    verifier, challenge = pkce()
    code = code_of(world, kind, challenge)
    assert redeem_as(world, kind, code) == (400, "invalid_request", [900144])
    assert redeem_as(world, kind, code, code_verifier=pkce()[0]) == (400, "invalid_grant", [501481])
    assert redeem_as(world, kind, code, code_verifier=verifier[:-1] + "!") == (400, "invalid_grant", [501481])
    assert redeem_as(world, kind, code, code_verifier=verifier) == 200
