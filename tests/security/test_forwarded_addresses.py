"""Whose address a request has: the peer's, unless the peer is a proxy the operator trusts
(``--trusted-proxy``, none by default). A client that writes its own ``X-Forwarded-For`` neither escapes the
per-source throttle (item 15) nor writes what it likes into the sign-in log's ``ipAddress``."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ..http.graph_support import new_client
from ..http.test_graph_signins import sign_ins
from ..support import Server, start_server
from .support import aadsts, client_from, fresh_window

ATTACKER, PROXY = "127.0.0.1", "127.0.0.3"   # 127.0.0.1: what uvicorn trusted by default
FORGED = "not-an-ip <script>"


def _secret_request(server: Server, source: str, app_id: str, secret: str, forwarded: str | None) -> Any:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    with client_from(server, source) as client:
        return client.post(f"/{server.tenant_id}/oauth2/v2.0/token", headers=headers, data={
            "grant_type": "client_credentials", "client_id": app_id, "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default"})


def test_a_rotated_forwarded_header_does_not_escape_the_throttle(server: Server) -> None:
    """30 wrong secrets from one loopback address, each claiming another source: the 11th gets 429."""
    app, _, secret = new_client(server)
    fresh_window(40)
    statuses = [_secret_request(server, ATTACKER, app["appId"], "wrong" + secret, f"198.51.100.{n}").status_code
                for n in range(30)]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}, statuses


def stored_addresses(server: Server, app_id: str, sign_ins_made: int) -> list[tuple[str, int]]:
    """The app's sign-in rows as (address, count), newest first, once all ``sign_ins_made`` are counted."""
    deadline = time.monotonic() + 5
    while True:
        rows = sign_ins(server, f"?$filter=appId eq '{app_id}'")["value"]
        if sum(row["tenantdCount"] for row in rows) >= sign_ins_made or time.monotonic() > deadline:
            return [(row["ipAddress"], row["tenantdCount"]) for row in rows]
        time.sleep(0.1)


def test_a_forwarded_header_writes_nothing_into_the_sign_in_log(server: Server) -> None:
    app, _, secret = new_client(server)
    for forwarded in (FORGED, "203.0.113.9"):
        assert _secret_request(server, ATTACKER, app["appId"], secret, forwarded).status_code == 200
    assert stored_addresses(server, app["appId"], 2) == [(ATTACKER, 2)]   # identical sign-ins: one counted row


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server behind a proxy at PROXY, trusted by address, and a second (unused) trusted network."""
    running = start_server(tmp_path_factory.mktemp("proxied"), "--trusted-proxy", f"{PROXY}/32",
                           "--trusted-proxy", "fd00:abcd::/64")
    yield running
    running.stop()


def test_a_trusted_proxy_names_the_client_and_invalid_values_are_ignored(proxied: Server) -> None:
    app, _, secret = new_client(proxied)
    sent = [  # (peer, X-Forwarded-For) -> the address stored
        ((PROXY, "203.0.113.5"), "203.0.113.5"),
        ((PROXY, f"{FORGED}, 203.0.113.6"), "203.0.113.6"),          # the proxy appended the real client
        ((PROXY, f"203.0.113.66, fd00:abcd::7, {PROXY}"), "203.0.113.66"),   # through two trusted hops
        ((PROXY, "[2001:db8::5]:4711"), "2001:db8::5"),               # a hop with its port
        ((PROXY, FORGED), PROXY),                                     # nothing valid: the proxy itself
        ((PROXY, "203.0.113.7, unknown"), PROXY),                     # the walk ends at the first invalid hop
        ((ATTACKER, "203.0.113.8"), ATTACKER),                        # not a trusted proxy: ignored
    ]
    for (peer, forwarded), _ in sent:
        assert _secret_request(proxied, peer, app["appId"], secret, forwarded).status_code == 200
    counted = Counter(address for _, address in sent)   # identical sign-ins share a row, in order of their first
    expected = [(address, counted[address]) for address in dict.fromkeys(address for _, address in sent)]
    assert stored_addresses(proxied, app["appId"], len(sent)) == expected[::-1]   # newest first


def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own(proxied: Server) -> None:
    app, _, secret = new_client(proxied)
    fresh_window(30)
    for _ in range(10):
        assert _secret_request(proxied, PROXY, app["appId"], "guess", "198.51.100.1").status_code == 401
    refused = _secret_request(proxied, PROXY, app["appId"], secret, "198.51.100.1")
    assert aadsts(refused)[:2] == (429, "temporarily_unavailable")
    assert _secret_request(proxied, PROXY, app["appId"], secret, "198.51.100.2").status_code == 200


def test_trusted_proxies_must_be_addresses_or_networks(server: Server) -> None:
    for command in (["up", "--identity-port", "0"], ["serve", "--database", f"sqlite:///{server.data}/none.db"]):
        for wrong in ("proxy.example", "10.0.0.0/33", ""):
            refused = server.cli(*command, "--port", "0", "--trusted-proxy", wrong)
            assert refused.returncode != 0 and "--trusted-proxy" in refused.stderr, refused.stderr
            assert "Traceback" not in refused.stderr
    assert not (server.data / "none.db").exists()   # refused before anything was opened
