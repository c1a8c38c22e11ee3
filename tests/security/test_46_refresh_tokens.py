"""SECURITY.md item 46: refresh tokens carry 256 random bits and are stored only as hashes; they are bound to
their client and user, and a confidential client's needs its credential; each use gives a new one and the old
one lives until it expires (reuse detection only as an option); a spa's end 24 hours after the first sign-in
whatever their renewals; none comes without ``offline_access``. Revocation as Entra's table has it (disable and
``revokeSignInSessions`` all, a password change public and spa clients'):
``tests/http/test_sign_in_revocation.py``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantd.domain.sign_in_state import secret_hash
from tenantd.tokens import refresh_tokens
from tenantd.tokens.refresh_tokens import Lineage

from ..http.people_support import (
    PASSWORD,
    SPA_ORIGIN,
    WEB_REDIRECT,
    World,
    arrange,
    claims,
    code_for,
    issued,
    redeem,
    refresh,
    refusal,
    store_of,
    stored_refresh_token,
    token,
)
from ..support import Server, start_server


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    yield arrange(server)


def signed_in(world: World, scope: str | None = None) -> dict[str, str]:
    return issued(token(world.server, grant_type="password", client_id=world.native["appId"],
                        username=world.alice["userPrincipalName"], password=PASSWORD,
                        scope=scope or f"offline_access {world.scope('Things.Read')}"))


def test_46_refresh_tokens_carry_256_bits_and_are_stored_only_as_hashes(world: World) -> None:
    tokens = {signed_in(world)["refresh_token"] for _ in range(5)}
    assert len(tokens) == 5 and all(len(t) == 43 for t in tokens)   # 32 random bytes, base64url
    database = b"".join(p.read_bytes() for p in Path(world.server.data).glob("*.db*"))
    for refresh_token in tokens:
        assert refresh_token.encode() not in database
        stored = stored_refresh_token(world.server, refresh_token)
        assert stored is not None and stored.token_hash == secret_hash(refresh_token)


def test_46_a_refresh_token_is_bound_to_its_client_and_user(world: World) -> None:
    body = signed_in(world)
    assert refusal(refresh(world.server, body["refresh_token"], world.spa)) == (400, "invalid_grant", [70000])
    renewed = issued(refresh(world.server, body["refresh_token"], world.native))
    assert claims(renewed["access_token"])["oid"] == world.alice["id"]


def test_46_a_confidential_clients_refresh_token_needs_its_credential(world: World) -> None:
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, f"offline_access {world.scope('Things.Read')}")
    body = issued(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret))
    assert refusal(refresh(world.server, body["refresh_token"], world.web)) == (401, "invalid_client", [7000218])
    issued(refresh(world.server, body["refresh_token"], world.web, client_secret=world.web_secret))


def test_46_each_use_gives_a_new_one_and_the_old_one_lives_on(world: World) -> None:
    first = signed_in(world)["refresh_token"]
    second = issued(refresh(world.server, first, world.native))["refresh_token"]
    assert second != first
    issued(refresh(world.server, first, world.native))
    issued(refresh(world.server, second, world.native))


def test_46_a_spas_tokens_end_a_day_after_the_first_sign_in_whatever_their_renewals(world: World) -> None:
    now = int(time.time())
    with store_of(world.server) as store:   # renewed a moment ago, in a chain begun a day ago
        renewed = refresh_tokens.issue(store, world.tenant_id, world.spa["appId"], world.alice["id"], "spa",
                                       Lineage("offline_access", None, "spa-grant", now - 86400,
                                               first_sign_in=now - 86400 - 1), now)
    assert refusal(token(world.server, origin=SPA_ORIGIN, grant_type="refresh_token", client_id=world.spa["appId"],
                         refresh_token=renewed)) == (400, "invalid_grant", [700084])


def test_46_none_without_offline_access(world: World) -> None:
    assert "refresh_token" not in signed_in(world, f"openid {world.scope('Things.Read')}")


def test_46_reuse_detection_is_an_option_that_revokes_the_whole_sign_in(tmp_path: Path) -> None:
    server = start_server(tmp_path / "reuse", "--refresh-token-reuse-detection")
    try:
        world = arrange(server)
        first = signed_in(world)["refresh_token"]
        second = issued(refresh(server, first, world.native))["refresh_token"]
        assert refusal(refresh(server, first, world.native)) == (400, "invalid_grant", [70000])   # used again
        assert refusal(refresh(server, second, world.native)) == (400, "invalid_grant", [70000])  # its successor
    finally:
        server.stop()
