"""SECURITY.md item 15: brute force of client credentials gets 429 with Retry-After. Failures are counted per
client and per source, in the database every worker and replica shares, and only a source's own failures
block it, so an attacker elsewhere cannot lock the real caller out."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tenantd.domain.errors import OAuthError
from tenantd.runtime import Runtime
from tenantd.store import schema
from tenantd.tokens import errors
from tenantd.tokens.throttle import FailureThrottle, ThrottlePolicy

from ..http.graph_support import new_client
from ..support import Server, start_server
from .support import aadsts, fresh_window, secret_request

ATTACKER, CALLER = "127.0.0.2", "127.0.0.1"
TENANT, CLIENT = "6f1d3a52-0c1e-4d7b-9a55-3e1f0b2c4d5e", "0b7e2c41-5a6f-4e3d-8c2b-1a0f9e8d7c6b"


def test_15_a_source_that_keeps_failing_gets_429_with_retry_after(server: Server) -> None:
    app, _, secret = new_client(server)
    fresh_window(30)
    # a token first: the client, the resource and the roles are in memory, as for a busy client
    assert secret_request(server, app["appId"], secret, CALLER).status_code == 200
    for _ in range(10):
        assert aadsts(secret_request(server, app["appId"], "wrong" + secret, ATTACKER))[:2] == (401, "invalid_client")
    refused = secret_request(server, app["appId"], "wrong" + secret, ATTACKER)
    assert aadsts(refused) == (429, "temporarily_unavailable", [90055])
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # While blocked, the source's credentials are not even checked: the right secret gets 429 as well.
    assert secret_request(server, app["appId"], secret, ATTACKER).status_code == 429


def test_15_the_real_caller_at_another_source_is_not_locked_out(server: Server) -> None:
    app, _, secret = new_client(server)
    fresh_window(30)
    for _ in range(12):
        secret_request(server, app["appId"], "guess", ATTACKER)
    assert secret_request(server, app["appId"], "guess", ATTACKER).status_code == 429
    answer = secret_request(server, app["appId"], secret, CALLER)
    assert answer.status_code == 200, answer.text


def test_15_unknown_clients_and_successes_write_no_counter(server: Server) -> None:
    app, _, secret = new_client(server)
    for _ in range(5):
        assert secret_request(server, app["appId"], secret, CALLER).status_code == 200
        assert secret_request(server, CLIENT, "guess", ATTACKER).status_code == 400   # no such application
    rt = server.runtime()
    try:
        with rt.store.read() as tx:
            rows = tx.conn.execute(sa.select(schema.auth_failures).where(
                schema.auth_failures.c.client_id.in_([app["appId"], CLIENT]))).all()
    finally:
        rt.store.dispose()
    assert rows == []


def test_15_the_limits_are_options_of_up(tmp_path: Path) -> None:
    server = start_server(tmp_path / "tenantd", "--auth-failure-limit", "3")
    try:
        app, _, secret = new_client(server)
        fresh_window(20)
        statuses = [secret_request(server, app["appId"], "guess", ATTACKER).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert secret_request(server, app["appId"], secret, CALLER).status_code == 200
    finally:
        server.stop()
    refused = server.cli("up", "--port", "0", "--auth-failure-limit", "-1")
    assert refused.returncode != 0 and "must not be negative" in refused.stderr


# -- the policy, on SQLite and PostgreSQL, with a clock of the test's own ----------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0   # the start of a window

    def __call__(self) -> float:
        return self.now


def attempt(throttle: FailureThrottle, source: str, *, ok: bool = False) -> int:
    """One authentication from ``source``; its HTTP status (200 when it went through)."""
    try:
        with throttle.guard(TENANT, CLIENT, source):
            if not ok:
                raise errors.invalid_secret(CLIENT)
    except OAuthError as exc:
        return exc.status
    return 200


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_15_failures_are_counted_across_replicas(rt: Runtime, clock: Clock) -> None:
    """Two throttles on one database are two replicas: their failures add up, and each learns of the block
    at its next failure from that source."""
    a, b = FailureThrottle(rt.store, ThrottlePolicy(), clock), FailureThrottle(rt.store, ThrottlePolicy(), clock)
    assert [attempt(a if i % 2 else b, ATTACKER) for i in range(10)] == [401] * 10
    assert attempt(a, ATTACKER) == 429
    assert attempt(b, ATTACKER) == 429
    assert attempt(a, CALLER, ok=True) == attempt(b, CALLER, ok=True) == 200


def test_15_a_distributed_attack_stops_failing_sources_sooner_but_never_a_clean_one(rt: Runtime,
                                                                                     clock: Clock) -> None:
    throttle = FailureThrottle(rt.store, ThrottlePolicy(per_source=10, per_client=100, per_source_under_attack=3),
                               clock)
    sources = [f"10.0.{i // 250}.{i % 250}" for i in range(50)]
    statuses = [attempt(throttle, source) for source in sources for _ in range(2)]
    assert statuses == [401] * 100                      # the client has had 100 failures from all sources
    assert [attempt(throttle, "10.9.9.9") for _ in range(4)] == [401, 401, 401, 429]   # 3, not 10, now
    assert attempt(throttle, CALLER, ok=True) == 200    # a source that has not failed is never blocked
    assert attempt(throttle, "10.8.8.8") == 401         # a new source gets its own first failures counted


def test_15_a_block_ends_with_its_window_and_limits_are_configurable(rt: Runtime, clock: Clock) -> None:
    throttle = FailureThrottle(rt.store, ThrottlePolicy(per_source=3, per_client=0, window=30), clock)
    assert [attempt(throttle, ATTACKER) for _ in range(4)] == [401, 401, 401, 429]
    clock.now += 29.5
    assert attempt(throttle, ATTACKER, ok=True) == 429
    clock.now += 1
    assert attempt(throttle, ATTACKER, ok=True) == 200
    assert attempt(throttle, ATTACKER) == 401
    off = FailureThrottle(rt.store, ThrottlePolicy(per_source=0, per_client=0), clock)
    assert {attempt(off, "10.7.7.7") for _ in range(20)} == {401}
