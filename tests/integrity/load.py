"""Concurrent Graph calls against a real server: one async client, connections opened before a burst so
that the requests of a burst reach the server together."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx

from ..support import Server

Call = tuple[str, str, dict[str, Any] | None]   # method, Graph path, JSON body


class AsyncGraph:
    def __init__(self, server: Server, connections: int = 100) -> None:
        self.server = server
        self.connections = connections
        self.client = httpx.AsyncClient(
            base_url=server.url, verify=ssl.create_default_context(cafile=server.ca_cert), timeout=120,
            headers={"Authorization": f"Bearer {server.admin_token()}"},
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))

    async def __aenter__(self) -> AsyncGraph:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.client.aclose()

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.request(method, "/v1.0" + path, json=body)

    async def warm(self) -> None:
        """Open every connection (TLS handshakes included) ahead of a burst."""
        discovery = f"/{self.server.tenant_id}/v2.0/.well-known/openid-configuration"
        await asyncio.gather(*(self.client.get(discovery) for _ in range(self.connections)))

    async def burst(self, calls: Sequence[Call]) -> list[httpx.Response]:
        await self.warm()
        return list(await asyncio.gather(*(self.call(method, path, body) for method, path, body in calls)))


def burst(server: Server, calls: Sequence[Call]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        async with AsyncGraph(server, connections=len(calls)) as graph:
            return await graph.burst(calls)

    return asyncio.run(run())
