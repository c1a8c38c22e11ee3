"""apply: plan against the tenant, change what differs, say what changed, and nothing at all on error."""

from __future__ import annotations

import pytest

from tenantd.domain import builtins
from tenantd.runtime import Runtime
from tenantd.tenantfile import TenantFileError

from .conftest import apply, snapshot

HOST = ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites/"
        "joonasmsitest")

TENANT = f"""
applications:
  - displayName: Things API
    identifierUris: [api://things]
    appRoles:
      - allowedMemberTypes: [Application, User]
        displayName: Read all things
        id: 32028ccd-3212-4f39-3212-beabd6787d81
        isEnabled: true
        description: Allow the application to read all things as itself.
        value: Things.Read.All
  - displayName: Things web (dev)
    passwordCredentials:
      - displayName: dev
managedIdentities:
  - name: joonasmsitest
    type: SystemAssigned
    host: {HOST}
  - name: orders-worker
    type: UserAssigned
    attachedTo: [{HOST}]
users:
  - userPrincipalName: alice@contoso.test
    displayName: Alice
groups:
  - displayName: Things readers
    members: [alice@contoso.test]
assignments:
  - {{principal: joonasmsitest, resource: Things API, role: Things.Read.All}}
  - {{principal: Things web (dev), resource: Things API, role: Things.Read.All}}
  - {{principal: Things readers, resource: Things API, role: 32028ccd-3212-4f39-3212-beabd6787d81}}
  - {{principal: orders-worker, resource: Things API, role: 00000000-0000-0000-0000-000000000000}}
"""


def problems(rt: Runtime, tenant_id: str, text: str, **options: bool) -> list[str]:
    before = snapshot(rt, tenant_id)
    with pytest.raises(TenantFileError) as caught:
        apply(rt, tenant_id, text, **options)
    assert snapshot(rt, tenant_id) == before, "a file with an error must change nothing"
    return caught.value.problems


def test_apply_creates_everything_and_a_second_apply_changes_nothing(rt: Runtime, tenant_id: str) -> None:
    first = apply(rt, tenant_id, TENANT)
    snap = snapshot(rt, tenant_id)
    api = next(a for a in snap.applications if a.display_name == "Things API")
    web = next(a for a in snap.applications if a.display_name == "Things web (dev)")
    msi = next(sp for sp in snap.identities if sp.managed_identity_name == "joonasmsitest")
    ua = next(sp for sp in snap.identities if sp.managed_identity_name == "orders-worker")
    api_sp, web_sp = snap.sp_of(api), snap.sp_of(web)
    assert api_sp is not None and web_sp is not None
    assert first.applied and first.changes == [
        f"create application 'Things API' (appId {api.app_id})",
        f"create service principal for 'Things API' ({api_sp.id})",
        f"create application 'Things web (dev)' (appId {web.app_id})",
        f"create service principal for 'Things web (dev)' ({web_sp.id})",
        "add password 'dev' to application 'Things web (dev)' (secret generated)",
        f"create managed identity 'joonasmsitest' (SystemAssigned, clientId {msi.app_id})",
        f"create managed identity 'orders-worker' (UserAssigned, clientId {ua.app_id})",
        f"attach managed identity 'orders-worker' to {HOST}",
        "create user 'alice@contoso.test'",
        "create group 'Things readers'",
        "add user 'alice@contoso.test' to group 'Things readers'",
        "assign Things.Read.All on 'Things API' to managed identity 'joonasmsitest'",
        "assign Things.Read.All on 'Things API' to application 'Things web (dev)'",
        "assign Things.Read.All on 'Things API' to group 'Things readers'",
        "assign default access on 'Things API' to managed identity 'orders-worker'",
    ]
    assert msi.managed_identity_resource_id == HOST
    assert ua.managed_identity_resource_id == ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
                                               "tenantd/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
                                               "orders-worker")
    assert {(a.principal_display_name, a.app_role_id) for a in snap.assignments if a.resource_id == api_sp.id} == {
        ("joonasmsitest", "32028ccd-3212-4f39-3212-beabd6787d81"),
        ("Things web (dev)", "32028ccd-3212-4f39-3212-beabd6787d81"),
        ("Things readers", "32028ccd-3212-4f39-3212-beabd6787d81"),
        ("orders-worker", "00000000-0000-0000-0000-000000000000"),
    }
    [secret] = first.secrets
    assert (secret.application, secret.app_id, secret.display_name) == ("Things web (dev)", web.app_id, "dev")
    [cred] = web.password_credentials
    assert cred.key_id == secret.key_id and rt.tokens.hasher.matches(secret.secret_text, cred.secret_hash)

    again = apply(rt, tenant_id, TENANT)
    assert (again.changes, again.secrets, again.summary) == ([], [], "no changes")
    assert snapshot(rt, tenant_id) == snap


