"""Directory role assignments in the store, on both databases: concurrent identical assignments leave one row
(the others a deterministic refusal), each change advances the directory version, and a tenant made before
Graph had its RoleManagement permissions gets them (and its admin app holds them) at the next start."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from tenantd import bootstrap
from tenantd.domain import builtins
from tenantd.domain.errors import BadRequest, NotFound
from tenantd.runtime import Runtime

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
ROLE_PERMISSIONS = {builtins.GRAPH_ROLES[name] for name in builtins.GRAPH_ROLES if name.startswith("RoleManagement.")}


def test_concurrent_identical_assignments_leave_one(rt: Runtime) -> None:
    tenant = rt.directory.create_tenant("contoso")
    user = rt.directory.create_user(tenant.id, "ada@contoso.test", "Ada")

    def attempt(_: int) -> str:
        try:
            rt.directory.assign_directory_role(tenant.id, user.id, GLOBAL_ADMIN)
        except BadRequest as exc:
            return exc.message
        return "assigned"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(24)))
    assert outcomes.count("assigned") == 1
    assert set(outcomes) - {"assigned"} == {"A conflicting object with one or more of the specified property values "
                                            "is present in the directory."}
    assert len(rt.directory.directory_role_assignments(tenant.id, principal_id=user.id)) == 1


def test_each_role_change_advances_the_directory_version(rt: Runtime) -> None:
    tenant = rt.directory.create_tenant("contoso")
    user = rt.directory.create_user(tenant.id, "ada@contoso.test", "Ada")

    def version() -> int:
        with rt.store.read() as tx:
            return tx.directory_version()

    before = version()
    assignment = rt.directory.assign_directory_role(tenant.id, user.id, GLOBAL_ADMIN)
    assert version() == before + 1
    rt.directory.unassign_directory_role(tenant.id, assignment.id)
    assert version() == before + 2


def test_an_earlier_tenants_graph_gets_its_role_management_permissions(rt: Runtime) -> None:
    tenant = bootstrap.default_tenant(rt)
    admin_app_id = bootstrap.admin_app_id(rt, tenant.id)
    graph = rt.directory.service_principal_by_app_id(tenant.id, builtins.GRAPH_APP_ID)
    admin = rt.directory.service_principal_by_app_id(tenant.id, admin_app_id)
    with rt.store.write() as tx:   # as an earlier version left it: neither the roles nor their assignments
        for a in tx.assignments(tenant.id, principal_ids=[admin.id], resource_id=graph.id):
            if a.app_role_id in ROLE_PERMISSIONS:
                tx.delete_assignment(a.id)
        tx.update_service_principal(replace(graph, app_roles=tuple(
            r for r in graph.app_roles if r.id not in ROLE_PERMISSIONS)))

    bootstrap.ensure_builtins(rt)
    refreshed = rt.directory.service_principal_by_app_id(tenant.id, builtins.GRAPH_APP_ID)
    assert {r.id for r in refreshed.app_roles} >= ROLE_PERMISSIONS
    held = {a.app_role_id for a in rt.directory.assignments_of(tenant.id, admin.id) if a.resource_id == graph.id}
    assert held >= ROLE_PERMISSIONS
    with rt.store.read() as tx:
        version = tx.directory_version()
    bootstrap.ensure_builtins(rt)   # a start with nothing to add writes nothing
    with rt.store.read() as tx:
        assert tx.directory_version() == version


@pytest.mark.parametrize("role", ["", "not-a-role", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_role_is_refused(rt: Runtime, role: str) -> None:
    tenant = rt.directory.create_tenant("contoso")
    user = rt.directory.create_user(tenant.id, "ada@contoso.test", "Ada")
    with pytest.raises(NotFound):
        rt.directory.assign_directory_role(tenant.id, user.id, role)
    assert rt.directory.directory_role_assignments(tenant.id) == []
