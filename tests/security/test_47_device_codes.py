"""SECURITY.md item 47 (the token endpoint's half; the approval page, which names the app and throttles
guesses, is the device login page's): user codes come from an unambiguous alphabet, a code lives 15 minutes,
and polling faster than ``interval`` gets ``slow_down``."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tenantd.domain.sign_in_state import secret_hash
from tenantd.tokens.device_authorization import USER_CODE_ALPHABET, USER_CODE_LENGTH, new_user_code

from ..http.people_support import World, arrange, issued, refusal, store_of, stored_device_code, token
from ..support import Server

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    yield arrange(server)


def poll(world: World, device_code: str) -> tuple[int, str, list[int]]:
    return refusal(token(world.server, grant_type=DEVICE_GRANT, client_id=world.native["appId"],
                         device_code=device_code))


def test_47_user_codes_come_from_an_unambiguous_alphabet(world: World) -> None:
    assert not set(USER_CODE_ALPHABET) & set("AEIOUY01") and len(set(USER_CODE_ALPHABET)) == 28
    drawn = "".join(new_user_code() for _ in range(2000))
    assert set(drawn) == set(USER_CODE_ALPHABET)   # every character of it, and nothing else
    with world.server.http() as client:
        codes = [client.post(f"/{world.tenant_id}/oauth2/v2.0/devicecode", data={
            "client_id": world.native["appId"], "scope": "openid"}).json()["user_code"] for _ in range(20)]
    assert all(re.fullmatch(f"[{USER_CODE_ALPHABET}]{{{USER_CODE_LENGTH}}}", c) for c in codes)
    assert len(set(codes)) == 20


def test_47_a_code_lives_fifteen_minutes(world: World) -> None:
    with world.server.http() as client:
        flow = issued(client.post(f"/{world.tenant_id}/oauth2/v2.0/devicecode", data={
            "client_id": world.native["appId"], "scope": "openid"}))
    with store_of(world.server) as store, store.read() as tx:
        stored = tx.device_code(secret_hash(flow["device_code"]))
    assert flow["expires_in"] == 900 and stored is not None and stored.expires - stored.created == 900
    now = int(time.time())
    late = stored_device_code(world.server, client_app_id=world.native["appId"], created=now - 900, expires=now)
    assert poll(world, late) == (400, "expired_token", [70020])


def test_47_polling_faster_than_the_interval_gets_slow_down(world: World) -> None:
    now, client_id = int(time.time()), world.native["appId"]
    on_time = stored_device_code(world.server, client_app_id=client_id, last_poll=now - 5)
    too_soon = stored_device_code(world.server, client_app_id=client_id, last_poll=now - 3)
    assert poll(world, on_time) == (400, "authorization_pending", [70016])
    assert poll(world, too_soon) == (400, "slow_down", [70016])
    assert poll(world, on_time) == (400, "slow_down", [70016])   # its last poll was just now
