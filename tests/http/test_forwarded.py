"""``client_address``: the peer, unless a trusted proxy names the client in ``X-Forwarded-For``."""

from __future__ import annotations

import ipaddress

import pytest

from tenantd.http.forwarded import client_address

TRUSTED = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


@pytest.mark.parametrize(("peer", "forwarded", "client"), [
    ("192.0.2.1", "203.0.113.1", "192.0.2.1"),                   # an untrusted peer's header is ignored
    ("10.0.0.1", "203.0.113.1", "203.0.113.1"),
    ("10.0.0.1", "198.51.100.9, 203.0.113.1", "203.0.113.1"),     # the client's own claim, left of its proxy's
    ("10.0.0.1", "203.0.113.1, 10.0.0.2, fd00::3", "203.0.113.1"),  # through trusted hops
    ("10.0.0.1", "10.0.0.2", "10.0.0.2"),                        # trusted all the way: the farthest hop
    ("10.0.0.1", "not-an-ip <script>", "10.0.0.1"),              # nothing valid: the proxy itself
    ("10.0.0.1", "203.0.113.1, unknown, 10.0.0.2", "10.0.0.2"),  # the walk ends at the first invalid hop
    ("10.0.0.1", "", "10.0.0.1"),
    ("10.0.0.1", "203.0.113.1:4711", "203.0.113.1"),             # hops with ports
    ("10.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
    ("10.0.0.1", "2001:DB8::0:1", "2001:db8::1"),                 # stored in its canonical form
    ("::ffff:10.0.0.1", "203.0.113.1", "203.0.113.1"),           # a dual-stack socket's IPv4 peer
    ("10.0.0.1", "::ffff:10.0.0.2, ::ffff:203.0.113.1", "203.0.113.1"),
])
def test_the_client_address(peer: str, forwarded: str, client: str) -> None:
    assert client_address(peer, forwarded, TRUSTED) == client


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("127.0.0.1", "203.0.113.1", ()) == "127.0.0.1"