def test_changed_fields_are_updated_and_named(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    changed = (TENANT.replace("identifierUris: [api://things]",
                              "identifierUris: [api://things, https://things.contoso.test]\n"
                              "    accessTokenAcceptedVersion: 2")
               .replace("displayName: Alice", "displayName: Alice A.\n    accountEnabled: false"))
    result = apply(rt, tenant_id, changed)
    assert result.changes == ["update application 'Things API': identifierUris, accessTokenAcceptedVersion",
                              "update user 'alice@contoso.test': displayName, accountEnabled"]
    api = next(a for a in snapshot(rt, tenant_id).applications if a.display_name == "Things API")
    assert api.identifier_uris == ("api://things", "https://things.contoso.test")
    assert api.requested_access_token_version == 2
    assert apply(rt, tenant_id, changed).changes == []


def test_omitted_fields_are_left_as_they_are(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    result = apply(rt, tenant_id, "applications:\n  - displayName: Things API\n")
    assert result.changes == []
    api = next(a for a in snapshot(rt, tenant_id).applications if a.display_name == "Things API")
    assert api.identifier_uris == ("api://things",) and len(api.app_roles) == 1


def test_pinned_ids_are_kept_verbatim_whatever_their_bits(rt: Runtime, tenant_id: str) -> None:
    text = f"""
tenant: {{id: {tenant_id.upper()}}}
applications:
  - displayName: Pinned
    id: 32028ccd-3212-4f39-3212-beabd6787d81
    appId: 5f2b3c1e-0d4a-0e8b-0c7d-2a1b0c9d8e7f
    appRoles:
      - {{allowedMemberTypes: [Application], displayName: R, id: FFFFFFFF-0000-0000-0000-000000000001, value: R}}
    servicePrincipal: {{id: 9b8a7c6d-5e4f-ffff-ffff-1e0f9a8b7c6d, appRoleAssignmentRequired: true}}
managedIdentities:
  - name: web
    type: SystemAssigned
    host: {HOST}
    clientId: 00000000-1111-2222-3333-444444444444
    servicePrincipal: {{id: 0a1b2c3d-4e5f-0a6b-0c7d-9e0f1a2b3c4d}}
users:
  - {{userPrincipalName: a@contoso.test, displayName: A, id: 12345678-1234-1234-1234-123456789abc}}
groups:
  - {{displayName: G, id: abcdefab-cdef-abcd-efab-cdefabcdefab}}
"""
    apply(rt, tenant_id, text)
    snap = snapshot(rt, tenant_id)
    app = next(a for a in snap.applications if a.display_name == "Pinned")
    sp = snap.sp_of(app)
    assert (app.id, app.app_id) == ("32028ccd-3212-4f39-3212-beabd6787d81", "5f2b3c1e-0d4a-0e8b-0c7d-2a1b0c9d8e7f")
    assert app.app_roles[0].id == "ffffffff-0000-0000-0000-000000000001"
    assert sp is not None and sp.id == "9b8a7c6d-5e4f-ffff-ffff-1e0f9a8b7c6d" and sp.app_role_assignment_required
    [msi] = snap.identities
    assert (msi.id, msi.app_id) == ("0a1b2c3d-4e5f-0a6b-0c7d-9e0f1a2b3c4d", "00000000-1111-2222-3333-444444444444")
    assert [u.id for u in snap.users] == ["12345678-1234-1234-1234-123456789abc"]
    assert [g.id for g in snap.groups] == ["abcdefab-cdef-abcd-efab-cdefabcdefab"]
    assert apply(rt, tenant_id, text).changes == []


def test_a_file_with_any_error_changes_nothing(rt: Runtime, tenant_id: str) -> None:
    broken = TENANT + "  - {principal: nobody@contoso.test, resource: Things API, role: Things.Read.All}\n"
    found = problems(rt, tenant_id, broken)
    assert found == ["tenant.yaml:33: assignments[4].principal: no principal 'nobody@contoso.test' in the file or "
                     "the tenant; did you mean 'alice@contoso.test'?"]
    assert not snapshot(rt, tenant_id).users


def test_references_roles_and_member_types_are_checked_before_writing(rt: Runtime, tenant_id: str) -> None:
    text = TENANT.replace("allowedMemberTypes: [Application, User]", "allowedMemberTypes: [Application]") + (
        "  - {principal: joonasmsitest, resource: Things APi, role: Things.Read.All}\n"      # 33
        "  - {principal: joonasmsitest, resource: Things API, role: Things.Write}\n"         # 34
        "  - {principal: Things web (dev), resource: Microsoft Graph, role: User.Read.All}\n"
    )
    found = problems(rt, tenant_id, text)
    assert found[:2] == [
        "tenant.yaml:31: assignments[2].role: Permission being assigned is not allowed for a Group: app role "
        "'Things.Read.All' allows Application.",
        "tenant.yaml:33: assignments[4].resource: no resource 'Things APi' in the file or the tenant; did you mean "
        "'Things API'?",
    ]
    assert found[2].startswith("tenant.yaml:34: assignments[5].role: application 'Things API' (")
    assert found[2].endswith(") has no role 'Things.Write' (its roles: Things.Read.All)")
    assert len(found) == 3  # the Graph role on the built-in Microsoft Graph resolves


def test_ambiguous_names_list_the_candidates(rt: Runtime, tenant_id: str) -> None:
    one = rt.directory.create_group(tenant_id, "Readers")
    two = rt.directory.create_group(tenant_id, "Readers")
    found = problems(rt, tenant_id, "groups:\n  - displayName: Readers\n")
    first, second = sorted([one.id, two.id])
    assert found == [f"tenant.yaml:2: groups[0]: 2 existing groups are named 'Readers': {first}, {second}; "
                     "pin the id of the one this entry means"]
    app = rt.directory.create_application(tenant_id, "Readers", with_service_principal=True)
    sp = rt.directory.service_principal_by_app_id(tenant_id, app.app_id)
    found = problems(rt, tenant_id, "users:\n  - {userPrincipalName: a@contoso.test, displayName: A}\n"
                                    "assignments:\n  - {principal: Readers, resource: Readers, role: "
                                    "00000000-0000-0000-0000-000000000000}\n")
    assert found == [f"tenant.yaml:4: assignments[0].principal: 'Readers' is ambiguous: it names application "
                     f"'Readers' ({sp.id}), group 'Readers' ({first}), group 'Readers' ({second}); use an id "
                     "instead"]
    result = apply(rt, tenant_id, f"assignments:\n  - {{principal: {two.id}, resource: Readers, "
                                  "role: 00000000-0000-0000-0000-000000000000}\n")
    assert result.changes == ["assign default access on 'Readers' to group 'Readers'"]


def test_the_tenant_pin_must_be_this_tenant(rt: Runtime, tenant_id: str) -> None:
    found = problems(rt, tenant_id, "tenant: {id: 8c3dad1d-b6bc-4f8b-939b-8263372eced6, name: contoso}\n")
    assert found == [f"tenant.yaml:1: tenant.id: the file is for tenant 8c3dad1d-b6bc-4f8b-939b-8263372eced6, "
                     f"but this is tenant 'default' ({tenant_id})"]


def test_pins_colliding_with_existing_objects_are_refused(rt: Runtime, tenant_id: str) -> None:
    user = rt.directory.create_user(tenant_id, "bob@contoso.test", "Bob")
    graph = rt.directory.service_principal_by_app_id(tenant_id, builtins.GRAPH_APP_ID)
    found = problems(rt, tenant_id, f"applications:\n  - displayName: A\n    id: {user.id}\n"
                                    f"    appId: {builtins.GRAPH_APP_ID}\n"
                                    f"groups:\n  - displayName: G\n    id: {graph.id}\n")
    assert found == [
        f"tenant.yaml:3: applications[0].id: id {user.id} is already held by another object (object ids are "
        "unique across tenants)",
        f"tenant.yaml:4: applications[0].appId: appId {builtins.GRAPH_APP_ID} is already held by another "
        "application or service principal (appIds are unique across tenants)",
        f"tenant.yaml:7: groups[0].id: id {graph.id} is already held by another object (object ids are unique "
        "across tenants)",
    ]


def test_the_admin_app_cannot_be_managed_by_a_file(rt: Runtime, tenant_id: str) -> None:
    admin = next(a for a in snapshot(rt, tenant_id).applications if a.display_name == builtins.ADMIN_APP_NAME)
    assert problems(rt, tenant_id, "applications:\n  - displayName: tenantd admin\n") == [
        "tenant.yaml:2: applications[0].displayName: 'tenantd admin' is the name of tenantd's admin application"]
    assert problems(rt, tenant_id, f"applications:\n  - displayName: mine\n    appId: {admin.app_id}\n") == [
        "tenant.yaml:3: applications[0].appId: this is tenantd's admin application, which a tenant file cannot manage"]


def test_identifier_uris_stay_unique_in_the_tenant(rt: Runtime, tenant_id: str) -> None:
    rt.directory.create_application(tenant_id, "Other", identifier_uris=["api://things"])
    assert problems(rt, tenant_id, "applications:\n  - displayName: A\n    identifierUris: [API://Things]\n") == [
        "tenant.yaml:3: applications[0].identifierUris: API://Things is already an identifier URI of application "
        "'Other'"]
    assert problems(rt, tenant_id, "applications:\n  - displayName: A\n    identifierUris: [api://tenantd]\n") == [
        "tenant.yaml:3: applications[0].identifierUris: api://tenantd is already an identifier URI of service "
        "principal 'tenantd'"]


def test_a_role_is_disabled_before_it_is_removed(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    without_role = TENANT.split("    appRoles:")[0] + "    appRoles: []\n" + TENANT.split("value: Things.Read.All\n")[1]
    without_role = without_role.split("assignments:")[0]
    found = problems(rt, tenant_id, without_role)
    assert found == ["tenant.yaml:5: applications[0].appRoles: Property 'appRoles' cannot be updated: the app role "
                     "'Things.Read.All' must be disabled (isEnabled: false) before it can be deleted."]
    disabled = TENANT.replace("isEnabled: true", "isEnabled: false")
    assert apply(rt, tenant_id, disabled).changes == ["update application 'Things API': appRoles"]
    assert problems(rt, tenant_id, without_role) == [
        "tenant.yaml:5: applications[0].appRoles: Property 'appRoles' cannot be updated: the app role "
        "'Things.Read.All' still has assignments; remove them first."]
    result = apply(rt, tenant_id, without_role, prune=True)
    assert "update application 'Things API': appRoles" in result.changes
    after = snapshot(rt, tenant_id)
    assert {a.principal_id for a in after.assignments} == {after.admin_sp_id}


def test_prune_lists_what_it_removes_and_keeps_builtins_and_the_admin(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    before = snapshot(rt, tenant_id)
    admin_grants = [a for a in before.assignments if a.principal_id == before.admin_sp_id]
    assert len(admin_grants) == len(builtins.GRAPH_ROLES) + len(builtins.AAD_GRAPH_ROLES) + len(builtins.TENANTD_ROLES)
    keep = """
applications:
  - displayName: Things API
    servicePrincipal: false
users:
  - userPrincipalName: alice@contoso.test
    displayName: Alice
groups:
  - displayName: Things readers
    members: []
"""
    assert apply(rt, tenant_id, keep).changes == []  # without prune nothing is removed
    result = apply(rt, tenant_id, keep, prune=True)
    api = next(a for a in before.applications if a.display_name == "Things API")
    web = next(a for a in before.applications if a.display_name == "Things web (dev)")
    api_sp = before.sp_of(api)
    assert api_sp is not None
    msi = {sp.managed_identity_name: sp for sp in before.identities}
    assert result.changes == [
        "remove assignment default access on 'Things API' from 'orders-worker'",
        "remove assignment Things.Read.All on 'Things API' from 'joonasmsitest'",
        "remove assignment Things.Read.All on 'Things API' from 'Things readers'",
        "remove assignment Things.Read.All on 'Things API' from 'Things web (dev)'",
        "remove user 'alice@contoso.test' from group 'Things readers'",
        f"delete application 'Things web (dev)' (appId {web.app_id})",
        f"delete managed identity 'joonasmsitest' (clientId {msi['joonasmsitest'].app_id})",
        f"delete managed identity 'orders-worker' (clientId {msi['orders-worker'].app_id})",
        f"delete service principal of application 'Things API' ({api_sp.id})",
    ]
    after = snapshot(rt, tenant_id)
    assert sorted(a.display_name for a in after.applications) == ["Things API", builtins.ADMIN_APP_NAME]
    assert {sp.display_name for sp in after.service_principals} == {
        *(sp.display_name for sp in before.builtin_sps), builtins.ADMIN_APP_NAME}
    assert {"Microsoft Graph", builtins.AAD_GRAPH_NAME, "tenantd"} <= {sp.display_name for sp in before.builtin_sps}
    assert after.assignments == admin_grants
    assert after.members == {after.groups[0].id: []}
    assert apply(rt, tenant_id, keep, prune=True).changes == []


def test_prune_removes_undeclared_credentials_of_declared_lists_only(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    web = next(a for a in snapshot(rt, tenant_id).applications if a.display_name == "Things web (dev)")
    extra, _ = rt.directory.add_password(tenant_id, web.id, "ci")
    assert apply(rt, tenant_id, TENANT, prune=True).changes == [
        f"remove password 'ci' ({extra.key_id}) from application 'Things web (dev)'"]
    omitted = TENANT.replace("    passwordCredentials:\n      - displayName: dev\n", "")
    assert apply(rt, tenant_id, omitted, prune=True).changes == []


def test_an_undeclared_reference_is_unknown_under_prune(rt: Runtime, tenant_id: str) -> None:
    rt.directory.create_user(tenant_id, "bob@contoso.test", "Bob")
    text = "groups:\n  - displayName: G\n    members: [bob@contoso.test]\n"
    assert problems(rt, tenant_id, text, prune=True) == [
        "tenant.yaml:3: groups[0].members[0]: no member 'bob@contoso.test' in the file or the tenant"]
    assert apply(rt, tenant_id, text).changes == ["create group 'G'", "add user 'bob@contoso.test' to group 'G'"]


def test_a_dry_run_reports_the_changes_and_writes_nothing(rt: Runtime, tenant_id: str) -> None:
    before = snapshot(rt, tenant_id)
    result = apply(rt, tenant_id, TENANT, dry_run=True)
    assert not result.applied and len(result.changes) == 15 and result.secrets == []
    assert result.summary == "15 changes (dry run: nothing written)"
    assert snapshot(rt, tenant_id) == before


def test_secrets_are_generated_once_per_declared_name(rt: Runtime, tenant_id: str) -> None:
    text = ("applications:\n  - displayName: A\n    passwordCredentials:\n"
            "      - {displayName: one, endDateTime: '2099-01-01T00:00:00Z'}\n      - displayName: two\n")
    first = apply(rt, tenant_id, text)
    assert [s.display_name for s in first.secrets] == ["one", "two"]
    assert first.secrets[0].secret_text != first.secrets[1].secret_text
    assert "secret_text" not in repr(first.secrets[0]) and first.secrets[0].secret_text not in repr(first)
    app = next(a for a in snapshot(rt, tenant_id).applications if a.display_name == "A")
    assert [c.end for c in app.password_credentials if c.display_name == "one"] == ["2099-01-01T00:00:00Z"]
    assert apply(rt, tenant_id, text).secrets == []
    assert problems(rt, tenant_id, text.replace("one, endDateTime: '2099", "three, endDateTime: '2001")) == [
        "tenant.yaml:4: applications[0].passwordCredentials[0].endDateTime: '2001-01-01T00:00:00Z' is in the past"]
    assert problems(rt, tenant_id, "applications:\n  - displayName: A\n    passwordCredentials:\n"
                                   "      - keyId: 11111111-2222-3333-4444-555555555555\n") == [
        "tenant.yaml:4: applications[0].passwordCredentials[0].keyId: application 'A' has no credential with keyId "
        "11111111-2222-3333-4444-555555555555; give a displayName to generate a new secret"]


def test_a_managed_identity_cannot_move(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    moved = TENANT.replace("sites/joonasmsitest", "sites/elsewhere", 1)
    found = problems(rt, tenant_id, moved)
    assert found == [f"tenant.yaml:16: managedIdentities[0]: managed identity 'joonasmsitest' exists as "
                     f"SystemAssigned on {HOST}; an identity cannot move: remove it first (or apply with prune "
                     "without it)"]


def test_a_write_that_fails_midway_rolls_the_whole_apply_back(rt: Runtime, tenant_id: str) -> None:
    """Two apps swapping App ID URIs pass every check on the final state, but the first update collides
    with the second app's current URI: the earlier removals and updates are undone with it."""
    rt.directory.create_application(tenant_id, "A", identifier_uris=["api://a"])
    rt.directory.create_application(tenant_id, "B", identifier_uris=["api://b"])
    rt.directory.create_user(tenant_id, "bob@contoso.test", "Bob")
    text = ("applications:\n"
            "  - {displayName: A, identifierUris: [api://b], servicePrincipal: false}\n"
            "  - {displayName: B, identifierUris: [api://a], servicePrincipal: false}\n")
    found = problems(rt, tenant_id, text, prune=True)
    assert found == ["tenant.yaml: update application 'A': identifierUris: Another object with the same value for "
                     "property identifierUris already exists: api://b."]
    assert [u.user_principal_name for u in snapshot(rt, tenant_id).users] == ["bob@contoso.test"]


def test_attached_hosts_are_added_and_pruned_only_when_asked(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    other = HOST.replace("joonasmsitest", "worker2")
    moved = TENANT.replace(f"attachedTo: [{HOST}]", f"attachedTo: [{other}]")
    assert apply(rt, tenant_id, moved).changes == [f"attach managed identity 'orders-worker' to {other}"]
    ua = next(sp for sp in snapshot(rt, tenant_id).identities if sp.managed_identity_name == "orders-worker")
    assert sorted(snapshot(rt, tenant_id).attachments[ua.id]) == sorted([HOST, other])
    pruned = apply(rt, tenant_id, moved, prune=True)
    assert f"detach managed identity 'orders-worker' from {HOST}" in pruned.changes
    assert snapshot(rt, tenant_id).attachments[ua.id] == [other]
    assert rt.directory.host(tenant_id, other).user_assigned[0].id == ua.id
