"""The sign-in log in process, on a real SQLite store: what the token paths record, batching, identical
sign-ins counted in one row, the bound on what is held in memory, retention and the cap, rows the database
refuses, and that no secret or token reaches a row."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tenantd.domain.errors import OAuthError
from tenantd.domain.model import AppRole
from tenantd.runtime import Runtime, open_runtime, sqlite_url
from tenantd.store import schema
from tenantd.tokens import signins
from tenantd.tokens.impersonation import issue_as
from tenantd.tokens.managed_identity import IdentityError, ManagedIdentityTokens
from tenantd.tokens.request import TokenRequest
from tenantd.tokens.signins import NO_AADSTS, SignIn, SignInLog

API_URI = "api://things"
HOST = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Web/sites/web"


@dataclass
class Tenant:
    rt: Runtime
    id: str
    api_app_id: str
    client_app_id: str
    client_sp_id: str
    secret: str


@pytest.fixture
def tenant(tmp_path: Path) -> Iterator[Tenant]:
    rt = open_runtime(sqlite_url(tmp_path), tmp_path, None, default_public_url="https://localhost:8443")
    d = rt.directory
    tid = d.create_tenant("contoso").id
    role = AppRole(id=str(uuid.uuid4()), value="Things.Read.All", display_name="Read", description="Read",
                   allowed_member_types=("Application",))
    api = d.create_application(tid, "Things API", identifier_uris=[API_URI], app_roles=[role],
                               with_service_principal=True)
    client = d.create_application(tid, "orders", with_service_principal=True)
    _, secret = d.add_password(tid, client.id)
    client_sp = d.service_principal_by_app_id(tid, client.app_id)
    d.assign(tid, client_sp.id, d.service_principal_by_app_id(tid, api.app_id).id, role.id)
    yield Tenant(rt, tid, api.app_id, client.app_id, client_sp.id, secret)
    rt.sign_ins.stop()
    rt.store.dispose()


def request(t: Tenant, secret: str, *, scope: str = f"{API_URI}/.default", basic: bool = False) -> TokenRequest:
    form = {"grant_type": "client_credentials", "client_id": t.client_app_id, "scope": scope}
    if not basic:
        form["client_secret"] = secret
    return TokenRequest(tenant=t.id, endpoint_version=2, form=form, client_ip="203.0.113.7",
                        basic_auth=(t.client_app_id, secret) if basic else None)


def rows(rt: Runtime) -> list[dict[str, Any]]:
    with rt.store.read() as tx:
        return [dict(r._mapping) for r in tx.conn.execute(sa.select(schema.sign_ins)
                                                          .order_by(schema.sign_ins.c.created))]


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the sign-in log did not catch up in time"
        time.sleep(0.05)


def entry(tenant_id: str, created: float | None = None, *, error_code: int = 0) -> SignIn:
    """A sign-in of a client of its own (so that no two are identical)."""
    return SignIn(tenant_id, "client_credentials", time.time() if created is None else created,
                  app_id=str(uuid.uuid4()), error_code=error_code)


def test_issued_and_refused_tokens_are_recorded_off_the_token_path(tenant: Tenant) -> None:
    rt = tenant.rt
    rt.tokens.token(request(tenant, tenant.secret))
    with pytest.raises(OAuthError):
        rt.tokens.token(request(tenant, "not-the-secret-" + tenant.secret[:8]))
    assert rows(rt) == []   # nothing is written by the requests themselves
    assert rt.sign_ins.flush() == 2
    ok, refused = sorted(rows(rt), key=lambda r: r["error_code"])
    assert ok == {**ok, "tenant_id": tenant.id, "kind": "client_credentials", "app_id": tenant.client_app_id,
                  "principal_id": tenant.client_sp_id, "principal_name": "orders", "resource": API_URI,
                  "resource_id": tenant.api_app_id, "roles": ["Things.Read.All"], "error_code": 0, "error": None,
                  "client_ip": "203.0.113.7", "count": 1, "last_created": ok["created"]}
    assert refused["error_code"] == 7000215 and "Invalid client secret" in refused["error"]
    # The refusal named only a client id; the log adds who that is.
    assert (refused["principal_id"], refused["principal_name"]) == (tenant.client_sp_id, "orders")
    assert refused["roles"] == [] and refused["resource"] == API_URI and refused["client_ip"] == "203.0.113.7"


def test_refusals_before_the_grant_are_sign_ins_too(tenant: Tenant) -> None:
    rt = tenant.rt
    with pytest.raises(OAuthError):
        rt.tokens.token(TokenRequest(tenant.id, 2, {"grant_type": "urn:ietf:params:oauth:grant-type:nope",
                                                    "client_id": tenant.client_app_id}))
    with pytest.raises(OAuthError):
        rt.tokens.token(request(tenant, tenant.secret, scope="api://nothing-here/.default"))
    rt.sign_ins.flush()
    by_code = {r["error_code"]: r for r in rows(rt)}
    assert set(by_code) == {70003, 500011}
    assert by_code[70003]["kind"] == "nope"
    assert by_code[500011]["resource"] == "api://nothing-here" and by_code[500011]["resource_id"] is None


def test_no_secret_assertion_or_token_in_any_row(tenant: Tenant) -> None:
    rt = tenant.rt
    issued = rt.tokens.token(request(tenant, tenant.secret))["access_token"]
    basic = rt.tokens.token(request(tenant, tenant.secret, basic=True))["access_token"]
    wrong = tenant.secret[::-1]
    for attempt in (request(tenant, wrong), request(tenant, wrong, basic=True)):
        with pytest.raises(OAuthError):
            rt.tokens.token(attempt)
    rt.sign_ins.flush()
    dump = json.dumps(rows(rt))
    assert sorted(r["count"] for r in rows(rt)) == [2, 2]   # issued twice, refused twice
    for forbidden in (tenant.secret, wrong, issued, basic, *issued.split("."), *basic.split(".")):
        assert forbidden not in dump


def test_a_refusal_that_quotes_a_credential_is_scrubbed(tenant: Tenant) -> None:
    assertion = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"
    call = TokenRequest(tenant.id, 2, {"grant_type": "client_credentials", "client_id": tenant.client_app_id,
                                       "client_assertion": assertion}, client_ip="::1")
    error = OAuthError(401, "invalid_client", 700027, f"The assertion {assertion} could not be read.")
    client = tenant.rt.directory.service_principal_by_app_id(tenant.id, tenant.client_app_id)
    tenant.rt.sign_ins.record(signins.refused_request(tenant.id, call, error, time.time(), client))
    tenant.rt.sign_ins.flush()
    (row,) = rows(tenant.rt)
    assert assertion not in json.dumps(row)
    assert row["error"] == "The assertion [redacted] could not be read." and row["error_code"] == 700027


def test_managed_identity_fresh_tokens_and_refusals_are_sign_ins_cache_hits_are_not(tenant: Tenant) -> None:
    rt, d = tenant.rt, tenant.rt.directory
    identity = d.create_managed_identity(tenant.id, "web", "SystemAssigned", HOST)
    tokens = ManagedIdentityTokens(rt.tokens)
    host = d.host(tenant.id, HOST)
    first = tokens.token(host, API_URI, None, "127.0.0.1")
    assert tokens.token(host, API_URI, None, "127.0.0.1") is first   # answered from the cache
    with pytest.raises(IdentityError):
        tokens.token(host, "api://unknown", None, "127.0.0.1")
    bare = d.host(tenant.id, HOST.replace("/web", "/other"))     # a host with no identity of its own
    with pytest.raises(IdentityError):
        tokens.token(bare, API_URI, None, "127.0.0.1")
    rt.sign_ins.flush()
    issued, unknown, not_found = sorted(rows(rt), key=lambda r: (r["error_code"] != 0, -r["error_code"]))
    assert issued == {**issued, "kind": "managed_identity", "app_id": identity.app_id, "principal_id": identity.id,
                      "principal_name": "web", "resource_id": tenant.api_app_id, "roles": [], "error_code": 0,
                      "client_ip": "127.0.0.1"}
    assert unknown["error_code"] == 500011 and unknown["principal_id"] == identity.id
    assert unknown["error"].startswith("The resource principal named api://unknown")
    assert not_found == {**not_found, "error_code": NO_AADSTS, "error": "Identity not found", "principal_id": None}


def test_impersonation_is_recorded_as_such(tenant: Tenant) -> None:
    issue_as(tenant.rt.tokens, tenant.id, tenant.client_sp_id, API_URI)
    tenant.rt.sign_ins.flush()
    (row,) = rows(tenant.rt)
    assert (row["kind"], row["principal_id"], row["roles"]) == ("impersonation", tenant.client_sp_id,
                                                                 ["Things.Read.All"])


def test_the_writer_inserts_each_batch_in_one_transaction(tenant: Tenant) -> None:
    engine = tenant.rt.store.engine
    pending: list[int] = []
    committed: list[int] = []

    def executed(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO SIGN_INS"):
            pending.append(len(parameters) if many else 1)

    def commit(conn: Any) -> None:
        if conn.get_execution_options().get("tenantd_write"):
            committed.append(sum(pending))
            pending.clear()

    sa.event.listen(engine, "before_cursor_execute", executed)
    sa.event.listen(engine, "commit", commit)
    log = SignInLog(tenant.rt.store, batch_size=10, interval=60)
    for _ in range(25):
        log.record(entry(tenant.id))
    log.start()   # 10 waiting entries wake the writer long before its 60 s interval
    try:
        wait_for(lambda: len(rows(tenant.rt)) == 25)
    finally:
        log.stop()
    assert [rows_in_commit for rows_in_commit in committed if rows_in_commit] == [10, 10, 5]


def test_enough_entries_wake_the_writer_before_its_interval(tenant: Tenant) -> None:
    log = SignInLog(tenant.rt.store, batch_size=10, interval=60)
    log.start()
    try:
        for _ in range(10):
            log.record(entry(tenant.id))
        wait_for(lambda: len(rows(tenant.rt)) == 10)
    finally:
        log.stop()


def test_the_writer_drains_on_its_interval(tenant: Tenant) -> None:
    log = SignInLog(tenant.rt.store, batch_size=1000, interval=0.2)
    log.start()
    try:
        log.record(entry(tenant.id))
        wait_for(lambda: len(rows(tenant.rt)) == 1)
    finally:
        log.stop()


def test_a_clean_stop_writes_what_is_queued(tenant: Tenant) -> None:
    log = SignInLog(tenant.rt.store, batch_size=1000, interval=60)
    log.start()
    for _ in range(7):
        log.record(entry(tenant.id))
    log.stop()
    assert len(rows(tenant.rt)) == 7


def test_a_full_log_drops_and_counts_instead_of_blocking(tenant: Tenant) -> None:
    log = SignInLog(tenant.rt.store, capacity=6, window=0.2)
    started = time.monotonic()
    for _ in range(5):
        log.record(entry(tenant.id))
    assert time.monotonic() - started < 1
    assert log.dropped == 2
    assert log.flush() == 3
    time.sleep(0.25)
    log.flush()                    # written, and their window past: forgotten
    log.record(entry(tenant.id))   # room again
    assert log.flush() == 1 and log.dropped == 2


def test_refusals_cannot_crowd_successes_out_of_memory(tenant: Tenant) -> None:
    log = SignInLog(tenant.rt.store, capacity=6)
    for _ in range(10):
        log.record(entry(tenant.id, error_code=7000215))
    for _ in range(3):
        log.record(entry(tenant.id))
    assert log.dropped == 7
    log.flush()
    assert sorted(r["error_code"] for r in rows(tenant.rt)) == [0, 0, 0, 7000215, 7000215, 7000215]


def test_retention_deletes_older_rows_periodically(tenant: Tenant) -> None:
    rt, day = tenant.rt, 24 * 3600.0
    now = time.time()
    for age in (8 * day, 7 * day + 60, 6 * day, 60):
        rt.sign_ins.record(entry(tenant.id, now - age))
    rt.sign_ins.flush()
    assert len(rows(rt)) == 4
    rt.sign_ins.start()   # the writer purges as it starts, then every ``purge_every`` seconds
    wait_for(lambda: len(rows(rt)) == 2)
    remaining = sorted(r["created"] for r in rows(rt))
    assert remaining == [signins.timestamp(now - 6 * day), signins.timestamp(now - 60)]


def test_retention_is_configurable(tmp_path: Path, tenant: Tenant) -> None:
    tenant.rt.sign_ins.record(entry(tenant.id, time.time() - 7200))
    tenant.rt.sign_ins.record(entry(tenant.id))
    tenant.rt.sign_ins.flush()
    short = open_runtime(sqlite_url(tmp_path), tmp_path, None, sign_in_retention=3600)
    try:
        assert short.sign_ins.purge() == 1
    finally:
        short.store.dispose()
    assert len(rows(tenant.rt)) == 1


def test_a_row_the_database_refuses_is_counted_not_raised_and_loses_no_other(tenant: Tenant) -> None:
    log = SignInLog(tenant.rt.store)
    log.record(entry(tenant.id))
    log.record(entry(str(uuid.uuid4())))   # no such tenant: the foreign key refuses the row
    log.record(entry(tenant.id))
    assert log.flush() == 2
    assert log.lost == 1 and len(rows(tenant.rt)) == 2


def test_long_values_are_cut_to_their_columns(tenant: Tenant) -> None:
    tenant.rt.sign_ins.record(SignIn(tenant.id, "x" * 100, time.time(), app_id="a" * 500, resource="r" * 5000,
                                     error="e" * 5000, error_code=9, client_ip="i" * 200))
    tenant.rt.sign_ins.flush()
    (row,) = rows(tenant.rt)
    assert [len(row[k]) for k in ("kind", "app_id", "resource", "error", "client_ip")] == [32, 64, 600, 512, 64]


def test_unstorable_text_is_made_printable_before_it_reaches_a_row(tenant: Tenant) -> None:
    tenant.rt.sign_ins.record(SignIn(tenant.id, "client_credentials", time.time(), app_id="\x00\ud800",
                                     resource="api://x\x1b[2J", error="quoted \ud800 and \x00", error_code=9,
                                     client_ip="\x9b1A", roles=("R\x07",)))
    assert tenant.rt.sign_ins.flush() == 1
    (row,) = rows(tenant.rt)
    assert [row[k] for k in ("app_id", "resource", "error", "client_ip", "roles")] == \
        ["\ufffd\ufffd", "api://x\ufffd[2J", "quoted \ufffd and \ufffd", "\ufffd1A", ["R\ufffd"]]


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_identical_sign_ins_within_the_window_are_one_row_with_a_count(tenant: Tenant) -> None:
    rt, clock = tenant.rt, Clock()
    rt.tokens.clock = clock
    log = rt.sign_ins
    for _ in range(3):
        rt.tokens.token(request(tenant, tenant.secret))
        clock.now += 10
    log.flush()
    rt.tokens.token(request(tenant, tenant.secret))   # the same row, written again with its new count
    log.flush()
    (row,) = rows(rt)
    assert row["count"] == 4 and row["created"] == signins.timestamp(clock.now - 30)
    assert row["last_created"] == signins.timestamp(clock.now)
    clock.now += 31                                  # past the window: a new row
    rt.tokens.token(request(tenant, tenant.secret))
    rt.tokens.token(request(tenant, tenant.secret, scope=f"{tenant.api_app_id}/.default"))   # not identical
    log.flush()
    assert [r["count"] for r in rows(rt)] == [4, 1, 1]


def test_refusals_of_one_client_source_and_code_are_one_row_whatever_they_named(tenant: Tenant) -> None:
    rt = tenant.rt
    for n in range(5):
        with pytest.raises(OAuthError):
            rt.tokens.token(request(tenant, "wrong", scope=f"api://guess-{n}/.default"))
    rt.sign_ins.flush()
    (row,) = rows(rt)
    assert (row["count"], row["error_code"], row["resource"]) == (5, 7000215, "api://guess-0")


def test_refusals_naming_no_known_client_are_not_recorded(tenant: Tenant) -> None:
    rt = tenant.rt
    for client_id in (str(uuid.uuid4()), "not-a-guid", "\x00", ""):
        with pytest.raises(OAuthError):
            rt.tokens.token(TokenRequest(tenant.id, 2, {"grant_type": "client_credentials", "client_id": client_id,
                                                        "client_secret": "x", "scope": f"{API_URI}/.default"}))
    assert rt.sign_ins.flush() == 0 and rows(rt) == []


def test_each_tenant_keeps_its_newest_successes_and_refusals_up_to_the_cap(database_url: str,
                                                                            tmp_path: Path) -> None:
    rt = open_runtime(database_url, tmp_path, None, default_public_url="https://localhost:8443")
    try:
        tenant_id, other = (rt.directory.create_tenant(name).id for name in ("contoso", "fabrikam"))
        log = SignInLog(rt.store, cap=5)
        now = time.time()
        for n in range(8):
            log.record(entry(tenant_id, now - 100 + n))
            log.record(entry(other, now - 100 + n))
        for n in range(20):   # a flood of refusals, newer than every success
            log.record(entry(tenant_id, now - 50 + n, error_code=7000215))
        log.flush()           # more rows than a tenth of the cap: each tenant is trimmed at once
        kept = rows(rt)
        assert [r["created"] for r in kept if r["tenant_id"] == tenant_id and r["error_code"] == 0] == \
            [signins.timestamp(now - 100 + n) for n in range(3, 8)]
        assert [r["created"] for r in kept if r["error_code"] != 0] == [signins.timestamp(now - 50 + n)
                                                                        for n in range(15, 20)]
        assert len([r for r in kept if r["tenant_id"] == other]) == 5
    finally:
        rt.store.dispose()
