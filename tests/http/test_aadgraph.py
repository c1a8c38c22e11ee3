"""Azure AD Graph 1.6's app role assignment calls: both URL conventions, 1.6's shapes and errors, its own token
resource, and one directory shared with Graph v1.0 and the token endpoint."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jwt
import pytest

from tenantd.domain import builtins

from ..support import Server
from .graph_support import error, grant_graph_role, graph_token, new_api, new_client, ok, role, store, unique

AAD_GRAPH = "https://graph.windows.net"
AAD_SP = f"/servicePrincipals(appId='{builtins.AAD_GRAPH_APP_ID}')"
TYPE = "Microsoft.DirectoryServices.AppRoleAssignment"
SHAPE = {"odata.metadata", "odata.type", "objectType", "objectId", "deletionTimestamp", "creationTimestamp", "id",
         "principalDisplayName", "principalId", "principalType", "resourceDisplayName", "resourceId"}


def aad_token(server: Server, client_id: str | None = None, secret: str | None = None) -> str:
    response = server.token(client_id or server.info["admin_client_id"],
                            secret or server.info["admin_client_secret"], f"{AAD_GRAPH}/.default")
    return str(ok(response)["access_token"])


def legacy(server: Server, method: str, path: str, *, token: str | None = None, tenant: str | None = None,
           params: Any = (("api-version", "1.6"),), headers: dict[str, str] | None = None,
           **kwargs: Any) -> httpx.Response:
    """A 1.6 call: ``/{tenant}{path}?api-version=1.6`` with an AAD Graph token (the admin's by default; none
    when ``token`` is empty)."""
    bearer = token if token is not None else aad_token(server)
    headers = {**({"Authorization": f"Bearer {bearer}"} if bearer else {}), **(headers or {})}
    with server.http() as client:
        return client.request(method, f"/{tenant or server.tenant_id}{path}", params=params, headers=headers,
                              **kwargs)


def odata_error(response: httpx.Response, status: int, code: str) -> str:
    """AAD Graph's error envelope with ``status`` and ``code``; returns the message."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    body = response.json()
    assert set(body) == {"odata.error"}
    err = body["odata.error"]
    assert set(err) == {"code", "message", "requestId", "date"} and err["code"] == code, err
    assert err["message"]["lang"] == "en"
    uuid.UUID(err["requestId"])
    assert response.headers["request-id"] == err["requestId"]
    return str(err["message"]["value"])


def body(role_id: str, principal: str, resource: str) -> dict[str, str]:
    return {"id": role_id, "principalId": principal, "resourceId": resource}


def assignments(server: Server, principal_id: str) -> list[tuple[str, str, str]]:
    """What the store holds for ``principal_id``, read straight from it."""
    with store(server) as (d, tenant_id):
        return [(a.principal_id, a.resource_id, a.app_role_id) for a in d.assignments_of(tenant_id, principal_id)]


def new_user(server: Server) -> dict[str, Any]:
    return ok(server.graph("POST", "/users", json={"userPrincipalName": f"{uuid.uuid4().hex[:10]}@example.com",
                                                   "displayName": unique("user"), "accountEnabled": True}), 201)


def grant_aad_role(server: Server, sp: dict[str, Any], permission: str) -> None:
    aad = ok(server.graph("GET", AAD_SP))
    ok(server.graph("POST", f"/servicePrincipals/{aad['id']}/appRoleAssignedTo", json={
        "principalId": sp["id"], "resourceId": aad["id"], "appRoleId": builtins.AAD_GRAPH_ROLES[permission]}), 201)


