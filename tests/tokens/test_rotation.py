"""Signing key rotation with real stores (SQLite, and PostgreSQL when reachable) and a clock the tests move:
publish before sign, promotion, retirement, revocation, and several processes' keyrings on one database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa

from tenantd import bootstrap
from tenantd.domain import builtins
from tenantd.runtime import Runtime, open_runtime
from tenantd.store.sql import DuplicateKey
from tenantd.tokens.impersonation import issue_as
from tenantd.tokens.keys import REREADS_PER_SECOND
from tenantd.tokens.managed_identity import MI_TOKEN_LIFETIME, ManagedIdentityTokens
from tenantd.tokens.rotation import CLOCK_SKEW, VALIDATOR_COOLDOWN, RotationPolicy
from tenantd.tokens.service import APP_TOKEN_LIFETIME, BearerRejected, verify_bearer

LEAD = 600.0
POLICY = RotationPolicy(period=30 * 86400, publish_lead=LEAD)
HOST = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Web/sites/worker"
ADMIN_AUDIENCES = {builtins.TENANTD_RESOURCE, builtins.TENANTD_APP_ID}


class Clock:
    """Wall-clock time that only moves when a test moves it."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds



@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def replicas(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[Callable[..., Runtime]]:
    """Opens runtimes on one database, as separate processes or replicas would (each its own keyring)."""
    opened: list[Runtime] = []

    def open_one(policy: RotationPolicy = POLICY) -> Runtime:
        rt = open_runtime(database_url, tmp_path, None, default_public_url="https://localhost:8443",
                          key_rotation=policy, clock=clock)
        opened.append(rt)
        return rt

    yield open_one
    for rt in opened:
        rt.store.dispose()


@pytest.fixture
def rt(replicas: Callable[..., Runtime]) -> Runtime:
    return replicas()


@pytest.fixture
def tenant_id(rt: Runtime) -> str:
    return rt.directory.create_tenant("contoso").id


def mint(rt: Runtime, tenant_id: str) -> str:
    """A token for tenantd's admin API, issued through the token service as a client's would be."""
    admin = rt.directory.service_principal_by_app_id(tenant_id, bootstrap.admin_app_id(rt, tenant_id))
    return issue_as(rt.tokens, tenant_id, admin.id, builtins.TENANTD_RESOURCE, caller_is_admin=True).access_token


def kid_of(token: str) -> str:
    return str(pyjwt.get_unverified_header(token)["kid"])


def jwks(rt: Runtime, tenant_id: str) -> list[str]:
    return [k["kid"] for k in rt.tokens.jwks(tenant_id)["keys"]]


def validator_accepts(rt: Runtime, tenant_id: str, token: str) -> bool:
    """What a JWKS client does: find the token's kid in the JWKS, check the signature with that key. (The
    token's own times go by the test clock, so they are not checked against the real one here.)"""
    keys = {k["kid"]: k for k in rt.tokens.jwks(tenant_id)["keys"]}
    jwk = keys.get(kid_of(token))
    if jwk is None:
        return False
    pyjwt.decode(token, pyjwt.PyJWK(jwk).key, algorithms=["RS256"],
                 options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False})
    return True


def statuses(rt: Runtime, tenant_id: str) -> dict[str, str]:
    return {k.kid: k.status for k in rt.tokens.keyring.keys(tenant_id)}


def test_the_schedule_covers_validators_and_the_longest_token() -> None:
    policy = RotationPolicy()
    assert policy.publish_lead >= VALIDATOR_COOLDOWN
    assert policy.retire_after >= max(MI_TOKEN_LIFETIME, APP_TOKEN_LIFETIME[1]) + CLOCK_SKEW


