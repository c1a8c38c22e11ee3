"""How a response leaves the server: writes made in one turn of the event loop go out as one, except past
the coalescing bound, where they go out at once (so a large body meets the transport's flow control); on a
real socket pair, on the event loop the server runs."""

from __future__ import annotations

import asyncio
import socket

import uvloop

from tenantd.server import _CoalescingTransport


def _received(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except BlockingIOError:
            return b"".join(chunks)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


async def _exercise() -> dict[str, int]:
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
    writer = _CoalescingTransport(transport, loop)
    seen: dict[str, int] = {}
    writer.write(b"HTTP/1.1 200 OK\r\n\r\n")
    writer.write(b"{}")
    seen["before the turn ends"] = len(_received(theirs))
    await asyncio.sleep(0)
    seen["after the turn"] = len(_received(theirs))
    big = b"x" * (_CoalescingTransport.COALESCED + 1)
    writer.write(big)
    seen["past the bound, at once"] = len(_received(theirs))
    writer.write(b"tail")
    writer.close()
    await asyncio.sleep(0.05)
    seen["on close"] = len(_received(theirs))
    theirs.close()
    return seen


def test_writes_of_one_turn_leave_together_and_large_ones_at_once() -> None:
    seen = uvloop.run(_exercise())
    assert seen["before the turn ends"] == 0 and seen["after the turn"] == 21
    assert seen["past the bound, at once"] > 0   # as much as the socket took before the turn ended
    assert seen["on close"] >= 4
