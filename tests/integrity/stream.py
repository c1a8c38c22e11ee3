"""A stream of acknowledged writes through Graph: writers create applications (a dozen identifier URIs each),
their service principals and an assignment each, and now and then delete an earlier application. Only
what the server answered 2xx counts as acknowledged; connection errors (a killed server) are expected."""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import sqlalchemy as sa

from tenantd.store import Store
from tenantd.store import schema as t

from ..http.graph_support import new_api
from ..support import Server

PREFIX = "crash "
URIS = 12


@dataclass
class Acked:
    apps: dict[str, tuple[str, ...]] = field(default_factory=dict)   # object id -> identifier URIs
    sps: dict[str, str] = field(default_factory=dict)                # sp id -> app object id
    assignments: dict[str, str] = field(default_factory=dict)        # assignment id -> app object id
    deleted: set[str] = field(default_factory=set)                   # app object ids
    # Deletions sent: one the server committed may have lost its answer to the kill, so these may be gone.
    doomed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.apps) + len(self.sps) + len(self.assignments) + len(self.deleted)


class Stream:
    """Writer threads against one server (``deletes``: they also delete some of their applications)."""

    def __init__(self, server: Server, writers: int = 4, deletes: bool = True) -> None:
        _, api = new_api(server)
        self.api, self.role = api["id"], api["appRoles"][0]["id"]
        self.acked = Acked()
        self.server = server
        self.deletes = deletes
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write, daemon=True) for _ in range(writers)]

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=10,
                            verify=ssl.create_default_context(cafile=self.server.ca_cert),
                            headers={"Authorization": f"Bearer {self.server.admin_token()}"})

    def _write(self) -> None:
        with self._client() as client:
            while not self._stop.is_set():
                try:
                    self._step(client)
                except httpx.HTTPError:
                    time.sleep(0.02)  # the server (or its database) is down: keep trying

    def _step(self, client: httpx.Client) -> None:
        a = self.acked
        tag = uuid.uuid4().hex[:10]
        uris = tuple(f"api://crash-{tag}/{i}" for i in range(URIS))  # many rows in one transaction
        r = client.post("/v1.0/applications", json={"displayName": PREFIX + tag, "identifierUris": list(uris)})
        if r.status_code != 201:
            return
        app = r.json()
        with a.lock:
            a.apps[app["id"]] = uris
        r = client.post("/v1.0/servicePrincipals", json={"appId": app["appId"]})
        if r.status_code != 201:
            return
        sp = r.json()["id"]
        with a.lock:
            a.sps[sp] = app["id"]
        r = client.post(f"/v1.0/servicePrincipals/{self.api}/appRoleAssignedTo",
                        json={"principalId": sp, "resourceId": self.api, "appRoleId": self.role})
        if r.status_code == 201:
            with a.lock:
                a.assignments[r.json()["id"]] = app["id"]
        if self.deletes and len(a.apps) % 5 == 0:
            with a.lock:
                victim = next((i for i in a.apps if i not in a.deleted), None)
            if victim is not None:
                with a.lock:
                    a.doomed.add(victim)
            if victim is not None and client.delete(f"/v1.0/applications/{victim}").status_code == 204:
                with a.lock:
                    a.deleted.add(victim)

    def wait_for(self, acknowledged: int, timeout: float = 20) -> None:
        """Until ``acknowledged`` more writes than now are acknowledged."""
        target = self.acked.count() + acknowledged
        deadline = time.monotonic() + timeout
        while self.acked.count() < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.acked.count()} of {target} writes acknowledged in {timeout}s")
            time.sleep(0.02)

    @contextlib.contextmanager
    def running(self) -> Iterator[Stream]:
        for thread in self._threads:
            thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            for thread in self._threads:
                thread.join(timeout=20)


def missing(database: str, acked: Acked) -> list[str]:
    """Acknowledged writes the database lacks, and applications written by halves."""
    store = Store(database)
    try:
        with store.read() as tx:
            conn = tx.conn
            apps = {r.id for r in conn.execute(sa.select(t.applications.c.id))}
            uris: dict[str, set[str]] = {}
            for r in conn.execute(sa.select(t.identifier_uris.c.application_id, t.identifier_uris.c.uri)):
                uris.setdefault(r.application_id, set()).add(r.uri)
            sps = {r.id for r in conn.execute(sa.select(t.service_principals.c.id))}
            assignments = {r.id for r in conn.execute(sa.select(t.app_role_assignments.c.id))}
            ours = [r.id for r in conn.execute(sa.select(t.applications.c.id).where(
                t.applications.c.display_name.startswith(PREFIX)))]
    finally:
        store.dispose()
    gone = acked.deleted | acked.doomed
    lost = [f"application {i}" for i in acked.apps if i not in gone and i not in apps]
    lost += [f"service principal {i}" for i, app in acked.sps.items() if app not in gone and i not in sps]
    lost += [f"assignment {i}" for i, app in acked.assignments.items() if app not in gone and i not in assignments]
    lost += [f"deleted application {i} is back" for i in acked.deleted if i in apps]
    lost += [f"application {i} has identifier URIs {sorted(uris.get(i, ()))}" for i in ours
             if len(uris.get(i, ())) != URIS]
    return lost
