"""The health routes in process, over a real SQLite store: a flood of readiness probes costs the database
one check, and a redirect for a trailing slash is made from the public URL, never from the Host header."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tenantd import bootstrap
from tenantd.http.app import create_app
from tenantd.runtime import Runtime, open_runtime, sqlite_url

PUBLIC_URL = "https://tenantd.team.test"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    rt = open_runtime(sqlite_url(tmp_path), tmp_path, PUBLIC_URL)
    bootstrap.ensure_builtins(rt)
    bootstrap.default_tenant(rt)
    yield rt
    rt.store.dispose()


def test_a_flood_of_readiness_probes_costs_one_check(runtime: Runtime) -> None:
    reads: list[str] = []

    @sa.event.listens_for(runtime.store.engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "settings" in statement:
            reads.append(statement)

    async def flood() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            return await asyncio.gather(*(client.get("/_tenantd/health/ready") for _ in range(50)))

    answers = asyncio.run(flood())
    assert {a.status_code for a in answers} == {200}
    assert len(reads) == 1, reads


@pytest.mark.parametrize("path", ["/common/discovery/instance/?api-version=1.1", "/v1.0/applications/",
                                  "/_tenantd/health/", "/{tenant}/v2.0/.well-known/openid-configuration/"])
def test_a_trailing_slash_redirects_to_the_public_url_whatever_the_host_says(runtime: Runtime, path: str) -> None:
    tenant = bootstrap.default_tenant(runtime).id
    with TestClient(create_app(runtime), base_url="https://evil.test") as client:   # the Host header it sends
        answer = client.get(path.replace("{tenant}", tenant), headers={"X-Forwarded-Host": "evil.test"},
                            follow_redirects=False)
    assert answer.status_code == 307
    stripped = path.replace("{tenant}", tenant).replace("/?", "?").rstrip("/")
    assert answer.headers["location"] == PUBLIC_URL + stripped
