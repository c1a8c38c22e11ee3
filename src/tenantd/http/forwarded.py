"""The client's address, which the failed-authentication throttle counts by and the sign-in log records.

It is the peer's address, whatever the request's headers say, unless the peer is a proxy the operator
trusts (``--trusted-proxy``, none by default). Then ``X-Forwarded-For`` is read from the right, the end
each proxy appends to: trusted hops are passed, and the first address that is not a trusted proxy is the
client. A hop that is not an IP address (a forged ``not-an-ip``, ``unknown``) ends the walk at the last
trusted hop, so nothing but a valid address is ever taken, and nothing a client writes left of what its
proxy appended is believed.
"""

from __future__ import annotations

import ipaddress

from .limits import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def client_address(peer: str, forwarded: str, trusted: tuple[Network, ...]) -> str:
    """The client's address: ``peer``, or what the trusted proxies in front of it say in ``forwarded``."""
    address = _address(peer)
    if address is None or not _within(address, trusted):
        return peer
    for hop in reversed(forwarded.split(",")):
        named = _address(hop)
        if named is None:
            break
        address = named
        if not _within(address, trusted):
            break
    return str(address)


def forwarded_clients(app: ASGIApp, trusted: tuple[Network, ...]) -> ASGIApp:
    """``app`` seeing, as each request's client, the address ``client_address`` finds (``app`` itself when
    no proxy is trusted)."""
    if not trusted:
        return app

    async def behind_proxies(scope: Scope, receive: Receive, send: Send) -> None:
        values = [value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"x-forwarded-for"]
        if values and scope["type"] == "http" and scope.get("client"):
            scope = {**scope, "client": (client_address(scope["client"][0], ",".join(values), trusted), 0)}
        await app(scope, receive, send)
    return behind_proxies


def _address(text: str) -> Address | None:
    """An IP address, also with a port (``198.51.100.1:443``, ``[2001:db8::1]:443``, as some proxies write
    it); an IPv4 address mapped into IPv6 (a dual-stack socket's peer) as itself. None for anything else."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address


def _within(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)