def test_a_rotation_publishes_the_next_key_before_it_signs(rt: Runtime, tenant_id: str, clock: Clock) -> None:
    old = kid_of(mint(rt, tenant_id))
    rotation = rt.tokens.keyring.rotate(tenant_id)
    new = rotation.key.kid
    assert rotation.new and new != old and rotation.key.status == "next"
    assert rotation.key.activates == clock.now + LEAD
    assert set(jwks(rt, tenant_id)) == {old, new}
    assert kid_of(mint(rt, tenant_id)) == old

    clock.advance(LEAD - 1)
    assert kid_of(mint(rt, tenant_id)) == old
    clock.advance(1)
    token = mint(rt, tenant_id)
    assert kid_of(token) == new
    assert validator_accepts(rt, tenant_id, token)
    assert statuses(rt, tenant_id) == {old: "retired", new: "active"}
    assert jwks(rt, tenant_id) == [new, old]  # the active key first


def test_a_pending_rotation_is_reused_and_now_skips_the_lead(rt: Runtime, tenant_id: str, clock: Clock) -> None:
    old = rt.tokens.keyring.active(tenant_id).kid
    first = rt.tokens.keyring.rotate(tenant_id)
    again = rt.tokens.keyring.rotate(tenant_id)
    assert again.key.kid == first.key.kid and not again.new
    now = rt.tokens.keyring.rotate(tenant_id, immediately=True)
    assert now.key.kid == first.key.kid and now.key.status == "active"
    assert kid_of(mint(rt, tenant_id)) == first.key.kid
    assert statuses(rt, tenant_id) == {old: "retired", first.key.kid: "active"}

    fresh = rt.tokens.keyring.rotate(tenant_id, immediately=True)
    assert fresh.new and fresh.key.kid not in (old, first.key.kid)
    assert rt.tokens.keyring.active(tenant_id).kid == fresh.key.kid


def test_a_retired_key_stays_published_until_its_tokens_have_expired(rt: Runtime, tenant_id: str,
                                                                     clock: Clock) -> None:
    identity = rt.directory.create_managed_identity(tenant_id, "worker", "SystemAssigned", HOST)
    host = rt.directory.host(tenant_id, HOST)
    old = rt.tokens.keyring.active(tenant_id).kid
    rt.tokens.keyring.rotate(tenant_id)
    clock.advance(LEAD - 1)
    last = ManagedIdentityTokens(rt.tokens).token(host, builtins.TENANTD_RESOURCE, None)  # signed by the old key
    assert kid_of(last.issued.access_token) == old and last.client_id == identity.app_id
    clock.advance(1)
    assert rt.tokens.keyring.active(tenant_id).kid != old
    retires = next(k.retires for k in rt.tokens.keyring.keys(tenant_id) if k.kid == old)
    assert retires is not None and retires >= last.issued.expires_on + CLOCK_SKEW

    clock.advance(last.issued.expires_on - clock.now)  # the token's last second
    assert validator_accepts(rt, tenant_id, last.issued.access_token)
    clock.advance(retires - clock.now - 1)
    assert old in jwks(rt, tenant_id)
    clock.advance(1)
    assert old not in jwks(rt, tenant_id)
    assert not validator_accepts(rt, tenant_id, last.issued.access_token)
    assert statuses(rt, tenant_id)[old] == "retired"  # the row is kept


def test_a_revoked_active_key_leaves_at_once_and_a_new_key_signs(rt: Runtime, tenant_id: str) -> None:
    token = mint(rt, tenant_id)
    assert verify_bearer(rt.tokens, token, ADMIN_AUDIENCES)["tid"] == tenant_id
    revoked = kid_of(token)
    done = rt.tokens.keyring.revoke(tenant_id, revoked)
    assert done is not None and done.revoked.status == "revoked" and done.replacement is not None
    assert jwks(rt, tenant_id) == [done.replacement.kid]
    with pytest.raises(BearerRejected, match="unknown signing key"):
        verify_bearer(rt.tokens, token, ADMIN_AUDIENCES)
    fresh = mint(rt, tenant_id)
    assert kid_of(fresh) == done.replacement.kid
    assert verify_bearer(rt.tokens, fresh, ADMIN_AUDIENCES)["tid"] == tenant_id
    assert statuses(rt, tenant_id) == {revoked: "revoked", done.replacement.kid: "active"}
    assert rt.tokens.keyring.revoke(tenant_id, revoked) == type(done)(done.revoked, None)  # idempotent
    assert rt.tokens.keyring.revoke(tenant_id, "no-such-kid") is None


