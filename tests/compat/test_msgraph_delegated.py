"""The real msgraph-sdk, unmodified, calls Microsoft Graph as a person: her token from msal's password grant
(ROPC) with the Azure CLI's client id, Graph's delegated permissions the CLI holds. ``/me`` and
``/me/memberOf``; she registers an application and owns it, is refused another's until an admin adds her as
owner through the SDK's ``owners/$ref``; ``/me/ownedObjects``; the tenant's authorization policy."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msal
import pytest
from azure.core.credentials import AccessToken
from msgraph import GraphServiceClient
from msgraph.generated.models.application import Application
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.reference_create import ReferenceCreate

from tenantd.domain import builtins

from ..http.delegated_support import PASSWORD, person, reference
from ..http.graph_support import new_app, ok, unique
from ..support import Server
from .user_realm import session_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # msal's ROPC, msgraph-sdk about itself


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])
    monkeypatch.setenv("SSL_CERT_FILE", server.info["ca_bundle"])


class SignedIn:
    """A TokenCredential holding the token msal got for her (msgraph-sdk asks it for Graph's ``.default``)."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.token = AccessToken(result["access_token"], int(time.time()) + int(result["expires_in"]))

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self.token


def _sign_in(server: Server, user: dict[str, Any]) -> SignedIn:
    app = msal.PublicClientApplication(builtins.AZURE_CLI_APP_ID, authority=f"{server.url}/{server.tenant_id}",
                                       instance_discovery=False, http_client=session_for(server))
    result = app.acquire_token_by_username_password(user["userPrincipalName"], PASSWORD,
                                                    scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    return SignedIn(result)


def _run(server: Server, credential: SignedIn, steps: Callable[[GraphServiceClient], Awaitable[None]]) -> None:
    async def run() -> None:
        graph = GraphServiceClient(credential)
        graph.request_adapter.base_url = server.url + "/v1.0"
        try:
            await steps(graph)
        finally:   # msgraph-core does not close the transport it wraps (see test_graph_msgraph.py)
            await graph.request_adapter._http_client._transport.transport.aclose()
    asyncio.run(run())


def test_msgraph_sdk_reads_me_and_my_groups(server: Server) -> None:
    ada = person(server, "ada")
    team = ok(server.graph("POST", "/groups", json={"displayName": unique("team")}), 201)
    ok(server.graph("POST", f"/groups/{team['id']}/members/$ref", json=reference(ada["id"])), 204)

    async def steps(graph: GraphServiceClient) -> None:
        me = await graph.me.get()
        assert me is not None and me.id == ada["id"] and me.user_principal_name == ada["userPrincipalName"]
        groups = await graph.me.member_of.get()
        assert groups is not None and groups.value is not None
        assert [(type(g), g.id, g.display_name) for g in groups.value] == [(Group, team["id"], team["displayName"])]
        transitive = await graph.me.transitive_member_of.get()
        assert transitive is not None and [g.id for g in transitive.value or []] == [team["id"]]
    _run(server, _sign_in(server, ada), steps)


def test_msgraph_sdk_a_member_owns_her_app_and_needs_ownership_for_anothers(server: Server) -> None:
    bea = person(server, "bea")
    other = new_app(server, "someone else's")

    async def steps(graph: GraphServiceClient) -> None:
        mine = await graph.applications.post(Application(display_name=unique("bea's app")))
        assert mine is not None and mine.id is not None
        owners = await graph.applications.by_application_id(mine.id).owners.get()
        assert owners is not None and [o.id for o in owners.value or []] == [bea["id"]]
        await graph.applications.by_application_id(mine.id).patch(Application(display_name=unique("renamed")))

        with pytest.raises(ODataError) as refused:
            await graph.applications.by_application_id(other["id"]).patch(Application(display_name="taken"))
        assert refused.value.response_status_code == 403
        assert refused.value.error is not None and refused.value.error.code == "Authorization_RequestDenied"

        owned = await graph.me.owned_objects.get()
        assert owned is not None and [o.id for o in owned.value or []] == [mine.id]
        policy = await graph.policies.authorization_policy.get()
        assert policy is not None and policy.default_user_role_permissions is not None
        assert policy.default_user_role_permissions.allowed_to_create_apps is True
    _run(server, _sign_in(server, bea), steps)

    async def add_owner(graph: GraphServiceClient) -> None:   # an admin adds her as the other app's owner
        await graph.applications.by_application_id(other["id"]).owners.ref.post(ReferenceCreate(
            odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{bea['id']}"))
    admin = person(server, "admin", "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3")   # Application Administrator
    _run(server, _sign_in(server, admin), add_owner)

    async def now_hers(graph: GraphServiceClient) -> None:
        name = f"shared {uuid.uuid4().hex[:6]}"
        await graph.applications.by_application_id(other["id"]).patch(Application(display_name=name))
        changed = await graph.applications.by_application_id(other["id"]).get()
        assert changed is not None and changed.display_name == name
    _run(server, _sign_in(server, bea), now_hers)
