"""Directory rules as Entra enforces them, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tenantd.domain import rules
from tenantd.domain.errors import BadRequest, NotFound
from tenantd.domain.ids import DEFAULT_ACCESS_ROLE_ID
from tenantd.runtime import Runtime

READ = "32028ccd-3212-4f39-3212-beabd6787d81"   # real-world GUID with unusual variant bits
WRITE = "6a1e5b4c-3d2f-4e1a-9b8c-7d6e5f4a3b2c"
USER_ONLY = "5b0e8a9d-1c2b-4a3f-8e7d-6c5b4a3f2e1d"


def _roles() -> list[dict[str, object]]:
    return [
        {"id": READ, "value": "Things.Read.All", "displayName": "Read", "allowedMemberTypes": ["Application", "User"]},
        {"id": WRITE, "value": "Things.Write", "displayName": "Write", "allowedMemberTypes": ["Application"]},
        {"id": USER_ONLY, "value": "Things.User", "displayName": "User", "allowedMemberTypes": ["User"]},
    ]


@pytest.fixture
def tenant_id(rt: Runtime) -> str:
    return rt.directory.create_tenant("contoso").id


def _api(rt: Runtime, tenant_id: str, uri: str = "api://things") -> str:
    app = rt.directory.create_application(tenant_id, "Things API", identifier_uris=[uri],
                                          app_roles=rules.app_roles(_roles()), with_service_principal=True)
    return rt.directory.service_principal_by_app_id(tenant_id, app.app_id).id


def _client(rt: Runtime, tenant_id: str, name: str = "web") -> str:
    app = rt.directory.create_application(tenant_id, name, with_service_principal=True)
    return rt.directory.service_principal_by_app_id(tenant_id, app.app_id).id


def _roles_of(rt: Runtime, tenant_id: str, holder_ids: list[str], resource_id: str) -> tuple[str, ...] | None:
    with rt.store.read() as tx:
        resource = tx.service_principal(tenant_id, resource_id)
        assert resource is not None
        return rt.tokens.roles(tx, holder_ids, resource)


def test_pinned_ids_are_kept_verbatim(rt: Runtime, tenant_id: str) -> None:
    pinned = "32028ccd-3212-4f39-3212-beabd6787d81"
    app = rt.directory.create_application(tenant_id, "Pinned", app_id=pinned, object_id=WRITE,
                                          app_roles=rules.app_roles(_roles()))
    stored = rt.directory.application_by_app_id(tenant_id, pinned)
    assert (stored.id, stored.app_id) == (WRITE, pinned) == (app.id, app.app_id)
    assert {r.id for r in stored.app_roles} == {READ, WRITE, USER_ONLY}


def test_identifier_uris_are_unique_per_tenant_case_insensitively(rt: Runtime, tenant_id: str) -> None:
    _api(rt, tenant_id, "api://things")
    with pytest.raises(BadRequest, match="identifierUris"):
        rt.directory.create_application(tenant_id, "Copy", identifier_uris=["API://Things"])
    assert [a.display_name for a in rt.directory.applications(tenant_id) if a.display_name == "Copy"] == []
    other = rt.directory.create_tenant("fabrikam").id
    _api(rt, other, "api://things")  # another tenant may use the same URI


def test_duplicate_assignment_is_refused_with_graphs_error(rt: Runtime, tenant_id: str) -> None:
    api, web = _api(rt, tenant_id), _client(rt, tenant_id)
    rt.directory.assign(tenant_id, web, api, READ)
    with pytest.raises(BadRequest, match="Permission being assigned already exists on the object."):
        rt.directory.assign(tenant_id, web, api, READ)
    assert len(rt.directory.assignments_of(tenant_id, web)) == 1


def test_role_must_exist_be_enabled_and_allow_the_member_type(rt: Runtime, tenant_id: str) -> None:
    api, web = _api(rt, tenant_id), _client(rt, tenant_id)
    user = rt.directory.create_user(tenant_id, "alice@contoso.test", "Alice").id
    with pytest.raises(BadRequest, match="not found"):
        rt.directory.assign(tenant_id, web, api, "11111111-2222-3333-4444-555555555555")
    with pytest.raises(BadRequest, match="not allowed for a ServicePrincipal"):
        rt.directory.assign(tenant_id, web, api, USER_ONLY)
    with pytest.raises(BadRequest, match="not allowed for a User"):
        rt.directory.assign(tenant_id, user, api, WRITE)
    app = rt.directory.application_by_app_id(tenant_id, rt.directory.service_principal(tenant_id, api).app_id)
    disabled = [{**r, "isEnabled": False} if r["id"] == WRITE else r for r in _roles()]
    rt.directory.update_application(tenant_id, app.id, {"appRoles": disabled})
    with pytest.raises(BadRequest, match="disabled"):
        rt.directory.assign(tenant_id, web, api, WRITE)
    assert rt.directory.assignments_of(tenant_id, web) == []
    assert rt.directory.assignments_of(tenant_id, user) == []


def test_default_access_assignment_grants_no_role(rt: Runtime, tenant_id: str) -> None:
    api, web = _api(rt, tenant_id), _client(rt, tenant_id)
    rt.directory.assign(tenant_id, web, api, DEFAULT_ACCESS_ROLE_ID)
    assert _roles_of(rt, tenant_id, [web], api) == ()


def test_unknown_principal_or_resource_is_not_a_valid_reference(rt: Runtime, tenant_id: str) -> None:
    api, web = _api(rt, tenant_id), _client(rt, tenant_id)
    with pytest.raises(BadRequest, match="Not a valid reference update."):
        rt.directory.assign(tenant_id, "11111111-2222-3333-4444-555555555555", api, READ)
    with pytest.raises(BadRequest, match="Not a valid reference update."):
        rt.directory.assign(tenant_id, web, "11111111-2222-3333-4444-555555555555", READ)


def test_deleting_a_principal_or_a_resource_removes_its_assignments(rt: Runtime, tenant_id: str) -> None:
    api, web, other = _api(rt, tenant_id), _client(rt, tenant_id), _client(rt, tenant_id, "other")
    rt.directory.assign(tenant_id, web, api, READ)
    rt.directory.assign(tenant_id, other, api, READ)
    rt.directory.delete_service_principal(tenant_id, web)
    assert [a.principal_id for a in rt.directory.assignments_to(tenant_id, api)] == [other]
    rt.directory.delete_application(tenant_id, rt.directory.application_by_app_id(
        tenant_id, rt.directory.service_principal(tenant_id, api).app_id).id)
    assert rt.directory.assignments_of(tenant_id, other) == []
    with pytest.raises(NotFound):
        rt.directory.service_principal(tenant_id, api)


def test_an_assigned_role_is_deleted_only_after_it_is_disabled_and_unassigned(rt: Runtime, tenant_id: str) -> None:
    api, web = _api(rt, tenant_id), _client(rt, tenant_id)
    assignment = rt.directory.assign(tenant_id, web, api, READ)
    app_id = rt.directory.service_principal(tenant_id, api).app_id
    app = rt.directory.application_by_app_id(tenant_id, app_id)
    without_read = [r for r in _roles() if r["id"] != READ]
    with pytest.raises(BadRequest, match="must be disabled"):
        rt.directory.update_application(tenant_id, app.id, {"appRoles": without_read})
    rt.directory.update_application(tenant_id, app.id, {"appRoles": [
        {**r, "isEnabled": False} if r["id"] == READ else r for r in _roles()]})
    assert _roles_of(rt, tenant_id, [web], api) == ()  # a disabled role leaves the token
    with pytest.raises(BadRequest, match="still has assignments"):
        rt.directory.update_application(tenant_id, app.id, {"appRoles": without_read})
    rt.directory.unassign(tenant_id, assignment.id, principal_id=web)
    rt.directory.update_application(tenant_id, app.id, {"appRoles": without_read})
    assert {r.id for r in rt.directory.service_principal(tenant_id, api).app_roles} == {WRITE, USER_ONLY}


def test_group_roles_reach_direct_user_members_only(rt: Runtime, tenant_id: str) -> None:
    api = _api(rt, tenant_id)
    alice = rt.directory.create_user(tenant_id, "alice@contoso.test", "Alice")
    bob = rt.directory.create_user(tenant_id, "bob@contoso.test", "Bob")
    web = _client(rt, tenant_id)
    readers = rt.directory.create_group(tenant_id, "Things readers").id
    nested = rt.directory.create_group(tenant_id, "Nested").id
    rt.directory.add_member(tenant_id, readers, alice.id)
    rt.directory.add_member(tenant_id, readers, nested)
    rt.directory.add_member(tenant_id, readers, web)
    rt.directory.add_member(tenant_id, nested, bob.id)
    rt.directory.assign(tenant_id, readers, api, READ)
    with rt.store.read() as tx:
        resource = tx.service_principal(tenant_id, api)
        web_sp = tx.service_principal(tenant_id, web)
        assert resource is not None and web_sp is not None
        assert rt.tokens.roles(tx, rt.tokens.role_holders(tx, alice), resource) == ("Things.Read.All",)
        assert rt.tokens.roles(tx, rt.tokens.role_holders(tx, bob), resource) is None   # nested group
        assert rt.tokens.roles(tx, rt.tokens.role_holders(tx, web_sp), resource) is None  # SP in a group


def test_tenants_are_isolated(rt: Runtime, tenant_id: str) -> None:
    api = _api(rt, tenant_id)
    other = rt.directory.create_tenant("fabrikam").id
    web = _client(rt, other)
    with pytest.raises(BadRequest, match="Not a valid reference update."):
        rt.directory.assign(other, web, api, READ)
    with pytest.raises(NotFound):
        rt.directory.service_principal(other, api)
    assert "Things API" not in {a.display_name for a in rt.directory.applications(other)}


def test_every_tenant_holds_graph_and_tenantd_service_principals(rt: Runtime, tenant_id: str) -> None:
    graph = rt.directory.service_principal_by_app_id(tenant_id, "00000003-0000-0000-c000-000000000000")
    assert graph.display_name == "Microsoft Graph"
    assert {"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"} <= {r.value for r in graph.app_roles}


def test_ensure_builtins_adds_what_an_older_tenant_lacks(rt: Runtime, tenant_id: str) -> None:
    vault = rt.directory.service_principal_by_app_id(tenant_id, "cfa8b339-82a2-471a-a3c9-0fc0be7a4093")
    rt.directory.delete_service_principal(tenant_id, vault.id)
    assert rt.directory.ensure_builtins(tenant_id) == ["Azure Key Vault"]
    assert rt.directory.ensure_builtins(tenant_id) == []
    with rt.store.read() as tx:
        assert tx.identifier_uri_owner(tenant_id, "https://vault.azure.net") is not None