def test_every_tenant_holds_aad_graph_and_its_token_carries_the_admin_roles(server: Server) -> None:
    aad = ok(server.graph("GET", AAD_SP))
    assert aad["displayName"] == "Windows Azure Active Directory"
    assert aad["appOwnerOrganizationId"] == builtins.MICROSOFT_TENANT_ID
    assert {r["value"]: r["id"] for r in aad["appRoles"]} == builtins.AAD_GRAPH_ROLES
    assert builtins.AAD_GRAPH_ROLES["Directory.ReadWrite.All"] == "78c8a3c8-a07e-4b9e-af1b-b5ccab50a175"
    claims = jwt.decode(aad_token(server), options={"verify_signature": False})
    assert claims["aud"] == AAD_GRAPH and claims["appid"] == server.info["admin_client_id"]
    assert set(claims["roles"]) == set(builtins.AAD_GRAPH_ROLES)


def test_the_story_s_call_with_the_principal_in_the_url(server: Server) -> None:
    """-ObjectId = -PrincipalId: the assignment shows in Graph v1.0 and in the client's next token."""
    api_app, api = new_api(server)
    client_app, client, secret = new_client(server)
    role_id = api_app["appRoles"][0]["id"]
    response = legacy(server, "POST", f"/servicePrincipals/{client['id']}/appRoleAssignments",
                      json=body(role_id, client["id"], api["id"]))
    created = ok(response, 201)
    assert set(created) == SHAPE
    assert created["odata.metadata"] == (f"{server.url}/{server.tenant_id}/$metadata#directoryObjects/{TYPE}"
                                         "/@Element")
    assert created["odata.type"] == TYPE and created["objectType"] == "AppRoleAssignment"
    assert created["deletionTimestamp"] is None and created["creationTimestamp"].endswith("Z")
    assert (created["id"], created["principalId"], created["resourceId"]) == (role_id, client["id"], api["id"])
    assert created["principalType"] == "ServicePrincipal"
    assert created["principalDisplayName"] == client["displayName"]
    assert created["resourceDisplayName"] == api["displayName"]

    listed = ok(server.graph("GET", f"/servicePrincipals/{client['id']}/appRoleAssignments"))["value"]
    assert [(a["id"], a["appRoleId"], a["resourceId"]) for a in listed] == [(created["objectId"], role_id, api["id"])]
    token = ok(server.token(client_app["appId"], secret, f"{api_app['identifierUris'][0]}/.default"))
    assert jwt.decode(token["access_token"], options={"verify_signature": False})["roles"] == ["Things.Read.All"]


def test_the_cmdlet_docs_call_with_the_resource_in_the_url(server: Server) -> None:
    """-ObjectId = -ResourceId, a user as the principal, and the ``odata.type`` key tolerated."""
    api_app, api = new_api(server, role("Things.Read.All", ("Application", "User")))
    user = new_user(server)
    role_id = api_app["appRoles"][0]["id"]
    response = legacy(server, "POST", f"/servicePrincipals/{api['id']}/appRoleAssignments",
                      json={"odata.type": TYPE, **body(role_id, user["id"], api["id"])})
    created = ok(response, 201)
    assert (created["principalId"], created["principalType"], created["id"]) == (user["id"], "User", role_id)
    held = ok(server.graph("GET", f"/servicePrincipals/{api['id']}/appRoleAssignedTo"))["value"]
    assert [a["id"] for a in held] == [created["objectId"]]


def test_a_user_s_assignments_by_id_and_by_user_principal_name(server: Server) -> None:
    api_app, api = new_api(server, role("Things.Read.All", ("User",)), role("Things.Write.All", ("User",)))
    user = new_user(server)
    first, second = (r["id"] for r in api_app["appRoles"])
    ok(legacy(server, "POST", f"/users/{user['id']}/appRoleAssignments", json=body(first, user["id"], api["id"])),
       201)
    ok(legacy(server, "POST", f"/users/{user['userPrincipalName']}/appRoleAssignments",
              json=body(second, user["id"], api["id"])), 201)
    listed = ok(legacy(server, "GET", f"/users/{user['id']}/appRoleAssignments"))
    assert listed["odata.metadata"] == f"{server.url}/{server.tenant_id}/$metadata#directoryObjects/{TYPE}"
    assert all(set(a) == SHAPE - {"odata.metadata"} for a in listed["value"])
    assert sorted(a["id"] for a in listed["value"]) == sorted([first, second])
    v1 = ok(server.graph("GET", f"/users/{user['id']}/appRoleAssignments"))["value"]
    assert sorted(a["id"] for a in v1) == sorted(a["objectId"] for a in listed["value"])