def test_revoking_the_active_key_promotes_a_pending_next_key(rt: Runtime, tenant_id: str) -> None:
    old = rt.tokens.keyring.active(tenant_id).kid
    pending = rt.tokens.keyring.rotate(tenant_id).key.kid
    done = rt.tokens.keyring.revoke(tenant_id, old)
    assert done is not None and done.replacement is not None and done.replacement.kid == pending
    assert kid_of(mint(rt, tenant_id)) == pending
    assert jwks(rt, tenant_id) == [pending]


def test_revoking_a_retired_or_next_key_leaves_the_active_one(rt: Runtime, tenant_id: str) -> None:
    old = rt.tokens.keyring.active(tenant_id).kid
    token = mint(rt, tenant_id)
    active = rt.tokens.keyring.rotate(tenant_id, immediately=True).key.kid
    pending = rt.tokens.keyring.rotate(tenant_id).key.kid
    assert verify_bearer(rt.tokens, token, ADMIN_AUDIENCES)  # the retired key still verifies
    for kid in (old, pending):
        done = rt.tokens.keyring.revoke(tenant_id, kid)
        assert done is not None and done.replacement is None
    assert jwks(rt, tenant_id) == [active]
    with pytest.raises(BearerRejected):
        verify_bearer(rt.tokens, token, ADMIN_AUDIENCES)
    assert statuses(rt, tenant_id) == {old: "revoked", active: "active", pending: "revoked"}


def test_the_managed_identity_cache_drops_tokens_of_a_revoked_key(rt: Runtime, tenant_id: str) -> None:
    rt.directory.create_managed_identity(tenant_id, "worker", "SystemAssigned", HOST)
    host = rt.directory.host(tenant_id, HOST)
    identity_tokens = ManagedIdentityTokens(rt.tokens)
    first = identity_tokens.token(host, builtins.TENANTD_RESOURCE, None).issued.access_token
    assert identity_tokens.token(host, builtins.TENANTD_RESOURCE, None).issued.access_token == first  # cached
    rt.tokens.keyring.rotate(tenant_id, immediately=True)
    assert identity_tokens.token(host, builtins.TENANTD_RESOURCE, None).issued.access_token == first  # still good
    rt.tokens.keyring.revoke(tenant_id, kid_of(first))
    after = identity_tokens.token(host, builtins.TENANTD_RESOURCE, None).issued.access_token
    assert kid_of(after) != kid_of(first) and validator_accepts(rt, tenant_id, after)


def test_the_active_key_rotates_on_its_own_after_the_period(replicas: Callable[..., Runtime], clock: Clock) -> None:
    rt = replicas(RotationPolicy(period=86400, publish_lead=LEAD))
    tenant_id = rt.directory.create_tenant("contoso").id
    old = rt.tokens.keyring.active(tenant_id).kid
    clock.advance(86400 - 1)
    assert jwks(rt, tenant_id) == [old]
    clock.advance(1)
    assert rt.tokens.keyring.active(tenant_id).kid == old  # this request publishes the next key
    assert len(jwks(rt, tenant_id)) == 2
    new = next(kid for kid in jwks(rt, tenant_id) if kid != old)
    clock.advance(LEAD)
    assert rt.tokens.keyring.active(tenant_id).kid == new
    clock.advance(86400 - 1)
    assert jwks(rt, tenant_id) == [new, old]
    clock.advance(1)  # new has signed for a day: the next rotation begins while old is still published
    assert len(jwks(rt, tenant_id)) == 3 and rt.tokens.keyring.active(tenant_id).kid == new
    clock.advance(CLOCK_SKEW)  # old leaves a day and five minutes after it stopped signing
    assert old not in jwks(rt, tenant_id) and len(jwks(rt, tenant_id)) == 2
    assert sorted(statuses(rt, tenant_id).values()) == ["active", "next", "retired"]


