"""The token preview against real tokens: for each shape (an app with roles, a managed identity through IMDS, a
user through a public client with scp, roles and groups, v1 and v2, past 200 groups) the previewed claims are
those of a token the real endpoint mints for the same principal at the same time, but the minting time and
the opaque values; a principal that would be refused gets the AADSTS code the token endpoint answers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tenantd.domain.model import Group

from ..http.graph_support import new_client, ok, role, unique
from ..http.people_support import PASSWORD, claims, new_user, store_of, token
from ..support import Server

Obj = dict[str, Any]
VARYING = {"iat", "nbf", "exp", "aio", "rh", "uti"}   # minting time, and opaque per-token values
SITE = "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg/providers/Microsoft.Web/sites/preview"


@dataclass
class World:
    server: Server
    api2: Obj           # v2 tokens, groupMembershipClaims SecurityGroup
    api1: Obj           # v1 tokens
    daemon: Obj         # a confidential client holding Things.Read on both
    daemon_secret: str
    native: Obj         # a public client, pre-authorized for Things.Read on both
    alice: Obj          # holds Things.Read on api2 through her group
    group: Obj
    identity_id: str    # a system-assigned managed identity holding Things.Read on api2
    imds: str           # the identity's host's IMDS base URL (with its secret)
    assignments: dict[str, str]   # who -> the assignment id on api2


def _api(server: Server, version: int | None, read_role: Obj, native: Obj, **fields: Any) -> Obj:
    name = unique("things").replace(" ", "-")
    read, write = str(uuid.uuid4()), str(uuid.uuid4())
    scopes = [{"id": sid, "value": value, "type": kind, "isEnabled": True, "adminConsentDisplayName": value,
               "adminConsentDescription": value, "userConsentDisplayName": value, "userConsentDescription": value}
              for sid, value, kind in ((read, "Things.Read", "User"), (write, "Things.Write", "Admin"))]
    app = ok(server.graph("POST", "/applications", json={
        "displayName": name, "identifierUris": [f"api://{name}"], "appRoles": [read_role],
        "api": {"requestedAccessTokenVersion": version, "oauth2PermissionScopes": scopes,
                "preAuthorizedApplications": [{"appId": native["appId"], "delegatedPermissionIds": [read]}]},
        **fields}), 201)
    sp = ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    return {**app, "sp": sp, "uri": f"api://{name}", "role": read_role["id"]}


def _assign(server: Server, api: Obj, principal_id: str) -> str:
    return str(ok(server.graph("POST", f"/servicePrincipals/{api['sp']['id']}/appRoleAssignedTo", json={
        "principalId": principal_id, "resourceId": api["sp"]["id"], "appRoleId": api["role"]}), 201)["id"])


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    native = ok(server.graph("POST", "/applications", json={"displayName": unique("native"),
                                                            "isFallbackPublicClient": True}), 201)
    ok(server.graph("POST", "/servicePrincipals", json={"appId": native["appId"]}), 201)
    api2 = _api(server, 2, role("Things.Read", ("Application", "User")), native,
                groupMembershipClaims="SecurityGroup")
    api1 = _api(server, None, role("Things.Read", ("Application", "User")), native)
    daemon, daemon_sp, secret = new_client(server)
    alice = new_user(server, "alice")
    group = ok(server.graph("POST", "/groups", json={"displayName": unique("readers"), "mailEnabled": False,
                                                     "mailNickname": "readers", "securityEnabled": True}), 201)
    ok(server.graph("POST", f"/groups/{group['id']}/members/$ref", json={
        "@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{alice['id']}"}), 204)
    rt = server.runtime()
    identity = rt.directory.create_managed_identity(server.tenant_id, "preview-app", "SystemAssigned", SITE)
    rt.store.dispose()
    assignments = {"daemon": _assign(server, api2, daemon_sp["id"]), "group": _assign(server, api2, group["id"]),
                   "identity": _assign(server, api2, identity.id)}
    _assign(server, api1, daemon_sp["id"])
    session = ok(server.admin("POST", "/hosts/sessions", json={"host": SITE}), 201)
    yield World(server, api2, api1, daemon, secret, native, alice, group, identity.id,
                f"{server.info['identity_url']}/{session['secret']}", assignments)


def preview(server: Server, **body: Any) -> Obj:
    return ok(server.admin("POST", "/token/preview", json=body))


def previewed_claims(answer: Obj) -> Obj:
    assert answer["issued"] and answer["refusal"] is None, answer
    return {c["name"]: c["value"] for c in answer["claims"]}


def explained(answer: Obj) -> dict[str, str]:
    return {c["name"]: c["explanation"] for c in answer["claims"]}


def assert_same(answer: Obj, minted_token: str) -> None:
    """The previewed claims are the minted token's, in its order, but the minting time and opaque values."""
    mine, real = previewed_claims(answer), claims(minted_token)
    assert list(mine) == list(real)
    assert {k: v for k, v in mine.items() if k not in VARYING} == {k: v for k, v in real.items() if k not in VARYING}
    assert abs(mine["iat"] - real["iat"]) < 60
    assert all(text for text in explained(answer).values()), explained(answer)