def test_a_service_principal_s_list_is_what_it_holds(server: Server) -> None:
    api_app, api = new_api(server)
    _, client, _ = new_client(server)
    created = ok(legacy(server, "POST", f"/servicePrincipals/{api['id']}/appRoleAssignments",
                        json=body(api_app["appRoles"][0]["id"], client["id"], api["id"])), 201)
    held = ok(legacy(server, "GET", f"/servicePrincipals/{client['id']}/appRoleAssignments"))["value"]
    assert [a["objectId"] for a in held] == [created["objectId"]]
    assert ok(legacy(server, "GET", f"/servicePrincipals/{api['id']}/appRoleAssignments"))["value"] == []


def test_the_url_object_must_be_one_of_the_body_ids(server: Server) -> None:
    api_app, api = new_api(server)
    _, client, _ = new_client(server)
    _, bystander, _ = new_client(server)
    response = legacy(server, "POST", f"/servicePrincipals/{bystander['id']}/appRoleAssignments",
                      json=body(api_app["appRoles"][0]["id"], client["id"], api["id"]))
    assert "must be the principalId or the resourceId" in odata_error(response, 400, "Request_BadRequest")
    assert assignments(server, client["id"]) == []


def test_a_duplicate_is_refused_and_leaves_one(server: Server) -> None:
    api_app, api = new_api(server)
    _, client, _ = new_client(server)
    role_id = api_app["appRoles"][0]["id"]
    ok(legacy(server, "POST", f"/servicePrincipals/{client['id']}/appRoleAssignments",
              json=body(role_id, client["id"], api["id"])), 201)
    again = legacy(server, "POST", f"/servicePrincipals/{api['id']}/appRoleAssignments",
                   json=body(role_id, client["id"], api["id"]))
    assert odata_error(again, 400, "Request_BadRequest") == "Permission being assigned already exists on the object."
    assert assignments(server, client["id"]) == [(client["id"], api["id"], role_id)]


@pytest.mark.parametrize("case", ["unknown principal", "unknown resource", "unknown role", "disabled role",
                                  "role for users only"])
def test_refusals_match_graph_v1_and_write_nothing(server: Server, case: str) -> None:
    """The same data, the same rules: 1.6 answers each bad assignment as Graph v1.0 does."""
    api_app, api = new_api(server, role("Things.Read.All"), role("Things.Old", enabled=False),
                           role("Things.Admin", ("User",)))
    _, client, _ = new_client(server)
    missing = str(uuid.uuid4())
    principal, resource, role_id = client["id"], api["id"], api_app["appRoles"][0]["id"]
    url_object = principal
    if case == "unknown principal":
        principal, url_object = missing, resource
    elif case == "unknown resource":
        resource = missing
    elif case == "unknown role":
        role_id = str(uuid.uuid4())
    elif case == "disabled role":
        role_id = api_app["appRoles"][1]["id"]
    else:
        role_id = api_app["appRoles"][2]["id"]
    old = legacy(server, "POST", f"/servicePrincipals/{url_object}/appRoleAssignments",
                 json=body(role_id, principal, resource))
    message = odata_error(old, 400, "Request_BadRequest")
    v1 = server.graph("POST", f"/servicePrincipals/{url_object}/"
                              f"{'appRoleAssignedTo' if url_object == resource else 'appRoleAssignments'}",
                      json={"appRoleId": role_id, "principalId": principal, "resourceId": resource})
    assert error(v1, 400, "Request_BadRequest")["message"] == message
    if case.startswith("unknown ") and case != "unknown role":
        assert message == "Not a valid reference update."
    assert assignments(server, client["id"]) == []
    with store(server) as (d, tenant_id):
        assert d.assignments_to(tenant_id, api["id"]) == []


