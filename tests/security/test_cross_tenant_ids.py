"""Global identifiers do not leak between tenants. Object ids and appIds are unique across all tenants (as in
Entra: an API that accepts several tenants knows its callers by appId), and a tenant that pins one another
tenant holds gets the very answer it gets for one it holds itself: no existence oracle, never a 500, and no
application of its own that signs in with another tenant's appId. A host session is closed only by its own
tenant."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tenantd.domain import builtins
from tenantd.domain.errors import BadRequest
from tenantd.runtime import Runtime

from ..http.graph_support import ok
from ..support import Server
from ..tokens.support import certificate, der_b64, new_key

SUB = "/subscriptions/00000000-0000-0000-0000-000000000008/resourceGroups/rg/providers"
BAD = "Request_BadRequest"


def held(rt: Runtime, tenant_id: str, tag: str) -> tuple[list[str], list[str]]:
    """Objects of every kind in ``tenant_id``: their object ids and their appIds."""
    d = rt.directory
    app = d.create_application(tenant_id, f"app {tag}", with_service_principal=True)
    sp = d.service_principal_by_app_id(tenant_id, app.app_id)
    identity = d.create_managed_identity(tenant_id, f"mi {tag}", "UserAssigned",
                                         f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/{tag}")
    user = d.create_user(tenant_id, f"{tag}@contoso.test", tag)
    group = d.create_group(tenant_id, f"group {tag}")
    return [app.id, sp.id, identity.id, user.id, group.id], [app.app_id, identity.app_id]


def refusal(create: Callable[[], Any], pinned: str, code: str = "Request_MultipleObjectsWithSameKeyValue") -> str:
    with pytest.raises(BadRequest) as caught:
        create()
    assert caught.value.code == code
    return caught.value.message.replace(pinned, "<pinned>")


def test_object_ids_and_app_ids_are_unique_across_tenants_with_one_answer(rt: Runtime) -> None:
    d = rt.directory
    mine, other = d.create_tenant("mine").id, d.create_tenant("other").id
    own_ids, own_app_ids = held(rt, mine, "own")
    foreign_ids, foreign_app_ids = held(rt, other, "foreign")

    def pin_object_id(object_id: str) -> list[Callable[[], Any]]:
        fresh = str(uuid.uuid4())
        return [lambda: d.create_application(mine, "pinned", object_id=object_id),
                lambda: d.create_application(mine, "pinned", service_principal_id=object_id,
                                             with_service_principal=True),
                lambda: d.create_managed_identity(mine, "pinned", "UserAssigned",
                                                  f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/{fresh}",
                                                  object_id=object_id),
                lambda: d.create_user(mine, f"{fresh}@contoso.test", "pinned", object_id=object_id),
                lambda: d.create_group(mine, "pinned", object_id=object_id)]

    def pin_app_id(app_id: str) -> list[Callable[[], Any]]:
        fresh = str(uuid.uuid4())
        return [lambda: d.create_application(mine, "pinned", app_id=app_id),
                lambda: d.create_managed_identity(mine, "pinned", "UserAssigned",
                                                  f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/{fresh}",
                                                  client_id=app_id)]

    for own, foreign, pin in ((own_ids, foreign_ids, pin_object_id), (own_app_ids, foreign_app_ids, pin_app_id)):
        for own_id, foreign_id in zip(own, foreign, strict=True):
            answers = {refusal(a, own_id) for a in pin(own_id)} | {refusal(a, foreign_id) for a in pin(foreign_id)}
            assert len(answers) == 1, answers
    for builtin in builtins.BUILTIN_APP_IDS:   # every tenant holds the built-ins' appIds
        refusal(lambda builtin=builtin: d.create_application(mine, "pinned", app_id=builtin), builtin)
    assert [a.display_name for a in d.applications(mine) if a.display_name == "pinned"] == []
    assert d.applications(other)[0].app_id == foreign_app_ids[0]


def other_tenant(server: Server) -> tuple[str, str, str]:
    """A second tenant of the server: its id and its admin's tokens for the admin API and for Graph."""
    other = ok(server.admin("POST", "/tenants", json={"name": f"other {uuid.uuid4().hex[:8]}"}), 201)
    admin, graph = (ok(server.token(other["admin"]["clientId"], other["admin"]["clientSecret"], f"{api}/.default",
                                    tenant=other["id"]))["access_token"]
                    for api in (builtins.TENANTD_RESOURCE, builtins.GRAPH_RESOURCE))
    return other["id"], str(admin), str(graph)


def apply(server: Server, token: str, document: dict[str, Any]) -> httpx.Response:
    return server.admin("POST", "/apply", token=token, json={"document": document})


