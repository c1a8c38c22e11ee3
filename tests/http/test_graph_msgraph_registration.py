"""The real msgraph-sdk GraphServiceClient, unmodified, registers an application with redirect URIs, ID token
issuance (web.implicitGrantSettings), a public client flag, optional claims, a scope, a pre-authorized client
and required access, and reads them back as its own typed models (the body it sends is its own, @odata.type
annotations included)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from azure.identity import ClientSecretCredential
from msgraph import GraphServiceClient
from msgraph.generated.models.api_application import ApiApplication
from msgraph.generated.models.application import Application
from msgraph.generated.models.implicit_grant_settings import ImplicitGrantSettings
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.optional_claim import OptionalClaim
from msgraph.generated.models.optional_claims import OptionalClaims
from msgraph.generated.models.permission_scope import PermissionScope
from msgraph.generated.models.pre_authorized_application import PreAuthorizedApplication
from msgraph.generated.models.public_client_application import PublicClientApplication
from msgraph.generated.models.required_resource_access import RequiredResourceAccess
from msgraph.generated.models.resource_access import ResourceAccess
from msgraph.generated.models.spa_application import SpaApplication
from msgraph.generated.models.web_application import WebApplication

from tenantd.domain import builtins

from ..support import Server

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # msgraph-sdk warns about itself


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])
    monkeypatch.setenv("SSL_CERT_FILE", server.info["ca_bundle"])


def _scope(value: str, enabled: bool = True, scope_id: uuid.UUID | None = None) -> PermissionScope:
    return PermissionScope(id=scope_id or uuid.uuid4(), value=value, type="User", is_enabled=enabled,
                           admin_consent_display_name=value, admin_consent_description=f"Lets the app {value}",
                           user_consent_display_name=value, user_consent_description=f"Lets the app {value}")


def test_graph_service_client_registers_an_application_for_people(server: Server) -> None:
    read = _scope("Notes.Read")

    async def steps(graph: GraphServiceClient) -> None:
        created = await graph.applications.post(Application(
            display_name=f"sdk notes {uuid.uuid4().hex[:8]}", sign_in_audience="AzureADMyOrg",
            is_fallback_public_client=True, group_membership_claims="SecurityGroup",
            web=WebApplication(redirect_uris=["https://notes.example.com/signin-oidc"],
                               implicit_grant_settings=ImplicitGrantSettings(enable_id_token_issuance=True)),
            spa=SpaApplication(redirect_uris=["http://localhost:3000"]),
            public_client=PublicClientApplication(redirect_uris=["http://localhost"]),
            optional_claims=OptionalClaims(id_token=[OptionalClaim(name="email")]),
            api=ApiApplication(oauth2_permission_scopes=[read], pre_authorized_applications=[
                PreAuthorizedApplication(app_id=builtins.AZURE_CLI_APP_ID, delegated_permission_ids=[str(read.id)])]),
            required_resource_access=[RequiredResourceAccess(resource_app_id=builtins.GRAPH_APP_ID, resource_access=[
                ResourceAccess(id=uuid.UUID(builtins.GRAPH_SCOPES["User.Read"]), type="Scope")])],
        ))
        assert created is not None and created.id
        got = await graph.applications.by_application_id(created.id).get()
        assert got is not None and got.web is not None and got.spa is not None and got.public_client is not None
        assert got.web.redirect_uris == ["https://notes.example.com/signin-oidc"]
        implicit = got.web.implicit_grant_settings
        assert implicit is not None and (implicit.enable_id_token_issuance, implicit.enable_access_token_issuance) == (
            True, False)
        assert got.spa.redirect_uris == ["http://localhost:3000"] and got.public_client.redirect_uris == ["http://localhost"]
        assert got.is_fallback_public_client is True and got.group_membership_claims == "SecurityGroup"
        assert got.optional_claims is not None and [c.name for c in got.optional_claims.id_token or []] == ["email"]
        assert got.api is not None and [(s.id, s.value, s.type) for s in got.api.oauth2_permission_scopes or []] == [
            (read.id, "Notes.Read", "User")]
        assert [(p.app_id, p.delegated_permission_ids) for p in got.api.pre_authorized_applications or []] == [
            (builtins.AZURE_CLI_APP_ID, [str(read.id)])]
        needed = got.required_resource_access or []
        assert [(r.resource_app_id, [(str(a.id), a.type) for a in r.resource_access or []]) for r in needed] == [
            (builtins.GRAPH_APP_ID, [(builtins.GRAPH_SCOPES["User.Read"], "Scope")])]

        with pytest.raises(ODataError) as refused:   # an enabled scope cannot go
            await graph.applications.by_application_id(created.id).patch(Application(api=ApiApplication(
                oauth2_permission_scopes=[], pre_authorized_applications=[])))
        assert refused.value.error is not None and refused.value.error.code == "CannotDeleteOrUpdateEnabledEntitlement"
        await graph.applications.by_application_id(created.id).patch(Application(api=ApiApplication(
            oauth2_permission_scopes=[_scope("Notes.Read", enabled=False, scope_id=read.id)],
            pre_authorized_applications=[])))
        await graph.applications.by_application_id(created.id).patch(Application(api=ApiApplication(
            oauth2_permission_scopes=[])))
        after = await graph.applications.by_application_id(created.id).get()
        assert after is not None and after.api is not None and after.api.oauth2_permission_scopes == []

    async def scenario(credential: ClientSecretCredential) -> None:
        graph = GraphServiceClient(credential)
        graph.request_adapter.base_url = server.url + "/v1.0"
        try:
            await steps(graph)
        finally:   # see test_graph_msgraph.py: the wrapped transport's pool is closed by hand
            await graph.request_adapter._http_client._transport.transport.aclose()

    with ClientSecretCredential(server.tenant_id, server.info["admin_client_id"], server.info["admin_client_secret"],
                                authority=server.url, disable_instance_discovery=True) as credential:
        asyncio.run(scenario(credential))
