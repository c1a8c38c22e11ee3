"""An application's sign-in settings and delegated permissions are stored whole and read back equal, on SQLite
and PostgreSQL; its service principal mirrors them; a refused change writes nothing; built-in public clients
come to tenants that lack them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tenantd.domain import builtins
from tenantd.domain.errors import BadRequest
from tenantd.runtime import Runtime
from tenantd.store import schema as t

READ = {"id": "7b9c6d1e-2f3a-4b5c-8d7e-6f5a4b3c2d1e", "value": "Orders.Read", "type": "User", "isEnabled": True,
        "adminConsentDisplayName": "Read orders", "adminConsentDescription": "Read all orders",
        "userConsentDisplayName": "Read your orders", "userConsentDescription": "Read the orders you can see"}
SETTINGS = {
    "signInAudience": "AzureADMultipleOrgs", "isFallbackPublicClient": False, "groupMembershipClaims": "All",
    "optionalClaims": {"idToken": [{"name": "upn"}]},
    "web.redirectUris": ["http://localhost:8000/auth/callback"], "spa.redirectUris": ["https://spa.example.com"],
    "publicClient.redirectUris": ["http://localhost"],
    "api.oauth2PermissionScopes": [READ],
    "api.preAuthorizedApplications": [{"appId": builtins.AZURE_CLI_APP_ID, "delegatedPermissionIds": [READ["id"]]}],
    "requiredResourceAccess": [{"resourceAppId": builtins.GRAPH_APP_ID,
                                "resourceAccess": [{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}]}],
}


@pytest.fixture
def tenant_id(rt: Runtime) -> str:
    return rt.directory.create_tenant("contoso").id


def test_settings_are_stored_whole_and_mirrored_on_the_service_principal(rt: Runtime, tenant_id: str) -> None:
    app = rt.directory.create_application(tenant_id, "Orders", settings=SETTINGS, with_service_principal=True)
    assert rt.directory.application(tenant_id, app.id) == app
    assert app.optional_claims == {"idToken": [{"additionalProperties": [], "essential": False, "name": "upn",
                                                "source": None}], "accessToken": [], "saml2Token": []}
    assert [s.to_graph() for s in app.oauth2_permission_scopes] == [READ]
    assert app.reply_urls == ("http://localhost:8000/auth/callback", "https://spa.example.com", "http://localhost")
    sp = rt.directory.service_principal_by_app_id(tenant_id, app.app_id)
    assert sp.oauth2_permission_scopes == app.oauth2_permission_scopes and sp.reply_urls == app.reply_urls
    assert sp.sign_in_audience == "AzureADMultipleOrgs"

    cleared = rt.directory.update_application(tenant_id, app.id, {
        "web.redirectUris": [], "spa.redirectUris": [], "publicClient.redirectUris": [], "optionalClaims": None,
        "groupMembershipClaims": None, "api.preAuthorizedApplications": [], "requiredResourceAccess": []})
    assert rt.directory.application(tenant_id, app.id) == cleared
    assert cleared.reply_urls == () and cleared.optional_claims is None and cleared.required_resource_access == ()
    assert rt.directory.service_principal_by_app_id(tenant_id, app.app_id).reply_urls == ()


def test_a_refused_change_writes_nothing(rt: Runtime, tenant_id: str) -> None:
    app = rt.directory.create_application(tenant_id, "Orders", settings=SETTINGS, with_service_principal=True)
    with pytest.raises(BadRequest) as refused:
        rt.directory.update_application(tenant_id, app.id, {"displayName": "Renamed", "api.oauth2PermissionScopes": []})
    assert refused.value.code == "CannotDeleteOrUpdateEnabledEntitlement"
    assert rt.directory.application(tenant_id, app.id) == app


@pytest.mark.parametrize("claims", ["SecurityGroup," + " " * 200 + "DirectoryRole", "x" * 129])
def test_a_long_groups_claim_is_refused_not_truncated(rt: Runtime, tenant_id: str, claims: str) -> None:
    """The column holds 128 characters (PostgreSQL enforces it): longer text is Graph's 400, never a 500."""
    app = rt.directory.create_application(tenant_id, "Groups")
    with pytest.raises(BadRequest):
        rt.directory.update_application(tenant_id, app.id, {"groupMembershipClaims": claims})
    assert rt.directory.application(tenant_id, app.id) == app


def test_an_application_from_before_these_settings_reads_as_graphs_defaults(rt: Runtime, tenant_id: str) -> None:
    """A row as the previous schema wrote it: the new columns null (the audience takes its default)."""
    app = rt.directory.create_application(tenant_id, "Old")
    with rt.store.engine.begin() as conn:
        conn.execute(sa.update(t.applications).where(t.applications.c.id == app.id).values(
            redirect_uris=None, oauth2_permission_scopes=None, pre_authorized_applications=None,
            required_resource_access=None, optional_claims=None))
    found = rt.directory.application(tenant_id, app.id)
    assert found.sign_in_audience == "AzureADMyOrg" and found.reply_urls == () and found.optional_claims is None
    assert found.oauth2_permission_scopes == () and found.required_resource_access == ()


def test_tenants_that_lack_the_public_clients_get_them_at_start(rt: Runtime, tenant_id: str) -> None:
    for app_id in builtins.PUBLIC_CLIENT_APP_IDS:
        rt.directory.delete_service_principal(tenant_id, rt.directory.service_principal_by_app_id(tenant_id, app_id).id)
    added = rt.directory.ensure_builtins(tenant_id)
    assert sorted(added) == ["Microsoft Azure CLI", "Microsoft Azure PowerShell", "Visual Studio", "tenantd portal"]
    for app_id in builtins.PUBLIC_CLIENT_APP_IDS - {builtins.PORTAL_APP_ID}:   # the portal's is on the public URL
        assert rt.directory.service_principal_by_app_id(tenant_id, app_id).reply_urls == ("http://localhost",)
