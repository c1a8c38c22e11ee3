"""The tenant file and an application's sign-in settings and delegated permissions: apply sets them (names of
resources and permissions resolved), a second apply changes nothing, export writes them back unchanged, and
the directory's refusals become problems that change nothing."""

from __future__ import annotations

import pytest

from tenantd.domain import builtins
from tenantd.domain.model import ImplicitGrantSettings
from tenantd.runtime import Runtime
from tenantd.tenantfile import TenantFileError, load_text
from tenantd.tenantfile.export import dump_yaml, export_tenant

from .conftest import apply, snapshot

READ = "7b9c6d1e-2f3a-4b5c-8d7e-6f5a4b3c2d1e"
TENANT = f"""
applications:
  - displayName: Orders web
    web: {{redirectUris: [http://localhost:8000/auth/callback], implicitGrantSettings: {{enableIdTokenIssuance: true}}}}
    requiredResourceAccess:
      - resourceAppId: Orders API
        resourceAccess: [{{id: Orders.Read, type: Scope}}, {{id: Orders.Sync, type: Role}}]
      - {{resourceAppId: Microsoft Graph, resourceAccess: [{{id: User.Read, type: Scope}}]}}
  - displayName: Orders API
    identifierUris: [api://orders]
    groupMembershipClaims: SecurityGroup
    signInAudience: AzureADMultipleOrgs
    optionalClaims: {{accessToken: [{{name: groups}}]}}
    appRoles:
      - {{id: 1d8e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a, value: Orders.Sync, displayName: Sync,
         allowedMemberTypes: [Application]}}
    api:
      requestedAccessTokenVersion: 2
      oauth2PermissionScopes:
        - {{id: {READ}, value: Orders.Read, type: User, isEnabled: true, lang: null,
           adminConsentDisplayName: Read orders, adminConsentDescription: Read all orders,
           userConsentDisplayName: Read your orders, userConsentDescription: Read the orders you can see}}
      preAuthorizedApplications:
        - {{appId: {builtins.AZURE_CLI_APP_ID}, delegatedPermissionIds: [Orders.Read]}}
  - displayName: Orders desktop
    publicClient: {{redirectUris: [http://localhost]}}
    isFallbackPublicClient: true
"""


def test_apply_sets_every_setting_resolving_names_and_a_second_apply_changes_nothing(rt: Runtime,
                                                                                      tenant_id: str) -> None:
    first = apply(rt, tenant_id, TENANT)
    assert "update application 'Orders web': requiredResourceAccess" in first.changes
    apps = {a.display_name: a for a in snapshot(rt, tenant_id).applications}
    api, web, desktop = apps["Orders API"], apps["Orders web"], apps["Orders desktop"]
    assert api.requested_access_token_version == 2 and api.sign_in_audience == "AzureADMultipleOrgs"
    assert api.group_membership_claims == "SecurityGroup"
    assert api.optional_claims == {"idToken": [], "saml2Token": [], "accessToken": [
        {"name": "groups", "source": None, "essential": False, "additionalProperties": []}]}
    assert [(s.id, s.value, s.type) for s in api.oauth2_permission_scopes] == [(READ, "Orders.Read", "User")]
    assert [p.to_graph() for p in api.pre_authorized_applications] == [
        {"appId": builtins.AZURE_CLI_APP_ID, "delegatedPermissionIds": [READ]}]
    assert [r.to_graph() for r in web.required_resource_access] == [
        {"resourceAppId": api.app_id, "resourceAccess": [{"id": READ, "type": "Scope"},
                                                         {"id": "1d8e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a",
                                                          "type": "Role"}]},
        {"resourceAppId": builtins.GRAPH_APP_ID, "resourceAccess": [
            {"id": builtins.GRAPH_SCOPES["User.Read"], "type": "Scope"}]}]
    assert web.web_redirect_uris == ("http://localhost:8000/auth/callback",)
    assert web.implicit_grant_settings == ImplicitGrantSettings(enable_id_token_issuance=True)
    assert api.implicit_grant_settings.off
    assert desktop.is_fallback_public_client is True and desktop.public_client_redirect_uris == ("http://localhost",)
    assert apply(rt, tenant_id, TENANT).changes == []


