"""The real msgraph-sdk GraphServiceClient, unmodified, reads role definitions, assigns and removes a directory
role through the unified RBAC API, and adds and removes a member of a directoryRole, on tenantd."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.unified_role_assignment import UnifiedRoleAssignment
from msgraph.generated.models.user import User
from msgraph.generated.role_management.directory.role_assignments.role_assignments_request_builder import (
    RoleAssignmentsRequestBuilder,
)

from ..support import Server
from .graph_support import ok
from .test_graph_msgraph import _credential

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # msgraph-sdk warns about itself

GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])
    monkeypatch.setenv("SSL_CERT_FILE", server.info["ca_bundle"])


def test_graph_service_client_manages_directory_roles(server: Server) -> None:
    user = ok(server.graph("POST", "/users", json={"userPrincipalName": f"{uuid.uuid4().hex[:8]}@contoso.test",
                                                  "displayName": "Role holder"}), 201)

    async def steps(graph: GraphServiceClient) -> None:
        rbac = graph.role_management.directory
        definitions = await rbac.role_definitions.get()
        assert definitions is not None and GLOBAL_READER in {d.template_id for d in definitions.value or []}
        reader = await rbac.role_definitions.by_unified_role_definition_id(GLOBAL_READER).get()
        assert reader is not None and reader.display_name == "Global Reader" and reader.is_built_in

        created = await rbac.role_assignments.post(UnifiedRoleAssignment(
            principal_id=user["id"], role_definition_id=GLOBAL_READER, directory_scope_id="/"))
        assert created is not None and created.id and created.directory_scope_id == "/"
        with pytest.raises(ODataError) as duplicate:
            await rbac.role_assignments.post(UnifiedRoleAssignment(
                principal_id=user["id"], role_definition_id=GLOBAL_READER, directory_scope_id="/"))
        assert duplicate.value.response_status_code == 400

        query = RoleAssignmentsRequestBuilder.RoleAssignmentsRequestBuilderGetQueryParameters(
            filter=f"principalId eq '{user['id']}'", expand=["principal"])
        listed = await rbac.role_assignments.get(RequestConfiguration(query_parameters=query))
        assert listed is not None and [a.id for a in listed.value or []] == [created.id]
        [found] = listed.value or []
        assert isinstance(found.principal, User) and found.principal.display_name == "Role holder"
        await rbac.role_assignments.by_unified_role_assignment_id(created.id).delete()

        roles = await graph.directory_roles.get()
        groups_admin = next(r for r in roles.value or [] if r.role_template_id == GROUPS_ADMIN) if roles else None
        assert groups_admin is not None and groups_admin.id
        members = graph.directory_roles.by_directory_role_id(groups_admin.id).members
        await members.ref.post(ReferenceCreate(
            odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{user['id']}"))
        held = await members.get()
        assert held is not None and [m.id for m in held.value or []] == [user["id"]]
        await members.by_directory_object_id(user["id"]).ref.delete()
        held = await members.get()
        assert held is not None and held.value == []

    async def scenario() -> None:
        with _credential(server) as credential:
            graph = GraphServiceClient(credential)
            graph.request_adapter.base_url = server.url + "/v1.0"
            try:
                await steps(graph)
            finally:
                await graph.request_adapter._http_client._transport.transport.aclose()

    asyncio.run(scenario())
    assert ok(server.graph("GET", "/roleManagement/directory/roleAssignments", params={
        "$filter": f"principalId eq '{user['id']}'"}))["value"] == []
