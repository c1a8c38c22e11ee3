"""Delegated permission grants in the store, on SQLite and PostgreSQL: one per client, resource and user
whatever races to make a second, every change a new directory version, the token path's read (every user's
grant and the user's own), and built-in service principals brought up to this version's roles."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace

import pytest

from tenantd import bootstrap
from tenantd.domain import builtins
from tenantd.domain.errors import GraphError
from tenantd.runtime import Runtime
from tenantd.store.sql import DuplicateKey


@pytest.fixture
def tenant_id(rt: Runtime) -> str:
    return rt.directory.create_tenant("contoso").id


def _sps(rt: Runtime, tenant_id: str) -> tuple[str, str]:
    """A client's and an API's (offering Things.Read and Things.Write) service principal ids."""
    scopes = [{"id": str(uuid.uuid4()), "value": v, "type": "User", "isEnabled": True,
               "adminConsentDisplayName": v, "adminConsentDescription": v} for v in ("Things.Read", "Things.Write")]
    api = rt.directory.create_application(tenant_id, "Things API", with_service_principal=True,
                                          settings={"api.oauth2PermissionScopes": scopes})
    client = rt.directory.create_application(tenant_id, "web", with_service_principal=True)
    return (rt.directory.service_principal_by_app_id(tenant_id, client.app_id).id,
            rt.directory.service_principal_by_app_id(tenant_id, api.app_id).id)


def _version(rt: Runtime) -> int:
    with rt.store.read() as tx:
        return tx.directory_version()


def test_concurrent_identical_grants_make_exactly_one(rt: Runtime, tenant_id: str) -> None:
    client, api = _sps(rt, tenant_id)
    outcomes: list[object] = []
    start = threading.Barrier(12)

    def create() -> None:
        start.wait()
        try:
            outcomes.append(rt.directory.create_grant(tenant_id, client, "AllPrincipals", None, api, "Things.Read"))
        except GraphError as exc:
            outcomes.append((exc.status, exc.code))

    threads = [threading.Thread(target=create) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [o for o in outcomes if isinstance(o, tuple)]
    assert len(outcomes) - len(refused) == 1
    assert set(refused) == {(409, "Request_MultipleObjectsWithSameKeyValue")}
    assert len(rt.directory.grants(tenant_id, client_id=client)) == 1


def test_the_primary_key_refuses_a_twin_the_checks_did_not_see(rt: Runtime, tenant_id: str) -> None:
    client, api = _sps(rt, tenant_id)
    grant = rt.directory.create_grant(tenant_id, client, "AllPrincipals", None, api, "Things.Read")
    with pytest.raises(DuplicateKey), rt.store.write() as tx:
        tx.insert_grant(replace(grant, scopes=("Things.Write",)))
    assert rt.directory.grant(tenant_id, grant.id).scopes == ("Things.Read",)


def test_every_change_is_a_new_directory_version_and_the_token_path_reads_the_users_grants(
        rt: Runtime, tenant_id: str) -> None:
    client, api = _sps(rt, tenant_id)
    alice = rt.directory.create_user(tenant_id, "alice@contoso.test", "Alice")
    bob = rt.directory.create_user(tenant_id, "bob@contoso.test", "Bob")
    before = _version(rt)
    every = rt.directory.create_grant(tenant_id, client, "AllPrincipals", None, api, "Things.Read")
    assert _version(rt) > before
    rt.directory.create_grant(tenant_id, client, "Principal", alice.id, api, "Things.Write Things.Read")
    with rt.store.read() as tx:
        assert sorted(tx.granted_scopes(client, api, alice.id)) == ["Things.Read", "Things.Write"]
        assert tx.granted_scopes(client, api, bob.id) == ("Things.Read",)
        assert tx.granted_scopes(api, client, alice.id) == ()
    before = _version(rt)
    rt.directory.update_grant_scope(tenant_id, every.id, "Things.Read")   # no change: no new version
    assert _version(rt) == before
    rt.directory.update_grant_scope(tenant_id, every.id, "")
    assert _version(rt) == before + 1
    rt.directory.delete_grant(tenant_id, every.id)
    assert _version(rt) == before + 2
    with rt.store.read() as tx:
        assert tx.granted_scopes(client, api, bob.id) == ()


def test_an_older_tenant_gets_this_versions_graph_roles_and_its_admin_app_them(rt: Runtime) -> None:
    """A tenant made before Graph had the DelegatedPermissionGrant roles (here: a current one made older)."""
    tenant_id = bootstrap.default_tenant(rt).id
    admin = rt.directory.service_principal_by_app_id(tenant_id, bootstrap.admin_app_id(rt, tenant_id))
    graph = rt.directory.service_principal_by_app_id(tenant_id, builtins.GRAPH_APP_ID)
    before = _version(rt)
    assert rt.directory.ensure_builtins(tenant_id) == [] and _version(rt) == before   # current: nothing written
    new_ids = {builtins.GRAPH_ROLES[n] for n in ("DelegatedPermissionGrant.Read.All",
                                                 "DelegatedPermissionGrant.ReadWrite.All")}
    for held in rt.directory.assignments_of(tenant_id, admin.id):
        if held.app_role_id in new_ids:
            rt.directory.unassign(tenant_id, held.id)
    older = replace(graph, app_roles=tuple(r for r in graph.app_roles if r.id not in new_ids),
                    oauth2_permission_scopes=graph.oauth2_permission_scopes[:1])
    with rt.store.write() as tx:
        tx.update_service_principal(older)

    bootstrap.ensure_builtins(rt)
    now = rt.directory.service_principal_by_app_id(tenant_id, builtins.GRAPH_APP_ID)
    assert (now.id, now.app_roles, now.oauth2_permission_scopes) == (
        graph.id, builtins.GRAPH_APP_ROLES, builtins.GRAPH_PERMISSION_SCOPES)
    assert new_ids <= {a.app_role_id for a in rt.directory.assignments_of(tenant_id, admin.id)}
