"""The token path's directory cache on real stores (SQLite, and PostgreSQL when reachable): a warm token
reads only the directory version, and a change made through another runtime on the same database (another
worker or replica) shows in the very next token."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
import sqlalchemy as sa

from tenantd.domain.errors import BadRequest, OAuthError
from tenantd.domain.model import AppRole
from tenantd.runtime import Runtime, open_runtime
from tenantd.tokens import signins
from tenantd.tokens.managed_identity import IdentityToken, ManagedIdentityTokens
from tenantd.tokens.request import TokenRequest

API_URI = "api://cached-things"
HOST = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Web/sites/cached"
DIRECTORY_TABLES = ("applications", "service_principals", "app_role_assignments", "password_credentials",
                    "identifier_uris", "host_credentials", "host_attachments")



@pytest.fixture
def runtimes(database_url: str, tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    """Two runtimes on one database, as two workers or replicas: each has its own caches."""
    opened = [open_runtime(database_url, tmp_path, None, default_public_url="https://localhost:8443")
              for _ in range(2)]
    yield opened[0], opened[1]
    for rt in opened:
        rt.sign_ins.stop()
        rt.store.dispose()


class World:
    def __init__(self, rt: Runtime) -> None:
        d = rt.directory
        self.tenant_id = d.create_tenant("contoso").id
        self.role = AppRole(id=str(uuid.uuid4()), value="Things.Read.All", display_name="Read", description="Read",
                            allowed_member_types=("Application",))
        api = d.create_application(self.tenant_id, "Things API", identifier_uris=[API_URI], app_roles=[self.role],
                                   with_service_principal=True)
        self.api_sp_id = d.service_principal_by_app_id(self.tenant_id, api.app_id).id
        client = d.create_application(self.tenant_id, "orders", with_service_principal=True)
        self.client_app_object_id = client.id
        self.client_app_id = client.app_id
        self.key_id, self.secret = (lambda c, s: (c.key_id, s))(*d.add_password(self.tenant_id, client.id))
        self.client_sp_id = d.service_principal_by_app_id(self.tenant_id, client.app_id).id

    def request(self) -> TokenRequest:
        return TokenRequest(self.tenant_id, 2, {"grant_type": "client_credentials", "client_id": self.client_app_id,
                                                "client_secret": self.secret, "scope": f"{API_URI}/.default"})


def roles_of(rt: Runtime, world: World) -> list[str]:
    token = rt.tokens.token(world.request())["access_token"]
    return list(pyjwt.decode(token, options={"verify_signature": False}).get("roles", []))


def statements(rt: Runtime) -> Callable[[], list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(rt.store.engine, "before_cursor_execute", count)
    return lambda: list(seen)


def full_path(tokens: ManagedIdentityTokens, secret: str) -> IdentityToken:
    """A managed identity request as the listener makes it when memory alone cannot answer."""
    host, view = tokens.host_and_view(secret)
    assert host is not None
    return tokens.token(host, API_URI, None, None, view)


def version(rt: Runtime) -> int:
    with rt.store.read() as tx:
        return tx.directory_version()


def test_a_warm_token_reads_the_directory_version_and_nothing_else_of_the_directory(
        runtimes: tuple[Runtime, Runtime]) -> None:
    a, b = runtimes
    world = World(a)
    roles_of(b, world)   # makes the tenant's first signing key: a commit
    roles_of(b, world)
    seen = statements(b)
    for _ in range(5):
        roles_of(b, world)
    reads = seen()
    # SQLite shows cheaply that nothing was committed since the version was read: no read at all then
    assert sum("directory_version" in s for s in reads) == (0 if b.store.is_sqlite else 5)
    assert [s for s in reads if any(f" {table}" in s for table in DIRECTORY_TABLES)] == []
    a.sign_ins.record(signins.refused(world.tenant_id, "client_credentials", 0.0, "test"))
    assert a.sign_ins.flush() == 1   # a commit, by another process, of something that is not the directory
    roles_of(b, world)
    # SQLite reads the version again on the commit marker's own connection, not through the pool
    assert sum("directory_version" in s for s in seen()) == (0 if b.store.is_sqlite else 6)
    assert [s for s in seen() if any(f" {table}" in s for table in DIRECTORY_TABLES)] == []


def test_changes_through_another_runtime_show_in_the_next_token(runtimes: tuple[Runtime, Runtime]) -> None:
    a, b = runtimes
    world = World(a)
    assert roles_of(b, world) == []
    assignment = a.directory.assign(world.tenant_id, world.client_sp_id, world.api_sp_id, world.role.id)
    assert roles_of(b, world) == ["Things.Read.All"]
    a.directory.unassign(world.tenant_id, assignment.id)
    assert roles_of(b, world) == []
    a.directory.update_service_principal(world.tenant_id, world.client_sp_id, {"accountEnabled": False})
    with pytest.raises(OAuthError, match="AADSTS7000112"):
        roles_of(b, world)
    a.directory.update_service_principal(world.tenant_id, world.client_sp_id, {"accountEnabled": True})
    assert roles_of(b, world) == []
    a.directory.remove_password(world.tenant_id, world.client_app_object_id, world.key_id)
    with pytest.raises(OAuthError, match="AADSTS7000215"):
        roles_of(b, world)


def memory_roles(rt: Runtime, world: World) -> list[str] | None:
    """The roles of the token memory alone gives (the event loop's answer), None when it gives none."""
    answer = rt.tokens.token_from_memory(world.request())
    if answer is None:
        return None
    return list(pyjwt.decode(answer["access_token"], options={"verify_signature": False}).get("roles", []))


def test_memory_answers_a_warm_client_and_never_past_a_change(runtimes: tuple[Runtime, Runtime]) -> None:
    a, b = runtimes
    world = World(a)
    assert memory_roles(b, world) is None   # nothing in memory yet: the full path answers
    assert roles_of(b, world) == []
    if not b.store.is_sqlite:   # PostgreSQL has no marker to show the version without a read: never memory
        assert memory_roles(b, world) is None
        return
    assert memory_roles(b, world) == []
    assignment = a.directory.assign(world.tenant_id, world.client_sp_id, world.api_sp_id, world.role.id)
    assert memory_roles(b, world) in (None, ["Things.Read.All"])   # the change, or the full path
    assert roles_of(b, world) == ["Things.Read.All"]
    assert memory_roles(b, world) == ["Things.Read.All"]
    a.directory.unassign(world.tenant_id, assignment.id)
    assert memory_roles(b, world) in (None, [])
    assert roles_of(b, world) == []
    a.directory.update_service_principal(world.tenant_id, world.client_sp_id, {"accountEnabled": False})
    assert memory_roles(b, world) is None
    a.directory.update_service_principal(world.tenant_id, world.client_sp_id, {"accountEnabled": True})
    assert roles_of(b, world) == []
    a.directory.remove_password(world.tenant_id, world.client_app_object_id, world.key_id)
    assert memory_roles(b, world) is None
    with pytest.raises(OAuthError, match="AADSTS7000215"):
        roles_of(b, world)


def test_memory_gives_no_refusal_and_counts_no_failure(runtimes: tuple[Runtime, Runtime]) -> None:
    """A wrong secret is not answered from memory: the full path refuses it and counts the failure."""
    _, b = runtimes
    world = World(b)
    roles_of(b, world)
    wrong = TokenRequest(world.tenant_id, 2, {**world.request().form, "client_secret": "wrong"})
    assert b.tokens.token_from_memory(wrong) is None
    for name in ("client_id", "scope"):   # malformed: refused by the full path, which logs the refusal
        form = {k: v for k, v in world.request().form.items() if k != name}
        assert b.tokens.token_from_memory(TokenRequest(world.tenant_id, 2, form)) is None
    with b.store.read() as tx:
        assert tx.conn.execute(sa.text("SELECT count(*) FROM auth_failures")).scalar() == 0


def test_logs_and_counters_leave_the_version_and_each_directory_change_advances_it(
        runtimes: tuple[Runtime, Runtime]) -> None:
    a, _ = runtimes
    world = World(a)
    before = version(a)
    a.sign_ins.record(signins.refused(world.tenant_id, "client_credentials", 0.0, "test"))
    assert a.sign_ins.flush() == 1
    with a.store.counters() as tx:
        tx.count_auth_failure(world.tenant_id, world.client_app_id, ["203.0.113.7"], 1)
    a.tokens.keyring.rotate(world.tenant_id, immediately=True)
    assert version(a) == before
    a.directory.assign(world.tenant_id, world.client_sp_id, world.api_sp_id, world.role.id)
    assert version(a) == before + 1
    with pytest.raises(BadRequest, match="already exists"):   # a refused change leaves no trace
        a.directory.assign(world.tenant_id, world.client_sp_id, world.api_sp_id, world.role.id)
    assert version(a) == before + 1


def test_a_managed_identity_host_and_roles_come_from_the_cache_until_a_change(
        runtimes: tuple[Runtime, Runtime]) -> None:
    a, b = runtimes
    world = World(a)
    identity = a.directory.create_managed_identity(world.tenant_id, "cached", "SystemAssigned", HOST)
    secret = a.directory.open_host_session(world.tenant_id, HOST, timedelta(hours=1))
    tokens = ManagedIdentityTokens(b.tokens)

    assert full_path(tokens, secret).roles == ()
    seen = statements(b)
    assert full_path(tokens, secret).roles == ()
    assert [s for s in seen() if s != "BEGIN" and "directory_version" not in s] == []
    a.directory.assign(world.tenant_id, identity.id, world.api_sp_id, world.role.id)
    assert full_path(tokens, secret).roles == ("Things.Read.All",)
    a.directory.close_host_session(world.tenant_id, secret)
    assert tokens.host_and_view(secret)[0] is None


def test_a_cached_managed_identity_token_is_answered_from_memory_until_a_commit(
        runtimes: tuple[Runtime, Runtime]) -> None:
    a, b = runtimes
    world = World(a)
    identity = a.directory.create_managed_identity(world.tenant_id, "cached", "SystemAssigned", HOST)
    secret = a.directory.open_host_session(world.tenant_id, HOST, timedelta(hours=1))
    tokens = ManagedIdentityTokens(b.tokens)
    assert tokens.from_memory(secret, API_URI, None) is None   # nothing read yet
    full_path(tokens, secret)   # makes the tenant's first signing key: a commit
    first = full_path(tokens, secret)
    host = tokens.host_for(secret)
    known = tokens.from_memory(secret, API_URI, None)
    if not b.store.is_sqlite:   # no cheap commit marker: every request reads the version
        assert known is None
        return
    assert known == (host, first)
    assert tokens.from_memory("not-" + secret, API_URI, None) is None
    assert tokens.from_memory(secret, "api://another", None) is None
    a.directory.assign(world.tenant_id, identity.id, world.api_sp_id, world.role.id)
    assert tokens.from_memory(secret, API_URI, None) is None   # a commit: only the full path may answer
    second = full_path(tokens, secret)
    assert second.roles == ("Things.Read.All",)
    assert tokens.from_memory(secret, API_URI, None) == (host, second)
