"""The sign-in log under attack, on a real server over SQLite and over PostgreSQL: text no database stores, a
flood of refusals, invented clients. Whatever an unauthenticated caller sends, every real sign-in is in the
log, and what the caller can make the server store is bounded."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tenantd.runtime import Runtime, open_runtime, sqlite_url

from ..databases import required_pg_database
from ..support import Server, start_server
from .support import client_from

GRAPH = "https://graph.microsoft.com/.default"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Client:
    tenant_id: str
    app_id: str
    secret: str


@dataclass
class Tenantd:
    server: Server
    database: str
    a: Client           # a client of the server's tenant
    b: Client           # a client of a second tenant

    def runtime(self) -> Runtime:
        return open_runtime(self.database, self.server.data, None)


def _client(rt: Runtime, tenant_id: str, name: str) -> Client:
    app = rt.directory.create_application(tenant_id, name, with_service_principal=True)
    _, secret = rt.directory.add_password(tenant_id, app.id)
    return Client(tenant_id, app.app_id, secret)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def tenantd(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenantd]:
    data = tmp_path_factory.mktemp(request.param)
    with contextlib.ExitStack() as stack:
        args: tuple[str, ...] = ()
        database = sqlite_url(data)
        if request.param == "postgresql":
            database = stack.enter_context(required_pg_database())
            args = ("--database", database)
        server = start_server(data, *args)
        stack.callback(server.stop)
        rt = open_runtime(database, data, None)
        try:
            a = _client(rt, server.tenant_id, "orders")
            b = _client(rt, rt.directory.create_tenant(f"b-{uuid.uuid4().hex[:8]}").id, "billing")
        finally:
            rt.store.dispose()
        yield Tenantd(server, database, a, b)


def token(http: httpx.Client, tenant_id: str, form: dict[str, str]) -> httpx.Response:
    return http.post(f"/{tenant_id}/oauth2/v2.0/token", data={"grant_type": "client_credentials", **form})


def assertion(claims: str) -> str:
    """A client assertion whose claims are the JSON text ``claims`` (unsigned: it is refused anyway)."""
    def part(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return f"{part(json.dumps({'alg': 'RS256', 'typ': 'JWT'}))}.{part(claims)}.c2lnbmF0dXJl"


def poison_forms(a: Client) -> list[dict[str, str]]:
    """Refusals carrying what no database stores as text, or what a terminal obeys: a lone surrogate and a
    NUL quoted by the federated-match refusal, a NUL and escape sequences in the scope, a NUL client id."""
    forms = [{"client_id": a.app_id, "client_assertion_type": ASSERTION_TYPE, "scope": GRAPH,
              "client_assertion": assertion('{"iss":"' + bad + '","sub":"x","aud":"api://AzureADTokenExchange"}')}
             for bad in ("\\ud800", "\\u0000", "\\u001b[2J")]
    forms.append({"client_id": a.app_id, "client_secret": "wrong", "scope": "api://x\x00\x1b]8;;http://evil/\x07"})
    forms.append({"client_id": "\x00", "client_secret": "wrong", "scope": GRAPH})
    return forms


@contextlib.contextmanager
def flooding(server: Server, tenant_id: str, forms: list[dict[str, str]], source: str,
             pause: float = 0.02) -> Iterator[list[int]]:
    """Send ``forms`` round and round from ``source`` until the block ends; yields the statuses seen."""
    statuses: list[int] = []
    stop = threading.Event()

    def flood() -> None:
        with client_from(server, source) as http:
            while not stop.is_set():
                for form in forms:
                    statuses.append(token(http, tenant_id, form).status_code)
                    time.sleep(pause)

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    try:
        yield statuses
    finally:
        stop.set()
        thread.join(30)


def rows(t: Tenantd, tenant_id: str, *conditions: tuple[str, str, Any]) -> list[dict[str, Any]]:
    rt = t.runtime()
    try:
        return rt.sign_ins.query(tenant_id, list(conditions), limit=10_000)
    finally:
        rt.store.dispose()


def sign_ins(found: list[dict[str, Any]]) -> int:
    return sum(r["count"] for r in found)


def eventually(check: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the sign-in log did not catch up in time"
        time.sleep(0.2)


def test_log_poison_a_flood_of_unstorable_text_loses_no_real_sign_in(tenantd: Tenantd) -> None:
    a, b, server = tenantd.a, tenantd.b, tenantd.server
    with flooding(server, a.tenant_id, poison_forms(a), "127.0.0.21") as statuses, server.http() as http:
        for _ in range(10):
            for client in (a, b):
                assert token(http, client.tenant_id, {"client_id": client.app_id, "client_secret": client.secret,
                                                      "scope": GRAPH}).status_code == 200
            time.sleep(0.15)   # the tokens span several of the writer's batches, each with poison in it
    assert len(statuses) > 20 and all(400 <= s < 600 for s in statuses)
    for client in (a, b):
        eventually(lambda c=client: sign_ins(rows(tenantd, c.tenant_id, ("app_id", "eq", c.app_id),
                                                  ("error_code", "eq", 0))) == 10)
    # The poisoned refusals are in the log too, every text printable.
    refused = rows(tenantd, a.tenant_id, ("app_id", "eq", a.app_id), ("error_code", "ne", 0))
    stored = json.dumps(refused, ensure_ascii=False)
    assert 70021 in {r["error_code"] for r in refused} and "\ufffd" in stored
    for forbidden in ("\x00", "\x1b", "\x07", "\ud800"):
        assert forbidden not in stored


def test_log_poison_invented_clients_leave_no_row(tenantd: Tenantd) -> None:
    """Entra logs no sign-in of a client it does not know; a caller inventing client ids stores nothing."""
    a, server = tenantd.a, tenantd.server
    invented = [{"client_id": str(uuid.uuid4()), "client_secret": "x", "scope": GRAPH} for _ in range(20)]
    invented += [{"client_id": "not-a-guid-\x00", "client_secret": "x", "scope": GRAPH},
                 {"grant_type": "urn:nope", "scope": GRAPH}]
    with client_from(server, "127.0.0.22") as http:
        for _ in range(5):
            for form in invented:
                assert token(http, a.tenant_id, form).status_code in (400, 401)
        # A known client's refusal after them: once it is written, so is everything before it.
        assert token(http, a.tenant_id, {"client_id": a.app_id, "client_secret": "wrong", "scope": GRAPH}
                     ).status_code == 401
    eventually(lambda: rows(tenantd, a.tenant_id, ("client_ip", "eq", "127.0.0.22")) != [])
    (row,) = rows(tenantd, a.tenant_id, ("client_ip", "eq", "127.0.0.22"))
    assert (row["app_id"], row["error_code"], row["count"]) == (a.app_id, 7000215, 1)


def test_log_poison_a_known_clients_refusals_from_one_source_are_counted_in_few_rows(tenantd: Tenantd) -> None:
    """Thirty wrong secrets for a known client, each naming another resource, then the throttle's 429s: two
    rows (the refusal and the throttling), whose counts add up to every request."""
    a, server = tenantd.a, tenantd.server
    with client_from(server, "127.0.0.23") as http:
        statuses = [token(http, a.tenant_id, {"client_id": a.app_id, "client_secret": "wrong",
                                              "scope": f"api://guess-{n}/.default"}).status_code for n in range(30)]
    assert set(statuses) <= {401, 429}
    eventually(lambda: sign_ins(rows(tenantd, a.tenant_id, ("client_ip", "eq", "127.0.0.23"))) == 30)
    found = rows(tenantd, a.tenant_id, ("client_ip", "eq", "127.0.0.23"))
    assert len(found) <= 2 and {r["error_code"] for r in found} <= {7000215, 90055}


def test_log_poison_a_client_in_a_loop_writes_one_row_with_its_count(tenantd: Tenantd) -> None:
    b, server = tenantd.b, tenantd.server
    with client_from(server, "127.0.0.24") as http:
        for _ in range(40):
            assert token(http, b.tenant_id, {"client_id": b.app_id, "client_secret": b.secret,
                                             "scope": GRAPH}).status_code == 200
    eventually(lambda: sign_ins(rows(tenantd, b.tenant_id, ("client_ip", "eq", "127.0.0.24"))) == 40)
    (row,) = rows(tenantd, b.tenant_id, ("client_ip", "eq", "127.0.0.24"))
    assert row["count"] == 40 and row["last_created"] > row["created"]