def test_export_writes_the_settings_back_and_applying_it_changes_nothing(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    before = snapshot(rt, tenant_id)
    text = dump_yaml(export_tenant(rt.store, tenant_id))
    exported = {a["displayName"]: a for a in load_text(text, "export.yaml").data["applications"]}
    assert exported["Orders API"]["api"]["oauth2PermissionScopes"][0]["value"] == "Orders.Read"
    assert exported["Orders desktop"]["publicClient"] == {"redirectUris": ["http://localhost"]}
    assert "signInAudience" not in exported["Orders web"]   # the default is left out
    assert exported["Orders web"]["web"]["implicitGrantSettings"] == {"enableAccessTokenIssuance": False,
                                                                      "enableIdTokenIssuance": True}
    assert "web" not in exported["Orders API"]
    for prune in (False, True):
        assert apply(rt, tenant_id, text, prune=prune).changes == [], text
    assert snapshot(rt, tenant_id) == before


def test_a_changed_setting_is_updated_and_named(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    changed = TENANT.replace("http://localhost:8000/auth/callback", "https://orders.example.com/signin-oidc")
    assert apply(rt, tenant_id, changed).changes == ["update application 'Orders web': web.redirectUris"]
    off = changed.replace(", implicitGrantSettings: {enableIdTokenIssuance: true}", "")   # the web block says off
    assert apply(rt, tenant_id, off).changes == ["update application 'Orders web': web.implicitGrantSettings"]


def _problems(rt: Runtime, tenant_id: str, text: str) -> list[str]:
    before = snapshot(rt, tenant_id)
    with pytest.raises(TenantFileError) as caught:
        apply(rt, tenant_id, text)
    assert snapshot(rt, tenant_id) == before
    return caught.value.problems


@pytest.mark.parametrize(("old", "new", "says"), [
    ("Orders.Sync, type: Role", "Orders.Nothing, type: Role", "'Orders API' offers no app role 'Orders.Nothing'"),
    ("resourceAppId: Microsoft Graph", "resourceAppId: Microsoft Graf", "did you mean 'Microsoft Graph'?"),
    ("[Orders.Read]}", "[Orders.Write]}", "'Orders.Write' is not a GUID"),
    ("http://localhost:8000/auth/callback", "http://orders.example.com/cb", "only http://localhost"),
    ("signInAudience: AzureADMultipleOrgs", "signInAudience: PersonalMicrosoftAccount", "signInAudience"),
    ("enableIdTokenIssuance: true", "enableIdTokenIssuance: yes please", "enableIdTokenIssuance"),
    ("enableIdTokenIssuance: true", "enableHybrid: true", "enableHybrid"),
    ("groupMembershipClaims: SecurityGroup", "groupMembershipClaims: SecurityGroup\n    accessTokenAcceptedVersion: 2",
     "give the token version once"),
])
def test_refused_settings_are_problems_that_change_nothing(rt: Runtime, tenant_id: str, old: str, new: str,
                                                           says: str) -> None:
    assert old in TENANT
    problems = _problems(rt, tenant_id, TENANT.replace(old, new, 1))
    assert any(says in p for p in problems), problems


def test_a_scope_is_disabled_in_one_apply_before_another_removes_it(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    without_clients = TENANT.replace(f"        - {{appId: {builtins.AZURE_CLI_APP_ID}, delegatedPermissionIds: "
                                     "[Orders.Read]}", "        []").replace("{id: Orders.Read, type: Scope}, ", "")
    apply(rt, tenant_id, without_clients)
    removed = without_clients.replace("      oauth2PermissionScopes:", "      oauth2PermissionScopes: []\n      x:")
    removed = removed[:removed.index("      x:")] + removed[removed.index("      preAuthorizedApplications:"):]
    assert any("disabled first" in p for p in _problems(rt, tenant_id, removed))
    apply(rt, tenant_id, without_clients.replace("isEnabled: true", "isEnabled: false"))
    assert apply(rt, tenant_id, removed).changes == ["update application 'Orders API': api.oauth2PermissionScopes"]
