"""``users[].directoryRoles`` in the tenant file: roles given by display name or template id, a second apply
that changes nothing, export and apply of the export round-tripping, --prune taking unlisted roles, an entry
without the field leaving roles alone, and errors that name the line and change nothing."""

from __future__ import annotations

import pytest

from tenantd.runtime import Runtime
from tenantd.tenantfile import TenantFileError, dump_yaml, export_tenant, load_text, schema
from tenantd.tenantfile.apply import apply_document
from tenantd.tenantfile.export import stream_tenant

from .conftest import apply, snapshot

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"

TENANT = f"""
users:
  - userPrincipalName: ada@contoso.test
    displayName: Ada
    directoryRoles: [Global Administrator, {APP_ADMIN}]
  - userPrincipalName: bob@contoso.test
    displayName: Bob
    directoryRoles: [global reader]
  - userPrincipalName: cy@contoso.test
    displayName: Cy
"""


def held(rt: Runtime, tenant_id: str) -> dict[str, list[str]]:
    snap = snapshot(rt, tenant_id)
    names = {u.id: u.user_principal_name for u in snap.users}
    found: dict[str, list[str]] = {}
    for a in snap.role_assignments:
        found.setdefault(names[a.principal_id], []).append(a.role_definition_id)
    return {upn: sorted(roles) for upn, roles in found.items()}


def test_roles_are_given_once_and_round_trip_through_export(rt: Runtime, tenant_id: str) -> None:
    first = apply(rt, tenant_id, TENANT)
    assert [c for c in first.changes if "directory role" in c] == [
        "give directory role 'Global Administrator' to user 'ada@contoso.test'",
        "give directory role 'Application Administrator' to user 'ada@contoso.test'",
        "give directory role 'Global Reader' to user 'bob@contoso.test'"]
    assert held(rt, tenant_id) == {"ada@contoso.test": sorted([GLOBAL_ADMIN, APP_ADMIN]),
                                   "bob@contoso.test": [GLOBAL_READER]}
    assert apply(rt, tenant_id, TENANT).changes == []

    exported = export_tenant(rt.store, tenant_id)
    users = {u["userPrincipalName"]: u for u in exported["users"]}
    assert users["ada@contoso.test"]["directoryRoles"] == ["Application Administrator", "Global Administrator"]
    assert users["bob@contoso.test"]["directoryRoles"] == ["Global Reader"]
    assert "directoryRoles" not in users["cy@contoso.test"]
    again = apply_document(rt.store, rt.directory, tenant_id, load_text(dump_yaml(exported), "export.yaml"),
                           prune=True)
    assert again.changes == []


def test_prune_takes_unlisted_roles_and_an_entry_without_the_field_keeps_them(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    fewer = TENANT.replace(f"[Global Administrator, {APP_ADMIN}]", "[Global Administrator]").replace(
        "    directoryRoles: [global reader]\n", "")
    assert [c for c in apply(rt, tenant_id, fewer).changes if "directory role" in c] == []   # nothing pruned
    pruned = apply(rt, tenant_id, fewer, prune=True)
    assert [c for c in pruned.changes if "directory role" in c] == [
        "take directory role 'Application Administrator' from user 'ada@contoso.test'"]
    assert held(rt, tenant_id) == {"ada@contoso.test": [GLOBAL_ADMIN], "bob@contoso.test": [GLOBAL_READER]}
    emptied = apply(rt, tenant_id, fewer.replace("[Global Administrator]", "[]"), prune=True)
    assert "take directory role 'Global Administrator' from user 'ada@contoso.test'" in emptied.changes
    assert held(rt, tenant_id) == {"bob@contoso.test": [GLOBAL_READER]}


@pytest.mark.parametrize(("roles", "expected"), [
    ("[Astronaut]", "tenant.yaml:5: users[0].directoryRoles[0]: no directory role 'Astronaut'"),
    ("[Global Reader, f2ef992c-3afb-46b9-b7cf-a126ee74c451]",
     "tenant.yaml:5: users[0].directoryRoles[1]: directory role 'Global Reader' is listed twice"),
    ("Global Reader", "users[0].directoryRoles"),
    ("['']", "users[0].directoryRoles[0]"),
])
def test_a_wrong_role_is_an_error_that_changes_nothing(rt: Runtime, tenant_id: str, roles: str,
                                                       expected: str) -> None:
    text = f"""
users:
  - userPrincipalName: dee@contoso.test
    displayName: Dee
    directoryRoles: {roles}
"""
    before = snapshot(rt, tenant_id)
    with pytest.raises(TenantFileError) as caught:
        apply(rt, tenant_id, text)
    assert snapshot(rt, tenant_id) == before
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_the_schema_documents_the_field() -> None:
    field = schema()["properties"]["users"]["items"]["properties"]["directoryRoles"]
    assert field["type"] == "array" and field["items"]["type"] == "string"


def test_a_large_tenants_streamed_export_writes_the_roles_too(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    streamed = [entry for section, entry in stream_tenant(rt.store, tenant_id, small=0) if section == "users"]
    assert streamed == export_tenant(rt.store, tenant_id)["users"]
    assert {u["userPrincipalName"]: u.get("directoryRoles") for u in streamed} == {
        "ada@contoso.test": ["Application Administrator", "Global Administrator"],
        "bob@contoso.test": ["Global Reader"], "cy@contoso.test": None}