def test_a_period_of_zero_never_rotates(replicas: Callable[..., Runtime], clock: Clock) -> None:
    rt = replicas(RotationPolicy(period=0))
    tenant_id = rt.directory.create_tenant("contoso").id
    kid = rt.tokens.keyring.active(tenant_id).kid
    clock.advance(10 * 365 * 86400)
    assert jwks(rt, tenant_id) == [kid]


def test_signing_reads_the_database_only_when_something_is_due(rt: Runtime, tenant_id: str, clock: Clock) -> None:
    keyring = rt.tokens.keyring
    keyring.active(tenant_id)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(rt.store.engine, "before_cursor_execute", count)
    try:
        for _ in range(200):
            keyring.active(tenant_id)
            keyring.published(tenant_id)
        assert statements == []
        clock.advance(POLICY.refresh)
        keyring.active(tenant_id)
        assert any("signing_keys" in s for s in statements)
    finally:
        sa.event.remove(rt.store.engine, "before_cursor_execute", count)


def test_a_replica_notices_another_replicas_rotation(replicas: Callable[..., Runtime], clock: Clock) -> None:
    a, b = replicas(), replicas()
    tenant_id = a.directory.create_tenant("contoso").id
    old = a.tokens.keyring.active(tenant_id).kid
    assert b.tokens.keyring.active(tenant_id).kid == old

    pending = a.tokens.keyring.rotate(tenant_id).key.kid
    assert pending not in jwks(b, tenant_id)  # b's view is fresh for up to `refresh` seconds
    clock.advance(POLICY.refresh)
    assert pending in jwks(b, tenant_id) and b.tokens.keyring.active(tenant_id).kid == old
    clock.advance(LEAD - POLICY.refresh)  # the next key's time: both switch without waiting for a refresh
    assert b.tokens.keyring.active(tenant_id).kid == pending
    assert a.tokens.keyring.active(tenant_id).kid == pending

    now = a.tokens.keyring.rotate(tenant_id, immediately=True).key.kid
    assert b.tokens.keyring.active(tenant_id).kid == pending
    clock.advance(POLICY.refresh)
    assert b.tokens.keyring.active(tenant_id).kid == now
    token = mint(a, tenant_id)
    assert validator_accepts(b, tenant_id, token)


def test_a_replica_stops_trusting_a_key_another_revoked(replicas: Callable[..., Runtime], clock: Clock) -> None:
    a, b = replicas(), replicas()
    tenant_id = a.directory.create_tenant("contoso").id
    token = mint(a, tenant_id)
    assert verify_bearer(b.tokens, token, ADMIN_AUDIENCES)
    a.tokens.keyring.revoke(tenant_id, kid_of(token))
    clock.advance(POLICY.refresh)
    with pytest.raises(BearerRejected):
        verify_bearer(b.tokens, token, ADMIN_AUDIENCES)
    assert kid_of(mint(b, tenant_id)) != kid_of(token)


def test_a_token_signed_by_another_replicas_new_key_verifies_at_once(replicas: Callable[..., Runtime]) -> None:
    a, b = replicas(), replicas()
    tenant_id = a.directory.create_tenant("contoso").id
    assert verify_bearer(b.tokens, mint(a, tenant_id), ADMIN_AUDIENCES)  # b's view is fresh now
    a.tokens.keyring.rotate(tenant_id, immediately=True)
    token = mint(a, tenant_id)  # the clock has not moved: b's view is as young as it gets
    assert verify_bearer(b.tokens, token, ADMIN_AUDIENCES)