def test_a_tenant_file_pinning_another_tenants_ids_gets_the_answer_of_its_own(server: Server) -> None:
    """The attack: pinning another tenant's object id answered differently (a 500 for a group) from pinning
    a free one, and another tenant's appId gave an application whose tokens carried that appId."""
    _, other_token, other_graph = other_tenant(server)
    home_group = ok(server.graph("POST", "/groups", json={"displayName": "home", "mailEnabled": False,
                                                          "mailNickname": "home", "securityEnabled": True}), 201)
    home_app = ok(server.graph("POST", "/applications", json={"displayName": "home app"}), 201)
    ok(apply(server, other_token, {"applications": [{"displayName": "own app",
                                                     "appId": (own_app_id := str(uuid.uuid4()))}]}))
    own_app = ok(server.graph("GET", f"/applications(appId='{own_app_id}')", token=other_graph))

    def answer(document: dict[str, Any], pinned: str) -> tuple[int, str]:
        response = apply(server, other_token, document)
        return response.status_code, response.json()["error"]["message"].replace(pinned, "<pinned>")

    for kind in ("groups", "users"):
        def pin(object_id: str, kind: str = kind) -> dict[str, Any]:
            entry = ({"displayName": "pinned", "id": object_id} if kind == "groups" else
                     {"userPrincipalName": f"p{uuid.uuid4().hex[:6]}@contoso.test", "displayName": "p",
                      "id": object_id})
            return {kind: [entry]}
        local = answer(pin(own_app["id"]), own_app["id"])   # held here, by an object of another kind
        for foreign_id in (home_group["id"], home_app["id"]):
            assert answer(pin(foreign_id), foreign_id) == local and local[0] == 400, local
    own_identity = ok(server.admin("POST", "/identities", token=other_token,
                                   json={"name": "own", "type": "UserAssigned"}), 201)

    def pin_app_id(app_id: str) -> dict[str, Any]:
        return {"applications": [{"displayName": "twin", "appId": app_id}]}
    local = answer(pin_app_id(own_identity["clientId"]), own_identity["clientId"])
    assert answer(pin_app_id(home_app["appId"]), home_app["appId"]) == local and local[0] == 400, local

    def identity(client_id: str) -> tuple[int, str]:
        made = server.admin("POST", "/identities", token=other_token, json={
            "name": f"twin-{uuid.uuid4().hex[:6]}", "type": "UserAssigned", "clientId": client_id})
        return made.status_code, made.json()["error"]["message"].replace(client_id, "<pinned>")
    assert identity(home_app["appId"]) == identity(own_app_id) and identity(own_app_id)[0] == 400

    found = ok(server.graph("GET", "/applications", token=other_graph, params={"$top": "999"}))["value"]
    assert home_app["appId"] not in {a["appId"] for a in found}



def test_a_host_session_is_closed_only_by_its_own_tenant(server: Server) -> None:
    """The attack: another tenant's admin, given a session's secret, closed it, and the audit row landed in
    the session's tenant under that other tenant's actor."""
    site = f"{SUB}/Microsoft.Web/sites/closing-{uuid.uuid4().hex[:6]}"
    ok(server.admin("POST", "/identities", json={"name": "closing", "type": "SystemAssigned", "host": site}), 201)
    secret = ok(server.admin("POST", "/hosts/sessions", json={"host": site}), 201)["secret"]
    _, other_token, other_graph = other_tenant(server)
    params = {"api-version": "2019-08-01", "resource": "https://graph.microsoft.com"}

    def token_status() -> int:
        with httpx.Client(base_url=server.info["identity_url"]) as client:
            return client.get("/msi/token", params=params, headers={"X-IDENTITY-HEADER": secret}).status_code

    unknown = server.admin("DELETE", "/hosts/sessions", token=other_token, json={"secret": "x" * 43})
    foreign = server.admin("DELETE", "/hosts/sessions", token=other_token, json={"secret": secret})
    assert (foreign.status_code, foreign.content) == (unknown.status_code, unknown.content) == (204, b"")
    assert token_status() == 200
    for token in (server.admin_token(), other_graph):
        closes = ok(server.graph("GET", "/auditLogs/directoryAudits", token=token, params={
            "$filter": "activityDisplayName eq 'Close host session'", "$top": "999"}))["value"]
        assert not [e for e in closes if e["targetResources"][0]["id"] == site]
    assert server.admin("DELETE", "/hosts/sessions", json={"secret": secret}).status_code == 204
    assert token_status() == 401


def test_a_host_session_closed_through_the_directory_of_another_tenant_stays_open(rt: Runtime) -> None:
    d = rt.directory
    mine, other = d.create_tenant("mine").id, d.create_tenant("other").id
    site = f"{SUB}/Microsoft.Web/sites/site"
    d.create_managed_identity(mine, "site", "SystemAssigned", site)
    secret = d.open_host_session(mine, site, timedelta(hours=1))
    d.close_host_session(other, secret)
    with rt.store.read() as tx:
        assert tx.host_credential(rt.tokens.hasher(secret)) is not None
    d.close_host_session(mine, secret)
    with rt.store.read() as tx:
        assert tx.host_credential(rt.tokens.hasher(secret)) is None


def test_a_certificate_keyid_held_by_another_tenant_gets_the_answer_of_a_twin_in_its_own_app(rt: Runtime) -> None:
    """keyIds are the store's keys across tenants: one another tenant held failed with a 500 (the store's
    unique key), not the 400 a keyId twin within the application gets."""
    d = rt.directory
    mine, other = d.create_tenant("mine").id, d.create_tenant("other").id
    key_id = str(uuid.uuid4())

    def key(key_id: str = key_id) -> dict[str, Any]:
        return {"type": "AsymmetricX509Cert", "usage": "Verify", "keyId": key_id,
                "key": der_b64(certificate(new_key(), f"c{uuid.uuid4().hex[:6]}"))}
    d.create_application(other, "holder", key_credentials=[key()])
    own = d.create_application(mine, "own", key_credentials=[key(str(uuid.uuid4()))])
    twin = own.key_credentials[0].key_id
    answers = set()
    for pinned in (twin, key_id):
        answers |= {refusal(lambda pinned=pinned: d.add_key_credential(mine, own.id, key(pinned)), pinned, BAD),
                    refusal(lambda pinned=pinned: d.update_application(mine, own.id, {"keyCredentials": [
                        {"keyId": twin}, key(pinned)]}), pinned, BAD)}
    answers.add(refusal(lambda: d.create_application(mine, "copy", key_credentials=[key()]), key_id, BAD))
    assert answers == {"Invalid value specified for property 'keyCredentials': duplicate keyId."}
    assert [k.key_id for k in d.application(mine, own.id).key_credentials] == [twin]
