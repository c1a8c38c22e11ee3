"""SECURITY.md item 38: authorization codes are single use, live at most ten minutes and are bound to their
client, redirect URI and PKCE verifier; a second redemption fails and revokes what the first one issued (RFC
9700 section 4.5). The single use holds when redemptions race, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tenantd.tokens.codes import CODE_LIFETIME

from ..http.people_support import (
    NATIVE_REDIRECT,
    WEB_REDIRECT,
    World,
    arrange,
    code_for,
    issued,
    pkce,
    redeem,
    refresh,
    refusal,
)
from ..support import Server


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[World]:
    yield arrange(tenantd)


def test_38_racing_redemptions_of_one_code_give_one_answer(world: World) -> None:
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, world.scope("Things.Read"))
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: redeem(world, code, world.web, WEB_REDIRECT,
                                                 client_secret=world.web_secret), range(8)))
    assert sorted(a.status_code for a in answers) == [200] + [400] * 7
    assert {refusal(a)[2][0] for a in answers if a.status_code == 400} == {54005}


def test_38_racing_redemptions_of_a_public_clients_code_give_one_answer(world: World) -> None:
    """A public client's redemption is answered on the event loop when the directory is in memory (SQLite); the
    losers of the race go to the full path, which refuses them and revokes the winner's grant."""
    verifier, challenge = pkce()
    warm = code_for(world, world.native, NATIVE_REDIRECT, world.alice, world.scope("Things.Read"), challenge=challenge)
    issued(redeem(world, warm, world.native, NATIVE_REDIRECT, code_verifier=verifier))   # the directory in memory
    code = code_for(world, world.native, NATIVE_REDIRECT, world.alice,
                    f"offline_access {world.scope('Things.Read')}", challenge=challenge)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: redeem(world, code, world.native, NATIVE_REDIRECT,
                                                 code_verifier=verifier), range(8)))
    assert sorted(a.status_code for a in answers) == [200] + [400] * 7
    assert {refusal(a)[2][0] for a in answers if a.status_code == 400} == {54005}
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert refusal(refresh(world.server, winner["refresh_token"], world.native)) == (400, "invalid_grant", [70000])


def test_38_a_second_redemption_revokes_what_the_first_issued(world: World) -> None:
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, f"offline_access {world.scope('Things.Read')}")
    first = issued(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret))
    later = issued(refresh(world.server, first["refresh_token"], world.web, client_secret=world.web_secret))
    assert refusal(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret))[2] == [54005]
    for refresh_token in (first["refresh_token"], later["refresh_token"]):   # the whole grant, successors too
        assert refusal(refresh(world.server, refresh_token, world.web, client_secret=world.web_secret)) == (
            400, "invalid_grant", [70000])


def test_38_a_code_lives_at_most_ten_minutes(world: World) -> None:
    assert CODE_LIFETIME <= 600
    fresh = code_for(world, world.web, WEB_REDIRECT, world.alice, world.scope("Things.Read"),
                     issued=time.time() - CODE_LIFETIME + 30)
    issued(redeem(world, fresh, world.web, WEB_REDIRECT, client_secret=world.web_secret))
    old = code_for(world, world.web, WEB_REDIRECT, world.alice, world.scope("Things.Read"),
                   issued=time.time() - CODE_LIFETIME - 1)
    assert refusal(redeem(world, old, world.web, WEB_REDIRECT, client_secret=world.web_secret)) == (
        400, "invalid_grant", [70008])


def test_38_a_code_is_bound_to_its_client_and_redirect_uri(world: World) -> None:
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, world.scope("Things.Read"))
    assert refusal(redeem(world, code, world.spa, WEB_REDIRECT))[2] == [70000]
    assert refusal(redeem(world, code, world.web, "https://attacker.test/cb", client_secret=world.web_secret))[
        2] == [500112]
    issued(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret))


def test_38_a_code_is_bound_to_its_pkce_verifier(world: World) -> None:
    verifier, challenge = pkce()
    code = code_for(world, world.native, NATIVE_REDIRECT, world.alice, world.scope("Things.Read"),
                    challenge=challenge)
    assert refusal(redeem(world, code, world.native, NATIVE_REDIRECT, code_verifier=pkce()[0]))[2] == [501481]
    issued(redeem(world, code, world.native, NATIVE_REDIRECT, code_verifier=verifier))
