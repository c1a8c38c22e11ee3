"""export: the tenant as a file that applies back to the same tenant with no changes."""

from __future__ import annotations

import yaml

from tenantd.domain import builtins
from tenantd.domain.model import AppRole
from tenantd.runtime import Runtime
from tenantd.tenantfile import apply_document, dump_yaml, export_tenant, load_text

from .conftest import apply, snapshot

UA = ("/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg/providers/"
      "Microsoft.ManagedIdentity/userAssignedIdentities/worker")


def busy_tenant(rt: Runtime, tenant_id: str) -> None:
    """Everything export has to name carefully: twins, an app without a service principal, a nameless
    secret, a disabled role still assigned, nested groups, a built-in resource, a twin's and a user's grants."""
    d = rt.directory
    role = AppRole(id="32028ccd-3212-4f39-3212-beabd6787d81", value="Things.Read.All", display_name="Read",
                   description="", allowed_member_types=("Application", "User"))
    old = AppRole(id="42028ccd-3212-4f39-3212-beabd6787d81", value=None, display_name="Old",
                  description="d", allowed_member_types=("User",))
    api = d.create_application(tenant_id, "Things API", identifier_uris=["api://things"], app_roles=[role, old],
                               requested_access_token_version=2, with_service_principal=True)
    twin_a = d.create_application(tenant_id, "Twin", with_service_principal=True)
    d.create_application(tenant_id, "Twin")
    d.add_password(tenant_id, twin_a.id)
    d.add_password(tenant_id, twin_a.id, "named")
    api_sp = d.service_principal_by_app_id(tenant_id, api.app_id)
    twin_sp = d.service_principal_by_app_id(tenant_id, twin_a.app_id)
    d.update_service_principal(tenant_id, twin_sp.id, {"appRoleAssignmentRequired": True})
    msi = d.create_managed_identity(tenant_id, "web", "SystemAssigned",
                                    "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Web/sites/web")
    worker = d.create_managed_identity(tenant_id, "worker", "UserAssigned", UA)
    bob = d.create_user(tenant_id, "bob@contoso.test", "Bob", account_enabled=False)
    readers = d.create_group(tenant_id, "Readers", "People who read")
    twin_group = d.create_group(tenant_id, "Twin")
    for member in (bob.id, msi.id, twin_group.id):
        d.add_member(tenant_id, readers.id, member)
    graph = d.service_principal_by_app_id(tenant_id, builtins.GRAPH_APP_ID)
    d.assign(tenant_id, twin_sp.id, graph.id, builtins.GRAPH_ROLES["User.Read.All"])
    d.assign(tenant_id, readers.id, api_sp.id, role.id)
    d.assign(tenant_id, bob.id, api_sp.id, old.id)
    d.assign(tenant_id, worker.id, api_sp.id, "00000000-0000-0000-0000-000000000000")
    d.update_application(tenant_id, api.id, {"appRoles": [role.to_graph(), {**old.to_graph(), "isEnabled": False}]})
    d.create_grant(tenant_id, twin_sp.id, "AllPrincipals", None, graph.id, "User.Read")
    d.create_grant(tenant_id, msi.id, "Principal", bob.id, graph.id, "openid User.Read")


def test_export_applies_back_with_no_changes(rt: Runtime, tenant_id: str) -> None:
    busy_tenant(rt, tenant_id)
    before = snapshot(rt, tenant_id)
    text = dump_yaml(export_tenant(rt.store, tenant_id))
    doc = load_text(text, "export.yaml")
    for prune in (False, True):
        result = apply_document(rt.store, rt.directory, tenant_id, doc, prune=prune)
        assert result.changes == [], text
    assert snapshot(rt, tenant_id) == before


def test_export_leaves_out_builtins_the_admin_and_secret_values(rt: Runtime, tenant_id: str) -> None:
    busy_tenant(rt, tenant_id)
    exported = export_tenant(rt.store, tenant_id)
    text = yaml.safe_dump(exported)
    assert builtins.ADMIN_APP_NAME not in text and builtins.TENANTD_APP_ID not in text
    assert "secretText" not in text and "secret_hash" not in text
    names = [a["displayName"] for a in exported["applications"]]
    assert names == ["Things API", "Twin", "Twin"]
    twin = next(a for a in exported["applications"] if a["passwordCredentials"])
    nameless, named = sorted(twin["passwordCredentials"], key=lambda c: "displayName" in c)
    assert set(nameless) == {"keyId", "hint", "startDateTime", "endDateTime"} and named["displayName"] == "named"
    assert exported["tenant"] == {"id": tenant_id, "name": "default"}


def test_export_uses_names_where_they_are_unambiguous_and_ids_elsewhere(rt: Runtime, tenant_id: str) -> None:
    busy_tenant(rt, tenant_id)
    exported = export_tenant(rt.store, tenant_id)
    snap = snapshot(rt, tenant_id)
    twin_sp = next(sp for sp in snap.service_principals if sp.display_name == "Twin")
    twin_group = next(g for g in snap.groups if g.display_name == "Twin")
    assert exported["assignments"] == sorted([
        {"principal": "bob@contoso.test", "resource": "Things API", "role": "42028ccd-3212-4f39-3212-beabd6787d81"},
        {"principal": "Readers", "resource": "Things API", "role": "Things.Read.All"},
        {"principal": "worker", "resource": "Things API", "role": "00000000-0000-0000-0000-000000000000"},
        {"principal": twin_sp.id, "resource": "Microsoft Graph", "role": "User.Read.All"},
    ], key=lambda a: (a["resource"].casefold(), a["principal"].casefold(), a["role"]))
    [readers] = [g for g in exported["groups"] if g["displayName"] == "Readers"]
    assert readers["members"] == sorted(["bob@contoso.test", "web", twin_group.id], key=str.casefold)
    assert readers["description"] == "People who read"
    worker = next(i for i in exported["managedIdentities"] if i["name"] == "worker")
    assert worker["resourceId"] == UA and "host" not in worker


def test_a_demo_style_file_round_trips_through_export(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, "applications:\n  - displayName: A\n    passwordCredentials: [{displayName: dev}]\n"
                         "users:\n  - {userPrincipalName: a@contoso.test, displayName: A}\n")
    text = yaml.safe_dump(export_tenant(rt.store, tenant_id), sort_keys=False)
    assert apply(rt, tenant_id, text).changes == []
