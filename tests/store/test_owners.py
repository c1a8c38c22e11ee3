"""Owners and the authorization policy in the store, on both databases: an owner goes with its owner or its
object (user, service principal, application, group); a user who creates an object through a delegated call
owns it, an application administrator does not; concurrent identical owners leave one; the policy starts at
Entra's defaults; a database at the previous revision upgrades with its rows kept, and an earlier tenant's
Microsoft Graph gets the delegated permissions and the Policy roles at the next start."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from tenantd import bootstrap
from tenantd.domain import audit, builtins
from tenantd.domain.audit import Actor
from tenantd.domain.authorization_policy import AuthorizationPolicy
from tenantd.domain.errors import BadRequest, NotFound
from tenantd.runtime import Runtime
from tenantd.store import Store
from tenantd.store.migrate import HEAD, migrate

APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"


def test_an_ownership_goes_with_its_owner_or_its_object(rt: Runtime) -> None:
    d, tid = rt.directory, rt.directory.create_tenant("contoso").id
    ada, bob = d.create_user(tid, "ada@contoso.test", "Ada"), d.create_user(tid, "bob@contoso.test", "Bob")
    app = d.create_application(tid, "Orders", with_service_principal=True)
    sp = d.service_principal_by_app_id(tid, app.app_id)
    group = d.create_group(tid, "Readers")
    for kind, object_id in (("Application", app.id), ("ServicePrincipal", sp.id), ("Group", group.id)):
        d.add_owner(tid, kind, object_id, ada.id)
        d.add_owner(tid, kind, object_id, bob.id)
    d.add_owner(tid, "Group", group.id, sp.id)   # a service principal owns too
    assert {o.id for o in d.owned_objects(tid, ada.id)} == {app.id, sp.id, group.id}
    with pytest.raises(BadRequest, match="already exist"):
        d.add_owner(tid, "Application", app.id, ada.id)
    with pytest.raises(BadRequest, match="Unsupported referenced-object"):
        d.add_owner(tid, "Application", app.id, group.id)
    with pytest.raises(NotFound):
        d.add_owner(tid, "Group", group.id, "00000000-0000-0000-0000-000000000001")

    d.delete_user(tid, bob.id)
    assert [o.id for o in d.owners(tid, "Application", app.id)] == [ada.id]
    d.delete_service_principal(tid, sp.id)    # as an object, and as an owner of the group
    assert [o.id for o in d.owners(tid, "Group", group.id)] == [ada.id]
    with pytest.raises(BadRequest, match="at least one owner"):
        d.remove_owner(tid, "Group", group.id, ada.id)
    d.delete_application(tid, app.id)
    d.delete_group(tid, group.id)
    assert d.owned_objects(tid, ada.id) == []
    with rt.store.read() as tx:
        assert tx.owned_by(tid, ada.id) == [] and tx.owners_of(app.id) == []


def test_whoever_creates_through_a_delegated_call_owns_it_but_an_application_administrator(rt: Runtime) -> None:
    d, tid = rt.directory, rt.directory.create_tenant("contoso").id
    ada, eve = d.create_user(tid, "ada@contoso.test", "Ada"), d.create_user(tid, "eve@contoso.test", "Eve")
    d.assign_directory_role(tid, eve.id, APP_ADMIN)
    as_ada = d.as_actor(Actor(None, ada.id, tid, through_app=builtins.AZURE_CLI_APP_ID))
    as_eve = d.as_actor(Actor(None, eve.id, tid, through_app=builtins.AZURE_CLI_APP_ID))
    as_page = d.as_actor(audit.person(ada))   # on tenantd's own pages she creates nothing she then owns
    hers = as_ada.create_application(tid, "Ada's")
    sp = as_ada.create_service_principal(tid, hers.app_id)
    group = as_eve.create_group(tid, "Eve's")
    admins = as_eve.create_application(tid, "Eve's")
    assert {o.id for o in d.owned_objects(tid, ada.id)} == {hers.id, sp.id}
    assert {o.id for o in d.owned_objects(tid, eve.id)} == {group.id}
    assert d.owners(tid, "Application", admins.id) == []
    consented = as_page.create_application(tid, "Made on a page")
    assert d.owners(tid, "Application", consented.id) == []
    entries = [r for r in d.audits(tid) if r["initiator_id"] == ada.id]
    assert {r["activity"] for r in entries} == {"Add application", "Add owner to application", "Add service principal",
                                                "Add owner to service principal"}
    assert {(r["initiator_app_id"], r["initiator_name"]) for r in entries} == {(None, "ada@contoso.test")}


def test_concurrent_identical_owners_leave_one(rt: Runtime) -> None:
    d, tid = rt.directory, rt.directory.create_tenant("contoso").id
    ada, app = d.create_user(tid, "ada@contoso.test", "Ada"), d.create_application(tid, "Orders")

    def attempt(_: int) -> str:
        try:
            d.add_owner(tid, "Application", app.id, ada.id)
        except BadRequest as exc:
            return exc.message
        return "added"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(16)))
    assert outcomes.count("added") == 1 and len(d.owners(tid, "Application", app.id)) == 1


def test_the_policy_starts_at_entras_defaults_and_a_change_is_audited(rt: Runtime) -> None:
    d, tid = rt.directory, rt.directory.create_tenant("contoso").id
    assert d.authorization_policy(tid) == AuthorizationPolicy()
    version = _version(rt)
    assert d.update_authorization_policy(tid, {}) == AuthorizationPolicy() and _version(rt) == version
    changed = d.update_authorization_policy(tid, {"defaultUserRolePermissions": {"allowedToReadOtherUsers": False}})
    assert changed == d.authorization_policy(tid) == AuthorizationPolicy(allowed_to_read_other_users=False)
    assert _version(rt) > version   # every replica's next delegated call sees it
    assert d.audits(tid, limit=1)[0]["activity"] == "Update authorization policy"
    ada = d.create_user(tid, "ada@contoso.test", "Ada")
    subject = d.signed_in_subject(tid, ada.id)
    assert subject is not None and subject.policy == changed and subject.roles == frozenset()
    d.update_user(tid, ada.id, {"accountEnabled": False})
    assert d.signed_in_subject(tid, ada.id) is None


def _version(rt: Runtime) -> int:
    with rt.store.read() as tx:
        return tx.directory_version()


def test_a_database_at_the_previous_revision_upgrades_with_its_rows(database_url: str) -> None:
    store = Store(database_url)
    try:
        migrate(store, "0015")
        with store.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO tenants (id, name, created) VALUES "
                                 "('11111111-1111-1111-1111-111111111111', 'older', '2026-01-01T00:00:00Z')")
            conn.exec_driver_sql(
                "INSERT INTO directory_audits (id, tenant_id, created, correlation_id, activity, category, "
                "operation_type, result, initiator_name, targets) VALUES ('22222222-2222-2222-2222-222222222222', "
                "'11111111-1111-1111-1111-111111111111', '2026-01-01T00:00:00.000000Z', "
                "'33333333-3333-3333-3333-333333333333', 'Add application', 'ApplicationManagement', 'Add', "
                "'success', 'tenantd', '[]')")
        assert migrate(store) == ("0015", HEAD)
        with store.read() as tx:
            [row] = tx.directory_audits("11111111-1111-1111-1111-111111111111")
            assert row["activity"] == "Add application"
            assert tx.authorization_policy("11111111-1111-1111-1111-111111111111") == AuthorizationPolicy()
    finally:
        store.dispose()


def test_an_earlier_tenants_graph_gets_the_delegated_permissions_and_policy_roles(rt: Runtime) -> None:
    tenant = bootstrap.default_tenant(rt)
    admin = rt.directory.service_principal_by_app_id(tenant.id, bootstrap.admin_app_id(rt, tenant.id))
    graph = rt.directory.service_principal_by_app_id(tenant.id, builtins.GRAPH_APP_ID)
    policy_roles = {builtins.GRAPH_ROLES["Policy.Read.All"], builtins.GRAPH_ROLES["Policy.ReadWrite.Authorization"]}
    with rt.store.write() as tx:   # as an earlier version left it
        for a in tx.assignments(tenant.id, principal_ids=[admin.id], resource_id=graph.id):
            if a.app_role_id in policy_roles:
                tx.delete_assignment(a.id)
        tx.update_service_principal(replace(
            graph, app_roles=tuple(r for r in graph.app_roles if r.id not in policy_roles),
            oauth2_permission_scopes=tuple(s for s in graph.oauth2_permission_scopes if s.type == "User")))
    bootstrap.ensure_builtins(rt)
    refreshed = rt.directory.service_principal_by_app_id(tenant.id, builtins.GRAPH_APP_ID)
    scopes = {s.value: s.type for s in refreshed.oauth2_permission_scopes}
    assert scopes["Directory.ReadWrite.All"] == "Admin" and scopes["User.ReadBasic.All"] == "User"
    held = {a.app_role_id for a in rt.directory.assignments_of(tenant.id, admin.id) if a.resource_id == graph.id}
    assert held >= policy_roles
