"""Codes and refresh tokens on the token path (``store/grant_state.py``), on both databases: a refresh token is
written only while the one it continues exists, a code's redemption and its refresh token are one transaction
that one redemption wins, and the event loop's connection (SQLite) does not wait for another writer."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace

import pytest

from tenantd.domain.sign_in_state import AuthorizationCode, RefreshToken, secret_hash
from tenantd.runtime import Runtime
from tenantd.store.grant_state import PAUSES, Busy


def _person(rt: Runtime) -> tuple[str, str]:
    tenant = rt.directory.create_tenant("contoso")
    return tenant.id, rt.directory.create_user(tenant.id, "alice@contoso.test", "Alice").id


def _token(tenant_id: str, user_id: str, name: str, grant_id: str = "grant-1") -> RefreshToken:
    now = int(time.time())
    return RefreshToken(token_hash=secret_hash(name), tenant_id=tenant_id, client_app_id=tenant_id, user_id=user_id,
                        scope="openid offline_access", resource=None, client_kind="public", grant_id=grant_id,
                        first_sign_in=now, auth_time=now, created=now, expires=now + 3600, hard_expiry=None)


def _code(tenant_id: str, user_id: str) -> AuthorizationCode:
    now = int(time.time())
    return AuthorizationCode(code_hash=secret_hash("code"), tenant_id=tenant_id, client_app_id=tenant_id,
                             user_id=user_id, redirect_uri="http://localhost", scope="openid offline_access",
                             resource=None, endpoint_version=2, code_challenge=None, code_challenge_method=None,
                             nonce=None, auth_time=now, session_hash=None, created=now, expires=now + 600)


def test_a_refresh_token_revoked_while_it_is_redeemed_has_no_successor(rt: Runtime) -> None:
    tenant_id, user_id = _person(rt)
    state = rt.store.grant_state
    first = _token(tenant_id, user_id, "first")
    state.insert_refresh_token(first)
    assert state.continue_refresh_token(_token(tenant_id, user_id, "second"), first.token_hash)
    with rt.store.write() as tx:   # the sign-in is revoked between the redemption's read and its write
        tx.revoke_grant(first.grant_id)
    assert not state.continue_refresh_token(_token(tenant_id, user_id, "third"), first.token_hash)
    for name in ("first", "second", "third"):
        assert state.refresh_token(secret_hash(name)) is None


def test_of_two_redemptions_of_one_code_only_the_first_writes_its_refresh_token(rt: Runtime) -> None:
    tenant_id, user_id = _person(rt)
    code = _code(tenant_id, user_id)
    with rt.store.write() as tx:
        tx.insert_authorization_code(code)
    state = rt.store.grant_state
    first, second = _token(tenant_id, user_id, "first", "grant-1"), _token(tenant_id, user_id, "second", "grant-2")
    assert state.redeem_authorization_code(code.code_hash, int(time.time()), "grant-1", first)
    assert not state.redeem_authorization_code(code.code_hash, int(time.time()), "grant-2", second)
    redeemed = state.authorization_code(code.code_hash)
    assert redeemed is not None and redeemed.redeemed is not None and redeemed.grant_id == "grant-1"
    assert state.refresh_token(first.token_hash) == first
    assert state.refresh_token(second.token_hash) is None


def test_the_event_loops_connection_does_not_wait_for_another_writer(rt: Runtime) -> None:
    quick = rt.store.quick_grant_state
    if not rt.store.is_sqlite:
        assert quick is None   # on PostgreSQL every people's grant takes a worker thread
        return
    assert quick is not None
    tenant_id, user_id = _person(rt)
    token = _token(tenant_id, user_id, "first")
    writer = sqlite3.connect(str(rt.store.engine.url.database), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")   # another worker's write transaction, holding SQLite's write lock
        started = time.perf_counter()
        with pytest.raises(Busy):
            quick.insert_refresh_token(token)
        assert time.perf_counter() - started < sum(PAUSES) + 0.05   # a fraction of a millisecond, not 30 s
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert quick.refresh_token(token.token_hash) is None   # nothing was written
    quick.insert_refresh_token(token)
    assert rt.store.grant_state.refresh_token(token.token_hash) == token
    assert quick.continue_refresh_token(replace(token, token_hash=secret_hash("second")), token.token_hash)