def _minted(response: httpx.Response) -> str:
    return str(ok(response)["access_token"])


def test_an_app_with_roles_v2_is_its_client_credentials_token(world: World) -> None:
    server = world.server
    real = _minted(server.token(world.daemon["appId"], world.daemon_secret, f"{world.api2['uri']}/.default"))
    answer = preview(server, principal=world.daemon["appId"], resource=world.api2["uri"])
    assert answer["shape"] == "app" and answer["version"] == 2
    assert_same(answer, real)
    said = explained(answer)
    assert f"assignment id {world.assignments['daemon']}" in said["roles"] and "Things.Read" in said["roles"]
    assert "appId" in said["aud"] and "secret" in said["azpacr"]
    assert "access_token" not in answer   # nothing was signed


def test_an_app_v1_is_its_client_credentials_token(world: World) -> None:
    server = world.server
    real = _minted(server.token(world.daemon["appId"], world.daemon_secret, f"{world.api1['uri']}/.default"))
    answer = preview(server, principal=world.daemon["appId"], resource=f"{world.api1['uri']}/.default")
    assert answer["version"] == 1
    assert_same(answer, real)
    assert previewed_claims(answer)["aud"] == world.api1["uri"]
    assert world.api1["uri"] in explained(answer)["aud"]


def test_a_managed_identity_is_its_imds_token(world: World) -> None:
    with httpx.Client() as client:
        response = client.get(f"{world.imds}/metadata/identity/oauth2/token", headers={"Metadata": "true"},
                              params={"api-version": "2018-02-01", "resource": world.api2["uri"]})
    answer = preview(world.server, principal=world.identity_id, resource=world.api2["uri"])
    assert answer["shape"] == "managed"
    assert_same(answer, _minted(response))
    assert previewed_claims(answer)["xms_mirid"] == SITE
    assert f"assignment id {world.assignments['identity']}" in explained(answer)["roles"]


def _password(world: World, user: Obj, version: int = 2, **form: str) -> httpx.Response:
    return token(world.server, version=version, grant_type="password", client_id=world.native["appId"],
                 username=user["userPrincipalName"], password=PASSWORD, **form)


def test_a_user_through_a_public_client_v2_is_her_password_grant_token(world: World) -> None:
    real = _minted(_password(world, world.alice, scope=f"{world.api2['uri']}/Things.Read"))
    answer = preview(world.server, principal=world.alice["userPrincipalName"], client=world.native["appId"],
                     resource=world.api2["uri"], scopes=["Things.Read"])
    assert answer["shape"] == "user" and answer["version"] == 2
    assert_same(answer, real)
    mine, said = previewed_claims(answer), explained(answer)
    assert mine["scp"] == "Things.Read" and mine["roles"] == ["Things.Read"] and mine["groups"] == [world.group["id"]]
    assert "pre-authorized" in said["scp"]
    assert world.group["displayName"] in said["roles"] and world.assignments["group"] in said["roles"]
    assert "SecurityGroup" in said["groups"] and "public client" in said["azpacr"]


