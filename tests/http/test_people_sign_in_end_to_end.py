"""People's sign-ins from end to end, on SQLite and PostgreSQL: the sign-in pages hand out a code (authorization
code + PKCE, as msal's public clients ask for it) and the token endpoint redeems it; a device asks for a code,
the person answers it on the device login page, and the device's poll gets the tokens; then a refresh; and a
revocation ends the browser session's account with the refresh tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..support import Server
from .pages_support import VERIFIER, Browser, answer, authorize_query, forms, sign_in, text
from .people_support import (
    NATIVE_REDIRECT,
    PASSWORD,
    World,
    arrange,
    claims,
    issued,
    refresh,
    refusal,
    token,
)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[World]:
    yield arrange(tenantd)


def test_the_pages_code_is_redeemed_with_its_verifier_and_carries_the_nonce(world: World) -> None:
    server, browser = world.server, Browser(world.server)
    query = authorize_query(world.native["appId"], NATIVE_REDIRECT,
                            scope=f"openid profile offline_access {world.scope('Things.Read')}")
    reply = answer(sign_in(browser, browser.get(f"/{world.tenant_id}/oauth2/v2.0/authorize", **query),
                           world.alice["userPrincipalName"], PASSWORD))
    assert reply["state"] == query["state"]
    form = {"grant_type": "authorization_code", "client_id": world.native["appId"], "code": reply["code"],
            "redirect_uri": NATIVE_REDIRECT}
    assert refusal(token(server, **form, code_verifier=VERIFIER[:-1] + "X")) == (400, "invalid_grant", [501481])
    body = issued(token(server, **form, code_verifier=VERIFIER))
    assert claims(body["id_token"])["nonce"] == query["nonce"]
    access = claims(body["access_token"])
    assert access["scp"] == "Things.Read" and access["roles"] == ["Things.Reader"] and access["azpacr"] == "0"
    renewed = issued(refresh(server, body["refresh_token"], world.native))
    assert claims(renewed["access_token"])["oid"] == world.alice["id"]
    # Revoked: the refresh tokens end, and the browser asks for her password again.
    assert server.graph("POST", f"/users/{world.alice['id']}/revokeSignInSessions").status_code == 200
    assert refusal(refresh(server, renewed["refresh_token"], world.native))[2] == [70000]
    again = browser.get(f"/{world.tenant_id}/oauth2/v2.0/authorize", **{**query, "prompt": "none"})
    assert answer(again)["error"] in ("login_required", "interaction_required")
    browser.close()


def test_a_device_signs_in_once_its_code_is_answered_on_the_device_login_page(world: World) -> None:
    server, browser = world.server, Browser(world.server)
    with server.http() as client:
        flow = issued(client.post(f"/{world.tenant_id}/oauth2/v2.0/devicecode", data={
            "client_id": world.native["appId"], "scope": f"openid offline_access {world.scope('Things.Read')}"}))
    poll = {"grant_type": DEVICE_GRANT, "client_id": world.native["appId"], "device_code": flow["device_code"]}
    assert refusal(token(server, **poll))[1] == "authorization_pending"
    page = browser.get("/devicelogin")
    assert "otc" in forms(page.text)[0].fields
    confirm = browser.submit(browser.submit(browser.submit(page, otc=flow["user_code"]),
                                            loginfmt=world.bob["userPrincipalName"]), passwd=PASSWORD)
    assert world.native["displayName"] in text(confirm)
    assert browser.submit(confirm).status_code == 200
    body = issued(token(server, **poll))
    assert claims(body["access_token"])["oid"] == world.bob["id"] and body["refresh_token"]
    browser.close()
