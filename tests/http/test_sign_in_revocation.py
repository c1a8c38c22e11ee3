"""Ending people's sign-ins as Entra's refresh token table has it, on SQLite and PostgreSQL: Graph's
``revokeSignInSessions`` (and ``tenantd user revoke-sessions``) and disabling the account end everything; a
password change ends public and spa clients' refresh tokens and the browser sessions, not confidential
clients'. Each is audited; the sign-in log names the user of each sign-in."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tenantd.domain.sign_in_state import BrowserSession, SessionAccount

from ..support import Server
from .graph_support import ok
from .people_support import (
    PASSWORD,
    SPA_ORIGIN,
    SPA_REDIRECT,
    WEB_REDIRECT,
    World,
    arrange,
    code_for,
    issued,
    new_user,
    pkce,
    redeem,
    refresh,
    refusal,
    store_of,
    token,
)
from .test_graph_signins import sign_ins

Tokens = dict[str, str]


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[World]:
    yield arrange(tenantd)


def every_kind(world: World, user: dict[str, Any]) -> Tokens:
    """The user's refresh tokens of a public, a spa and a confidential client."""
    scope = f"offline_access {world.scope('Things.Read')}"
    public = issued(token(world.server, grant_type="password", client_id=world.native["appId"],
                          username=user["userPrincipalName"], password=PASSWORD, scope=scope))
    verifier, challenge = pkce()
    spa = issued(token(world.server, origin=SPA_ORIGIN, grant_type="authorization_code",
                       code=code_for(world, world.spa, SPA_REDIRECT, user, scope, challenge=challenge),
                       client_id=world.spa["appId"], redirect_uri=SPA_REDIRECT, code_verifier=verifier))
    web = issued(redeem(world, code_for(world, world.web, WEB_REDIRECT, user, scope), world.web, WEB_REDIRECT,
                        client_secret=world.web_secret))
    return {"public": public["refresh_token"], "spa": spa["refresh_token"], "confidential": web["refresh_token"]}


def still_valid(world: World, tokens: Tokens) -> dict[str, bool]:
    answers = {
        "public": refresh(world.server, tokens["public"], world.native),
        "spa": token(world.server, origin=SPA_ORIGIN, grant_type="refresh_token", client_id=world.spa["appId"],
                     refresh_token=tokens["spa"]),
        "confidential": refresh(world.server, tokens["confidential"], world.web, client_secret=world.web_secret),
    }
    for kind, response in answers.items():
        assert response.status_code == 200 or refusal(response) == (400, "invalid_grant", [70000]), kind
    return {kind: response.status_code == 200 for kind, response in answers.items()}


def in_a_browser_session(server: Server, user: dict[str, Any]) -> str:
    """A browser session holding the user's account (as the sign-in pages write it); its hash."""
    session_hash, now = secrets.token_hex(32), int(time.time())
    with store_of(server) as store, store.write() as tx:
        tx.insert_browser_session(BrowserSession(session_hash, now, now + 3600, False))
        tx.put_session_account(SessionAccount(session_hash, server.tenant_id, user["id"], now))
    return session_hash


def accounts_in(server: Server, session_hash: str) -> list[str]:
    with store_of(server) as store, store.read() as tx:
        return [a.user_id for a in tx.session_accounts(session_hash)]


def audits(server: Server, activity: str) -> list[dict[str, Any]]:
    found = ok(server.graph("GET", "/auditLogs/directoryAudits"))["value"]
    return [a for a in found if a["activityDisplayName"] == activity]


def test_revoke_sign_in_sessions_ends_everything(world: World) -> None:
    server, carol = world.server, new_user(world.server, "carol")
    tokens, session = every_kind(world, carol), in_a_browser_session(world.server, carol)
    response = ok(server.graph("POST", f"/users/{carol['id']}/revokeSignInSessions"))
    assert response["value"] is True and response["@odata.context"].endswith("$metadata#Edm.Boolean")
    assert still_valid(world, tokens) == {"public": False, "spa": False, "confidential": False}
    assert accounts_in(server, session) == []
    (entry,) = [a for a in audits(server, "Invalidate all refresh tokens for user")
                if a["targetResources"][0]["id"] == carol["id"]]
    assert entry["category"] == "UserManagement"
    assert server.graph("POST", "/users/nobody@contoso.test/revokeSignInSessions").status_code == 404


def test_the_cli_revokes_a_users_sessions(world: World) -> None:
    server, dave = world.server, new_user(world.server, "dave")
    tokens = every_kind(world, dave)
    result = server.cli("user", "revoke-sessions", dave["userPrincipalName"], check=True)
    assert "revoked the sign-in sessions of" in result.stdout
    assert not any(still_valid(world, tokens).values())


def test_disabling_the_account_ends_everything(world: World) -> None:
    server, erin = world.server, new_user(world.server, "erin")
    tokens, session = every_kind(world, erin), in_a_browser_session(world.server, erin)
    assert server.graph("PATCH", f"/users/{erin['id']}", json={"accountEnabled": False}).status_code == 204
    assert not any(still_valid(world, tokens).values()) and accounts_in(server, session) == []
    assert refusal(token(server, grant_type="password", client_id=world.native["appId"],
                         username=erin["userPrincipalName"], password=PASSWORD,
                         scope=world.scope("Things.Read"))) == (400, "invalid_grant", [50057])


def test_a_password_change_ends_public_and_spa_clients_tokens_and_browser_sessions(world: World) -> None:
    server, frank = world.server, new_user(world.server, "frank")
    tokens = every_kind(world, frank)
    session, others = in_a_browser_session(server, frank), in_a_browser_session(server, world.bob)
    assert server.graph("PATCH", f"/users/{frank['id']}", json={
        "passwordProfile": {"password": "Another-Pass-8"}}).status_code == 204
    assert still_valid(world, tokens) == {"public": False, "spa": False, "confidential": True}
    assert accounts_in(server, session) == [] and accounts_in(server, others) == [world.bob["id"]]
    assert [a for a in audits(server, "Reset user password") if a["targetResources"][0]["id"] == frank["id"]]


def test_people_sign_ins_are_logged_with_the_user(world: World) -> None:
    server, gina = world.server, new_user(world.server, "gina")
    tokens = every_kind(world, gina)
    issued(refresh(server, tokens["public"], world.native))
    deadline, rows = time.monotonic() + 5, []
    while time.monotonic() < deadline:
        rows = [r for r in sign_ins(server, "?$top=999")["value"] if r["userId"] == gina["id"]]
        if len(rows) >= 4:
            break
        time.sleep(0.1)
    kinds = {(r["tenantdKind"], r["appId"], r["isInteractive"]) for r in rows}
    assert kinds == {("password", world.native["appId"], True), ("authorization_code", world.spa["appId"], True),
                     ("authorization_code", world.web["appId"], True),
                     ("refresh_token", world.native["appId"], False)}
    assert {r["userPrincipalName"] for r in rows} == {gina["userPrincipalName"]}
    assert {r["appDisplayName"] for r in rows} == {world.native["displayName"], world.spa["displayName"],
                                                   world.web["displayName"]}