def test_unknown_or_malformed_objects(server: Server) -> None:
    api_app, api = new_api(server)
    _, client, _ = new_client(server)
    role_id = api_app["appRoles"][0]["id"]
    missing = str(uuid.uuid4())
    response = legacy(server, "POST", f"/servicePrincipals/{missing}/appRoleAssignments",
                      json=body(role_id, missing, api["id"]))
    assert missing in odata_error(response, 404, "Request_ResourceNotFound")
    odata_error(legacy(server, "GET", f"/users/{missing}/appRoleAssignments"), 404, "Request_ResourceNotFound")
    response = legacy(server, "POST", "/servicePrincipals/not-a-guid/appRoleAssignments",
                      json=body(role_id, client["id"], api["id"]))
    assert odata_error(response, 400, "Request_BadRequest") == "Invalid object identifier 'not-a-guid'."
    for bad in ({**body(role_id, client["id"], api["id"]), "principalId": "nope"},
                {"principalId": client["id"], "resourceId": api["id"]},
                {**body(role_id, client["id"], api["id"]), "appRoleId": role_id},
                {**body(role_id, client["id"], api["id"]), "odata.type": "Microsoft.DirectoryServices.User"}):
        response = legacy(server, "POST", f"/servicePrincipals/{client['id']}/appRoleAssignments", json=bad)
        odata_error(response, 400, "Request_BadRequest")
    response = legacy(server, "POST", f"/servicePrincipals/{client['id']}/appRoleAssignments", content=b"{",
                      headers={"Content-Type": "application/json"})
    odata_error(response, 400, "Request_BadRequest")
    assert assignments(server, client["id"]) == []


def test_delete_through_the_principal_or_the_resource(server: Server) -> None:
    api_app, api = new_api(server, role("Things.Read.All"), role("Things.Write.All"))
    _, client, _ = new_client(server)
    _, bystander, _ = new_client(server)
    ids = [ok(legacy(server, "POST", f"/servicePrincipals/{client['id']}/appRoleAssignments",
                     json=body(r["id"], client["id"], api["id"])), 201)["objectId"] for r in api_app["appRoles"]]
    foreign = legacy(server, "DELETE", f"/servicePrincipals/{bystander['id']}/appRoleAssignments/{ids[0]}")
    odata_error(foreign, 404, "Request_ResourceNotFound")
    assert len(assignments(server, client["id"])) == 2
    gone = legacy(server, "DELETE", f"/servicePrincipals/{client['id']}/appRoleAssignments/{ids[0]}")
    assert gone.status_code == 204 and gone.content == b""
    gone = legacy(server, "DELETE", f"/servicePrincipals/{api['id']}/appRoleAssignments/{ids[1]}")
    assert gone.status_code == 204
    assert assignments(server, client["id"]) == []
    assert ok(server.graph("GET", f"/servicePrincipals/{client['id']}/appRoleAssignments"))["value"] == []
    again = legacy(server, "DELETE", f"/servicePrincipals/{client['id']}/appRoleAssignments/{ids[0]}")
    odata_error(again, 404, "Request_ResourceNotFound")
    odata_error(legacy(server, "DELETE", f"/servicePrincipals/{client['id']}/appRoleAssignments/x"), 400,
                "Request_BadRequest")


def test_api_version_1_6_is_required(server: Server) -> None:
    _, client, _ = new_client(server)
    path = f"/servicePrincipals/{client['id']}/appRoleAssignments"
    assert "api-version" in odata_error(legacy(server, "GET", path, params=()), 400, "Request_BadRequest")
    for params in ({"api-version": "1.5"}, {"api-version": "beta"}, [("api-version", "1.6"), ("api-version", "1.6")],
                   {"api-version": "1.6", "$top": "5"}):
        odata_error(legacy(server, "GET", path, params=params), 400, "Request_BadRequest")
    response = legacy(server, "PATCH", path, json={})
    odata_error(response, 405, "Request_BadRequest")
    assert response.headers["Allow"] == "GET, POST"
    response = legacy(server, "GET", f"{path}/{uuid.uuid4()}")
    odata_error(response, 405, "Request_BadRequest")
    assert response.headers["Allow"] == "DELETE"


