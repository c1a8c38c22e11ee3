"""The real msgraph-sdk GraphServiceClient, unmodified, reads memberships through nested groups on tenantd:
memberOf, transitiveMemberOf and transitiveMembers come back as typed Group, User and ServicePrincipal
objects (the SDK picks the class by ``@odata.type``), paged through ``@odata.nextLink``, and the four
membership actions answer through the SDK's own request bodies."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from azure.identity import ClientSecretCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.models.user import User
from msgraph.generated.users.item.check_member_groups.check_member_groups_post_request_body import (
    CheckMemberGroupsPostRequestBody,
)
from msgraph.generated.users.item.check_member_objects.check_member_objects_post_request_body import (
    CheckMemberObjectsPostRequestBody,
)
from msgraph.generated.users.item.get_member_groups.get_member_groups_post_request_body import (
    GetMemberGroupsPostRequestBody,
)
from msgraph.generated.users.item.get_member_objects.get_member_objects_post_request_body import (
    GetMemberObjectsPostRequestBody,
)
from msgraph.generated.users.item.transitive_member_of.transitive_member_of_request_builder import (
    TransitiveMemberOfRequestBuilder,
)

from ..support import Server
from .graph_support import new_app, new_sp, ok, unique

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # msgraph-sdk warns about itself


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])
    monkeypatch.setenv("SSL_CERT_FILE", server.info["ca_bundle"])


def _arrange(server: Server) -> dict[str, Any]:
    """A user in g1, g1 in g2, g2 in g3, and a service principal in g2."""
    user = ok(server.graph("POST", "/users", json={"userPrincipalName": f"{uuid.uuid4().hex[:8]}@example.com",
                                                  "displayName": "SDK Person"}), 201)
    sp = new_sp(server, new_app(server, "sdk member"))
    g1, g2, g3 = (ok(server.graph("POST", "/groups", json={"displayName": unique("sdk")}), 201) for _ in range(3))
    for group, member in ((g1, user), (g2, g1), (g3, g2), (g2, sp)):
        ok(server.graph("POST", f"/groups/{group['id']}/members/$ref", json={
            "@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{member['id']}"}), 204)
    return {"user": user["id"], "sp": sp["id"], "g1": g1["id"], "g2": g2["id"], "g3": g3["id"]}


def test_graph_service_client_reads_memberships_through_nested_groups(server: Server) -> None:
    ids = _arrange(server)
    nested = {ids["g1"], ids["g2"], ids["g3"]}

    async def steps(graph: GraphServiceClient) -> None:
        user = graph.users.by_user_id(ids["user"])
        direct = await user.member_of.get()
        assert direct is not None and [type(g) for g in direct.value or []] == [Group]
        assert [g.id for g in direct.value or []] == [ids["g1"]]

        first = await user.transitive_member_of.get(RequestConfiguration(
            query_parameters=TransitiveMemberOfRequestBuilder.TransitiveMemberOfRequestBuilderGetQueryParameters(
                top=2, select=["id", "displayName"])))
        assert first is not None and len(first.value or []) == 2 and first.odata_next_link
        rest = await user.transitive_member_of.with_url(first.odata_next_link).get()
        assert rest is not None and rest.odata_next_link is None
        listed = [*(first.value or []), *(rest.value or [])]
        assert all(isinstance(g, Group) and g.display_name for g in listed)
        assert {g.id for g in listed} == nested

        objects = await user.get_member_objects.post(GetMemberObjectsPostRequestBody(security_enabled_only=True))
        assert objects is not None and set(objects.value or []) == nested
        groups = await user.get_member_groups.post(GetMemberGroupsPostRequestBody(security_enabled_only=False))
        assert groups is not None and set(groups.value or []) == nested
        checked = await user.check_member_groups.post(CheckMemberGroupsPostRequestBody(
            group_ids=[ids["g3"], str(uuid.uuid4())]))
        assert checked is not None and checked.value == [ids["g3"]]
        checked = await user.check_member_objects.post(CheckMemberObjectsPostRequestBody(ids=[ids["g2"]]))
        assert checked is not None and checked.value == [ids["g2"]]

        below = await graph.groups.by_group_id(ids["g3"]).transitive_members.get()
        assert below is not None
        assert {(type(m), m.id) for m in below.value or []} == {
            (Group, ids["g2"]), (Group, ids["g1"]), (User, ids["user"]), (ServicePrincipal, ids["sp"])}
        above = await graph.groups.by_group_id(ids["g1"]).transitive_member_of.get()
        assert above is not None and {g.id for g in above.value or []} == {ids["g2"], ids["g3"]}
        sp_groups = await graph.service_principals.by_service_principal_id(ids["sp"]).transitive_member_of.get()
        assert sp_groups is not None and {g.id for g in sp_groups.value or []} == {ids["g2"], ids["g3"]}

        with pytest.raises(ODataError) as cycle:     # g3 holds g2, which holds g1: g1 cannot hold g3
            await graph.groups.by_group_id(ids["g1"]).members.ref.post(ReferenceCreate(
                odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{ids['g3']}"))
        assert cycle.value.response_status_code == 400
        assert cycle.value.error is not None and cycle.value.error.code == "Request_BadRequest"

    async def scenario(credential: ClientSecretCredential) -> None:
        graph = GraphServiceClient(credential)
        graph.request_adapter.base_url = server.url + "/v1.0"
        try:
            await steps(graph)
        finally:
            await graph.request_adapter._http_client._transport.transport.aclose()

    with ClientSecretCredential(server.tenant_id, server.info["admin_client_id"], server.info["admin_client_secret"],
                                authority=server.url, disable_instance_discovery=True) as credential:
        asyncio.run(scenario(credential))
