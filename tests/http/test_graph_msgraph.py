"""The real msgraph-sdk GraphServiceClient, unmodified, manages an app role assignment and a delegated permission
grant on tenantd."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest
from azure.identity import ClientSecretCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.o_auth2_permission_grant import OAuth2PermissionGrant
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.oauth2_permission_grants.oauth2_permission_grants_request_builder import (
    Oauth2PermissionGrantsRequestBuilder,
)

from tenantd.domain import builtins

from ..support import Server
from .graph_support import new_api, new_client, role

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # msgraph-sdk warns about itself


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """azure-identity (requests) and msgraph (httpx) both read the CA bundle from the environment."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])
    monkeypatch.setenv("SSL_CERT_FILE", server.info["ca_bundle"])


def _credential(server: Server) -> ClientSecretCredential:
    return ClientSecretCredential(server.tenant_id, server.info["admin_client_id"], server.info["admin_client_secret"],
                                  authority=server.url, disable_instance_discovery=True)


async def _with_client(server: Server, credential: ClientSecretCredential,
                       steps: Callable[[GraphServiceClient], Awaitable[None]]) -> None:
    graph = GraphServiceClient(credential)   # no scopes: it asks for https://<base URL host>/.default
    graph.request_adapter.base_url = server.url + "/v1.0"
    try:
        await steps(graph)
    finally:
        # msgraph-core's AsyncGraphTransport does not close the transport it wraps, so close that pool:
        # its idle keep-alive connection would hold up the server's graceful shutdown for seconds.
        await graph.request_adapter._http_client._transport.transport.aclose()


def test_graph_service_client_creates_lists_and_deletes_an_assignment(server: Server) -> None:
    api_app, api_sp = new_api(server, role("Things.Read.All"))
    _, client_sp, _ = new_client(server)
    role_id = api_app["appRoles"][0]["id"]

    async def steps(graph: GraphServiceClient) -> None:
        assigned_to = graph.service_principals.by_service_principal_id(api_sp["id"]).app_role_assigned_to
        created = await assigned_to.post(AppRoleAssignment(
            principal_id=uuid.UUID(client_sp["id"]), resource_id=uuid.UUID(api_sp["id"]),
            app_role_id=uuid.UUID(role_id)))
        assert created is not None and created.id
        assert (str(created.principal_id), str(created.resource_id), str(created.app_role_id)) == (
            client_sp["id"], api_sp["id"], role_id)
        assert created.principal_type == "ServicePrincipal" and created.created_date_time is not None

        listed = await assigned_to.get()
        assert listed is not None and [a.id for a in listed.value or []] == [created.id]
        held = await graph.service_principals.by_service_principal_id(client_sp["id"]).app_role_assignments.get()
        assert held is not None and [a.id for a in held.value or []] == [created.id]

        with pytest.raises(ODataError) as duplicate:
            await assigned_to.post(AppRoleAssignment(
                principal_id=uuid.UUID(client_sp["id"]), resource_id=uuid.UUID(api_sp["id"]),
                app_role_id=uuid.UUID(role_id)))
        assert duplicate.value.response_status_code == 400
        assert duplicate.value.error is not None
        assert duplicate.value.error.message == "Permission being assigned already exists on the object."

        await assigned_to.by_app_role_assignment_id(created.id).delete()
        remaining = await assigned_to.get()
        assert remaining is not None and remaining.value == []

        sp = await graph.service_principals_with_app_id(api_app["appId"]).get()
        assert sp is not None and sp.id == api_sp["id"] and [r.value for r in sp.app_roles or []] == [
            "Things.Read.All"]

    with _credential(server) as credential:
        asyncio.run(_with_client(server, credential, steps))


def test_graph_service_client_manages_a_delegated_permission_grant(server: Server) -> None:
    _, client_sp, _ = new_client(server)
    graph_sp = server.graph("GET", f"/servicePrincipals(appId='{builtins.GRAPH_APP_ID}')").json()

    async def steps(graph: GraphServiceClient) -> None:
        created = await graph.oauth2_permission_grants.post(OAuth2PermissionGrant(
            client_id=client_sp["id"], consent_type="AllPrincipals", resource_id=graph_sp["id"],
            scope="openid User.Read"))
        assert created is not None and created.id and created.principal_id is None
        assert (created.client_id, created.resource_id, created.scope) == (client_sp["id"], graph_sp["id"],
                                                                         "openid User.Read")
        config = RequestConfiguration(query_parameters=Oauth2PermissionGrantsRequestBuilder
                                      .Oauth2PermissionGrantsRequestBuilderGetQueryParameters(
                                          filter=f"clientId eq '{client_sp['id']}'"))
        listed = await graph.oauth2_permission_grants.get(config)
        assert listed is not None and [g.id for g in listed.value or []] == [created.id]
        held = await graph.service_principals.by_service_principal_id(client_sp["id"]).oauth2_permission_grants.get()
        assert held is not None and [g.consent_type for g in held.value or []] == ["AllPrincipals"]

        one = graph.oauth2_permission_grants.by_o_auth2_permission_grant_id(created.id)
        await one.patch(OAuth2PermissionGrant(scope="User.Read"))
        changed = await one.get()
        assert changed is not None and changed.scope == "User.Read"
        with pytest.raises(ODataError) as duplicate:
            await graph.oauth2_permission_grants.post(OAuth2PermissionGrant(
                client_id=client_sp["id"], consent_type="AllPrincipals", resource_id=graph_sp["id"], scope=""))
        assert duplicate.value.response_status_code == 409
        await one.delete()
        assert (await graph.oauth2_permission_grants.get(config)).value == []   # type: ignore[union-attr]

    with _credential(server) as credential:
        asyncio.run(_with_client(server, credential, steps))