def test_a_user_v1_is_her_v1_password_grant_token(world: World) -> None:
    real = _minted(_password(world, world.alice, version=1, resource=world.api1["uri"]))
    answer = preview(world.server, principal=world.alice["id"], client=world.native["appId"],
                     resource=world.api1["uri"])
    assert answer["version"] == 1
    assert_same(answer, real)
    mine = previewed_claims(answer)
    assert mine["upn"] == world.alice["userPrincipalName"] and "roles" not in mine   # no role on api1
    assert "wids" in mine and "member role" in explained(answer)["wids"]


def test_past_200_groups_the_preview_shows_the_overage_the_token_carries(world: World) -> None:
    server = world.server
    carol = new_user(server, "carol")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    made = [Group(server.tenant_id, str(uuid.uuid4()), f"many {i:03d}", None, f"many{i}", True, now)
            for i in range(201)]
    with store_of(server) as store, store.write() as tx:
        tx.insert_groups(made)
        tx.insert_group_members([(g.id, carol["id"], "User") for g in made])
    real = _minted(_password(world, carol, scope=f"{world.api2['uri']}/Things.Read"))
    answer = preview(server, principal=carol["id"], client=world.native["appId"], resource=world.api2["uri"],
                     scopes=["Things.Read"])
    assert_same(answer, real)
    mine = previewed_claims(answer)
    assert "groups" not in mine and mine["_claim_names"] == {"groups": "src1"}
    assert "more than the 200" in explained(answer)["_claim_sources"]


def _refused(response: httpx.Response) -> int:
    assert response.status_code >= 400, response.text
    return int(response.json()["error_codes"][0])


def test_a_refused_preview_names_the_code_the_token_endpoint_answers(world: World) -> None:
    server = world.server
    locked = _api(server, 2, role("Things.Read", ("Application", "User")), world.native)
    ok(server.graph("PATCH", f"/servicePrincipals/{locked['sp']['id']}", json={"appRoleAssignmentRequired": True}),
       204)
    bob = new_user(server, "bob")
    cases = [
        (server.token(world.daemon["appId"], world.daemon_secret, f"{locked['uri']}/.default"),
         {"principal": world.daemon["appId"], "resource": locked["uri"]}),
        (server.token(world.daemon["appId"], world.daemon_secret, "api://nothing-here/.default"),
         {"principal": world.daemon["appId"], "resource": "api://nothing-here"}),
        (_password(world, bob, scope=f"{locked['uri']}/Things.Read"),
         {"principal": bob["id"], "client": world.native["appId"], "resource": locked["uri"],
          "scopes": ["Things.Read"]}),
        (_password(world, world.alice, scope=f"{world.api2['uri']}/Things.Write"),
         {"principal": world.alice["id"], "client": world.native["appId"], "resource": world.api2["uri"],
          "scopes": ["Things.Write"]}),
    ]
    codes = []
    for response, body in cases:
        answer = preview(server, **body)
        assert not answer["issued"] and answer["claims"] == [], answer
        assert answer["refusal"]["aadsts"] == _refused(response)
        assert answer["refusal"]["explanation"] and "no explanation" not in answer["refusal"]["explanation"]
        codes.append(answer["refusal"]["aadsts"])
    assert codes == [501051, 500011, 50105, 65001]
    ok(server.graph("PATCH", f"/users/{bob['id']}", json={"accountEnabled": False}), 204)
    answer = preview(server, principal=bob["id"], client=world.native["appId"], resource=world.api2["uri"])
    assert answer["refusal"]["aadsts"] == _refused(_password(world, bob, scope=f"{world.api2['uri']}/.default"))
    assert "disabled" in answer["refusal"]["explanation"]


