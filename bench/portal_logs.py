"""The portal's log pages on a full sign-in log (100,000 rows, a tenant's cap), 8 connections: p50 and p99 of
the unfiltered and filtered pages, next to the Overview page (the portal's own floor) measured in the same run.

    .venv/bin/python -m bench.portal_logs

Not part of `make bench` (it signs a person in through the portal, which the harness does not do)."""

from __future__ import annotations

import concurrent.futures as cf
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tenantd.store import schema as t
from tests.http.delegated_support import GLOBAL_ADMIN, person
from tests.http.portal_support import Portal
from tests.support import start_server

ROWS, CONNECTIONS, REQUESTS = 100_000, 8, 400


def main() -> None:
    server = start_server(Path(tempfile.mkdtemp()) / "tenantd")
    try:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        rows = [{"id": str(uuid.uuid4()), "tenant_id": server.tenant_id,
                 "created": (start + timedelta(seconds=i * 7)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                 "kind": "client_credentials", "app_id": str(uuid.UUID(int=i % 500)),
                 "principal_id": str(uuid.UUID(int=i % 500)), "principal_name": f"app {i % 500}",
                 "resource": "api://things", "resource_id": None, "roles": [],
                 "error_code": 7000215 if i % 5 == 0 else 0, "error": "Invalid client secret" if i % 5 == 0 else None,
                 "client_ip": "127.0.0.1", "count": 1, "last_created": None} for i in range(ROWS)]
        with server.runtime().store.write() as tx:
            tx.conn.execute(t.sign_ins.insert(), rows)
        admin = person(server, "bench", GLOBAL_ADMIN)
        portals = []
        for _ in range(CONNECTIONS):
            portal = Portal(server)
            portal.sign_in(admin)
            portals.append(portal)

        def measure(path: str, **params: str) -> None:
            def one(k: int) -> float:
                began = time.perf_counter()
                answer = portals[k % CONNECTIONS].get(path, **params)
                assert answer.status_code == 200, answer.text[:300]
                return (time.perf_counter() - began) * 1000
            for k in range(2 * CONNECTIONS):
                one(k)
            with cf.ThreadPoolExecutor(CONNECTIONS) as pool:
                took = sorted(pool.map(one, range(REQUESTS)))
            print(f"{path or '(overview)'} {params or ''}: p50 {took[len(took) // 2]:.1f} ms, "
                  f"p99 {took[int(len(took) * 0.99) - 1]:.1f} ms")

        measure("")
        measure("/sign-ins")
        measure("/sign-ins", result="failure")
        measure("/sign-ins", principal="app 7")
        measure("/sign-ins", app=str(uuid.UUID(int=7)), **{"from": "2026-01-03T00:00"})
        measure("/audit-logs")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