def test_made_up_kids_cost_a_bounded_number_of_reads(rt: Runtime, tenant_id: str, clock: Clock) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"iss": f"https://sts.windows.net/{tenant_id}/", "aud": builtins.TENANTD_RESOURCE, "tid": tenant_id}
    forged = [pyjwt.encode(claims, stranger, "RS256", headers={"kid": f"made-up-{n}"})
              for n in range(3 * REREADS_PER_SECOND)]
    verify_bearer(rt.tokens, mint(rt, tenant_id), ADMIN_AUDIENCES)
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "signing_keys" in statement:
            reads.append(statement)

    sa.event.listen(rt.store.engine, "before_cursor_execute", count)
    try:
        for _ in range(5):  # the same unknown kid again and again: one read
            with pytest.raises(BearerRejected):
                verify_bearer(rt.tokens, forged[0], ADMIN_AUDIENCES)
        assert len(reads) == 1
        for token in forged:  # many different ones within a second: at most the cap
            with pytest.raises(BearerRejected):
                verify_bearer(rt.tokens, token, ADMIN_AUDIENCES)
        assert len(reads) == REREADS_PER_SECOND
        clock.advance(1)
        with pytest.raises(BearerRejected):
            verify_bearer(rt.tokens, forged[-1], ADMIN_AUDIENCES)
        assert len(reads) == REREADS_PER_SECOND + 1
    finally:
        sa.event.remove(rt.store.engine, "before_cursor_execute", count)


def _race(runtimes: list[Runtime], call: Callable[[Runtime], Any]) -> list[Any]:
    """Run ``call`` on every runtime at the same moment, each in its own thread; their results in order."""
    barrier = threading.Barrier(len(runtimes))
    results: list[Any] = [None] * len(runtimes)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = call(runtimes[i])
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(runtimes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_replicas_promoting_at_once_make_one_active_key(replicas: Callable[..., Runtime], clock: Clock) -> None:
    runtimes = [replicas() for _ in range(4)]
    tenant_id = runtimes[0].directory.create_tenant("contoso").id
    kids = _race(runtimes, lambda r: r.tokens.keyring.active(tenant_id).kid)  # all create the first key
    assert len(set(kids)) == 1
    pending = runtimes[0].tokens.keyring.rotate(tenant_id).key.kid
    clock.advance(LEAD)
    assert _race(runtimes, lambda r: r.tokens.keyring.active(tenant_id).kid) == [pending] * 4
    assert statuses(runtimes[0], tenant_id) == {kids[0]: "retired", pending: "active"}


def test_replicas_rotating_at_once_make_one_next_key(replicas: Callable[..., Runtime]) -> None:
    runtimes = [replicas() for _ in range(4)]
    tenant_id = runtimes[0].directory.create_tenant("contoso").id
    old = runtimes[0].tokens.keyring.active(tenant_id).kid
    rotations = _race(runtimes, lambda r: r.tokens.keyring.rotate(tenant_id))
    assert len({r.key.kid for r in rotations}) == 1 and sum(r.new for r in rotations) == 1
    assert sorted(statuses(runtimes[0], tenant_id).values()) == ["active", "next"]

    _race(runtimes, lambda r: r.tokens.keyring.rotate(tenant_id, immediately=True))
    states = statuses(runtimes[0], tenant_id)
    assert list(states.values()).count("active") == 1 and "next" not in states.values()
    assert states[old] == "retired"


def test_replicas_on_the_automatic_schedule_at_once_make_one_next_key(replicas: Callable[..., Runtime],
                                                                       clock: Clock) -> None:
    runtimes = [replicas(RotationPolicy(period=86400, publish_lead=LEAD)) for _ in range(4)]
    tenant_id = runtimes[0].directory.create_tenant("contoso").id
    runtimes[0].tokens.keyring.active(tenant_id)
    clock.advance(86400)
    _race(runtimes, lambda r: r.tokens.keyring.published(tenant_id))
    assert sorted(statuses(runtimes[0], tenant_id).values()) == ["active", "next"]


def test_the_store_refuses_a_second_active_key(rt: Runtime, tenant_id: str) -> None:
    """The backstop under every change: the one-active-key index, on both databases."""
    active = rt.tokens.keyring.active(tenant_id)
    with pytest.raises(DuplicateKey), rt.store.write() as tx:
        tx.insert_signing_key("another", tenant_id, b"x", active.certificate_der, "active", "2026-01-01T00:00:00Z")
    assert statuses(rt, tenant_id) == {active.kid: "active"}