def test_missing_or_wrong_tokens_get_401(server: Server) -> None:
    _, client, _ = new_client(server)
    path = f"/servicePrincipals/{client['id']}/appRoleAssignments"
    for token in ("", "not-a-jwt", server.admin_token("api://tenantd")):
        response = legacy(server, "GET", path, token=token)
        odata_error(response, 401, "Authentication_MissingOrMalformed")
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    forged = jwt.encode({"aud": AAD_GRAPH, "tid": server.tenant_id, "roles": ["Directory.ReadWrite.All"]}, "k" * 32)
    odata_error(legacy(server, "GET", path, token=forged), 401, "Authentication_MissingOrMalformed")


def test_permissions_of_either_graph(server: Server) -> None:
    """AAD Graph's Directory permissions, or Microsoft Graph's as Graph v1.0 asks them; nothing else."""
    api_app, api = new_api(server, role("Things.Read.All"), role("Things.Write.All"))
    client_app, client, secret = new_client(server)
    target = f"/servicePrincipals/{client['id']}/appRoleAssignments"
    first, second = (body(r["id"], client["id"], api["id"]) for r in api_app["appRoles"])

    bare = aad_token(server, client_app["appId"], secret)
    message = odata_error(legacy(server, "GET", target, token=bare), 403, "Authorization_RequestDenied")
    assert message.startswith("Insufficient privileges to complete the operation.")

    grant_aad_role(server, client, "Directory.Read.All")
    reader = aad_token(server, client_app["appId"], secret)
    assert [a["resourceDisplayName"] for a in ok(legacy(server, "GET", target, token=reader))["value"]] == [
        "Windows Azure Active Directory"]
    odata_error(legacy(server, "POST", target, token=reader, json=first), 403, "Authorization_RequestDenied")

    grant_graph_role(server, client, "Directory.ReadWrite.All")   # not enough for assignments in Graph v1.0
    as_graph = graph_token(server, client_app, secret)
    odata_error(legacy(server, "POST", target, token=as_graph, json=first), 403, "Authorization_RequestDenied")
    error(server.graph("POST", target, token=as_graph, json={"appRoleId": first["id"], "principalId": client["id"],
                                                            "resourceId": api["id"]}), 403)
    assert [a for a in assignments(server, client["id"]) if a[1] == api["id"]] == []

    grant_aad_role(server, client, "Directory.ReadWrite.All")
    writer = aad_token(server, client_app["appId"], secret)
    ok(legacy(server, "POST", target, token=writer, json=first), 201)
    ok(legacy(server, "POST", target, token=server.admin_token(), json=second), 201)   # AppRoleAssignment.ReadWrite.All
    held = ok(legacy(server, "GET", target, token=reader))["value"]
    assert sorted(a["id"] for a in held if a["resourceId"] == api["id"]) == sorted([first["id"], second["id"]])


def test_the_tenant_in_the_url(server: Server) -> None:
    _, client, _ = new_client(server)
    path = f"/servicePrincipals/{client['id']}/appRoleAssignments"
    for name in (server.info["tenant_name"], "myorganization", server.tenant_id.upper()):
        listed = ok(legacy(server, "GET", path, tenant=name))
        assert listed["odata.metadata"].startswith(f"{server.url}/{name}/$metadata#")
    rt = server.runtime()
    try:
        other = rt.directory.create_tenant(unique("other").replace(" ", "-")).id
    finally:
        rt.store.dispose()
    for tenant in (other, str(uuid.uuid4()), "nosuchtenant.example"):
        response = legacy(server, "GET", path, tenant=tenant)
        odata_error(response, 401, "Authentication_Unauthorized")
    response = legacy(server, "POST", path, tenant=other, json=body(str(uuid.uuid4()), client["id"], client["id"]))
    odata_error(response, 401, "Authentication_Unauthorized")