def test_a_role_assigned_shows_in_the_very_next_preview(world: World) -> None:
    server = world.server
    _, sp, _ = new_client(server)
    before = previewed_claims(preview(server, principal=sp["id"], resource=world.api2["uri"]))
    assignment = _assign(server, world.api2, sp["id"])
    after = preview(server, principal=sp["id"], resource=world.api2["uri"])
    assert "roles" not in before and previewed_claims(after)["roles"] == ["Things.Read"]
    assert assignment in explained(after)["roles"]


def test_minting_signs_exactly_the_previewed_token(world: World) -> None:
    server = world.server
    answer = preview(server, principal=world.alice["id"], client=world.native["appId"],
                     resource=world.api2["uri"], scopes=["Things.Read"], mint=True)
    assert_same(answer, answer["access_token"])
    checked = ok(server.admin("POST", "/token/decode", json={"token": answer["access_token"]}))
    assert checked["valid"] and checked["reasons"] == []


def test_an_unknown_principal_or_client_is_named(world: World) -> None:
    nobody = preview(world.server, principal=str(uuid.uuid4()), resource=world.api2["uri"])
    assert nobody["refusal"]["aadsts"] == 700016 and "No service principal" in nobody["refusal"]["description"]
    stranger = preview(world.server, principal=world.alice["id"], client=str(uuid.uuid4()), resource=world.api2["uri"])
    assert stranger["refusal"]["aadsts"] == 700016 and stranger["shape"] == "user"


def test_an_admins_consent_is_named_in_scp(world: World) -> None:
    server = world.server
    native_sp = ok(server.graph("GET", f"/servicePrincipals(appId='{world.native['appId']}')"))
    grant = ok(server.graph("POST", "/oauth2PermissionGrants", json={
        "clientId": native_sp["id"], "consentType": "AllPrincipals", "resourceId": world.api1["sp"]["id"],
        "scope": "Things.Write"}), 201)
    real = _minted(_password(world, world.alice, scope=f"{world.api1['uri']}/Things.Write"))
    answer = preview(server, principal=world.alice["id"], client=world.native["appId"], resource=world.api1["uri"],
                     scopes=["Things.Write"])
    assert_same(answer, real)
    said = explained(answer)["scp"]
    admin = ok(server.graph("GET", f"/servicePrincipals(appId='{server.info['admin_client_id']}')"))["displayName"]
    assert f"consented for all users by {admin} (grant id {grant['id']}" in said, said


def test_a_user_assigned_identity_on_a_host_is_its_imds_token(world: World) -> None:
    server = world.server
    resource_id = SITE.replace("Microsoft.Web/sites/preview", "Microsoft.ManagedIdentity/userAssignedIdentities/ua")
    rt = server.runtime()
    identity = rt.directory.create_managed_identity(server.tenant_id, "preview-ua", "UserAssigned", resource_id)
    rt.store.dispose()
    assert server.admin("POST", f"/identities/{identity.id}/hosts", json={"host": SITE}).status_code == 204
    _assign(server, world.api2, identity.id)
    with httpx.Client() as client:
        response = client.get(f"{world.imds}/metadata/identity/oauth2/token", headers={"Metadata": "true"},
                              params={"api-version": "2018-02-01", "resource": world.api2["uri"],
                                      "client_id": identity.app_id})
    answer = preview(server, principal=identity.app_id, resource=world.api2["uri"], host=SITE)
    assert_same(answer, _minted(response))
    mine = previewed_claims(answer)
    assert mine["xms_mirid"] == resource_id and mine["xms_az_rid"] == SITE
    assert "xms_az_rid" not in previewed_claims(preview(server, principal=identity.id, resource=world.api2["uri"]))
