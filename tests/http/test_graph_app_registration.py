"""Graph v1.0: an application's sign-in settings (audience, redirect URIs by platform, implicit grant settings,
public client flag, groups claim, optional claims) and delegated permissions (scopes, pre-authorized clients,
required access): round trips, the service principal's mirror, and Graph's refusals."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tenantd.domain import builtins

from ..support import Server
from .graph_support import error, new_app, new_sp, ok, store, unique

OPTIONAL_CLAIMS = {"idToken": [{"name": "email", "source": None, "essential": False, "additionalProperties": []}],
                   "accessToken": [{"name": "groups", "source": None, "essential": True,
                                    "additionalProperties": ["cloud_displayname"]}],
                   "saml2Token": []}


def scope(value: str, kind: str = "User", enabled: bool = True) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "value": value, "type": kind, "isEnabled": enabled,
            "adminConsentDisplayName": f"{value} (admin)", "adminConsentDescription": f"Lets the app {value}",
            "userConsentDisplayName": f"{value} (you)", "userConsentDescription": f"Lets the app {value} as you"}


def registration(read: dict[str, Any]) -> dict[str, Any]:
    """A body with every sign-in and delegated-permission property set."""
    return {
        "signInAudience": "AzureADMultipleOrgs", "isFallbackPublicClient": True,
        "groupMembershipClaims": "SecurityGroup, DirectoryRole", "optionalClaims": OPTIONAL_CLAIMS,
        "web": {"redirectUris": ["https://orders.example.com/signin-oidc", "http://localhost:8000/auth/callback"],
                "implicitGrantSettings": {"enableIdTokenIssuance": True, "enableAccessTokenIssuance": False}},
        "spa": {"redirectUris": ["http://127.0.0.1:3000"]},
        "publicClient": {"redirectUris": ["http://localhost", "msal4b0db8c2://auth", "urn:ietf:wg:oauth:2.0:oob"]},
        "api": {"oauth2PermissionScopes": [read],
                "preAuthorizedApplications": [{"appId": builtins.AZURE_CLI_APP_ID,
                                               "delegatedPermissionIds": [read["id"]]}]},
        "requiredResourceAccess": [{"resourceAppId": builtins.GRAPH_APP_ID, "resourceAccess": [
            {"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"},
            {"id": builtins.GRAPH_ROLES["Application.Read.All"], "type": "Role"}]}],
    }


def test_every_setting_round_trips_and_the_service_principal_mirrors_them(server: Server) -> None:
    read = scope("Orders.Read")
    body = registration(read)
    created = new_app(server, "orders", **body)
    fetched = ok(server.graph("GET", f"/applications/{created['id']}"))
    for app in (created, fetched):
        assert app["signInAudience"] == "AzureADMultipleOrgs" and app["isFallbackPublicClient"] is True
        assert app["groupMembershipClaims"] == "SecurityGroup, DirectoryRole"
        assert app["optionalClaims"] == OPTIONAL_CLAIMS
        assert app["web"]["redirectUris"] == body["web"]["redirectUris"]
        assert app["web"]["redirectUriSettings"] == [{"uri": u, "index": None} for u in body["web"]["redirectUris"]]
        assert app["web"]["implicitGrantSettings"] == body["web"]["implicitGrantSettings"]
        assert app["spa"] == body["spa"] and app["publicClient"] == body["publicClient"]
        assert app["api"]["oauth2PermissionScopes"] == [read]
        assert app["api"]["preAuthorizedApplications"] == body["api"]["preAuthorizedApplications"]
        assert app["requiredResourceAccess"] == body["requiredResourceAccess"]

    sp = new_sp(server, created)
    replies = [*body["web"]["redirectUris"], *body["spa"]["redirectUris"], *body["publicClient"]["redirectUris"]]
    assert sp["oauth2PermissionScopes"] == [read] and sp["replyUrls"] == replies
    assert sp["signInAudience"] == "AzureADMultipleOrgs"

    write = scope("Orders.Write", "Admin")
    assert server.graph("PATCH", f"/applications/{created['id']}", json={
        "signInAudience": "AzureADMyOrg", "spa": {"redirectUris": []},
        "api": {"oauth2PermissionScopes": [read, write]}}).status_code == 204
    sp = ok(server.graph("GET", f"/servicePrincipals/{sp['id']}"))
    assert sp["oauth2PermissionScopes"] == [read, write] and sp["signInAudience"] == "AzureADMyOrg"
    assert sp["replyUrls"] == [*body["web"]["redirectUris"], *body["publicClient"]["redirectUris"]]
    app = ok(server.graph("GET", f"/applications/{created['id']}"))
    assert app["api"]["preAuthorizedApplications"] == body["api"]["preAuthorizedApplications"]   # untouched
    assert app["requiredResourceAccess"] == body["requiredResourceAccess"]


def test_implicit_grant_settings_change_as_graph_merges_them(server: Server) -> None:
    """A new application has both off; a PATCH sets the properties it names and keeps the others (and the
    redirect URIs beside them); null turns both off. The service principal has no such setting."""
    app = new_app(server, "implicit", web={"redirectUris": ["https://implicit.example.com/cb"]})
    path = f"/applications/{app['id']}"
    off = {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False}
    assert app["web"]["implicitGrantSettings"] == off
    steps: list[tuple[Any, dict[str, bool]]] = [
        ({"enableIdTokenIssuance": True}, {**off, "enableIdTokenIssuance": True}),
        ({"@odata.type": "#microsoft.graph.implicitGrantSettings", "enableAccessTokenIssuance": True},
         {"enableAccessTokenIssuance": True, "enableIdTokenIssuance": True}),
        ({"enableIdTokenIssuance": None}, {**off, "enableAccessTokenIssuance": True}),
        (None, off)]
    for sent, expected in steps:
        assert server.graph("PATCH", path, json={"web": {"implicitGrantSettings": sent}}).status_code == 204
        web = ok(server.graph("GET", path))["web"]
        assert web["implicitGrantSettings"] == expected and web["redirectUris"] == ["https://implicit.example.com/cb"]
    server.graph("PATCH", path, json={"web": {"implicitGrantSettings": {"enableIdTokenIssuance": True}}})
    assert server.graph("PATCH", path, json={"web": {"redirectUris": []}}).status_code == 204
    assert ok(server.graph("GET", path))["web"]["implicitGrantSettings"]["enableIdTokenIssuance"] is True
    assert "implicitGrantSettings" not in new_sp(server, app)


def test_a_get_modify_patch_of_the_whole_object_is_accepted(server: Server) -> None:
    """What the portal and SDKs do: read the application, change one thing, send the rest back."""
    app = new_app(server, "roundtrip", **registration(scope("Things.Read")))
    fetched = ok(server.graph("GET", f"/applications/{app['id']}"))
    body = {k: fetched[k] for k in ("displayName", "signInAudience", "isFallbackPublicClient", "groupMembershipClaims",
                                    "optionalClaims", "web", "spa", "publicClient", "requiredResourceAccess")}
    body["api"] = {k: v for k, v in fetched["api"].items() if k != "acceptMappedClaims"}
    body["web"] = {**body["web"], "redirectUris": [*body["web"]["redirectUris"], "https://new.example.com/cb"]}
    body["web"]["redirectUriSettings"] = [{"uri": u, "index": None} for u in body["web"]["redirectUris"]]
    assert server.graph("PATCH", f"/applications/{app['id']}", json=body).status_code == 204
    after = ok(server.graph("GET", f"/applications/{app['id']}"))
    assert after["web"]["redirectUris"][-1] == "https://new.example.com/cb"
    assert {k: v for k, v in after.items() if k != "web"} == {k: v for k, v in fetched.items() if k != "web"}


def test_a_scope_must_be_disabled_before_it_is_removed(server: Server) -> None:
    read, write = scope("Docs.Read"), scope("Docs.Write")
    app = new_app(server, "docs", api={"oauth2PermissionScopes": [read, write]})
    path = f"/applications/{app['id']}"
    err = error(server.graph("PATCH", path, json={"api": {"oauth2PermissionScopes": [read]}}), 400,
                "CannotDeleteOrUpdateEnabledEntitlement")
    assert err["message"] == "Permission (scope or role) cannot be deleted or updated unless disabled first."
    assert server.graph("PATCH", path, json={
        "api": {"oauth2PermissionScopes": [read, {**write, "isEnabled": False}]}}).status_code == 204
    assert server.graph("PATCH", path, json={"api": {"oauth2PermissionScopes": [read]}}).status_code == 204
    assert ok(server.graph("GET", path))["api"]["oauth2PermissionScopes"] == [read]


def test_a_scope_named_by_a_pre_authorized_client_cannot_go(server: Server) -> None:
    read = scope("Mail.Send")
    app = new_app(server, "mail", api={"oauth2PermissionScopes": [read], "preAuthorizedApplications": [
        {"appId": builtins.AZURE_CLI_APP_ID, "delegatedPermissionIds": [read["id"]]}]})
    path = f"/applications/{app['id']}"
    assert server.graph("PATCH", path, json={
        "api": {"oauth2PermissionScopes": [{**read, "isEnabled": False}]}}).status_code == 204
    err = error(server.graph("PATCH", path, json={"api": {"oauth2PermissionScopes": []}}), 400)
    assert "preAuthorizedApplications" in err["message"]
    assert server.graph("PATCH", path, json={"api": {"oauth2PermissionScopes": [],
                                                     "preAuthorizedApplications": []}}).status_code == 204


READ = scope("Things.Read")
BAD: list[tuple[str, Any]] = [
    ("web", {"redirectUris": ["http://orders.example.com/cb"]}),          # http beyond loopback
    ("spa", {"redirectUris": ["http://10.0.0.1/cb"]}),
    ("web", {"redirectUris": ["https://orders.example.com/cb#part"]}),    # a fragment
    ("web", {"redirectUris": ["https://orders.example.com/" + "a" * 250]}),   # longer than 256
    ("web", {"redirectUris": ["https://*.example.com/cb"]}),              # a wildcard
    ("web", {"redirectUris": ["https://orders.example.com/a;b"]}),        # an unsupported character
    ("web", {"redirectUris": ["msal123://auth"]}),                         # custom schemes: public clients only
    ("web", {"redirectUris": ["https://a.example.com", "https://a.example.com"]}),
    ("web", {"redirectUris": "https://a.example.com"}),
    ("web", {"redirectUris": [f"https://a.example.com/{i}" for i in range(257)]}),
    ("web", {"implicitGrantSettings": {"enableIdTokenIssuance": "true"}}),
    ("web", {"implicitGrantSettings": {"enableHybridFlow": True}}),
    ("web", {"implicitGrantSettings": [True]}),
    ("web", {"homePageUrl": "https://a.example.com"}),
    ("web", {"redirectUris": [], "redirectUriSettings": [{"uri": "https://elsewhere.example.com", "index": None}]}),
    ("spa", {"redirectUris": ["https://a.example.com"], "logoutUrl": None}),
    ("publicClient", {"redirectUris": ["noscheme"]}),
    ("publicClient", {"redirectUris": ["http://example.com"]}),
    ("signInAudience", "PersonalMicrosoftAccount"),
    ("signInAudience", "AzureADandPersonalMicrosoftAccount"),
    ("signInAudience", None),
    ("isFallbackPublicClient", "yes"),
    ("groupMembershipClaims", "Everything"),
    ("groupMembershipClaims", "All, SecurityGroup"),
    ("groupMembershipClaims", "SecurityGroup, SecurityGroup"),
    ("groupMembershipClaims", 1),
    ("optionalClaims", {"idToken": [{"source": None}]}),
    ("optionalClaims", {"refreshToken": []}),
    ("optionalClaims", {"idToken": [{"name": "email", "essential": 0}]}),
    ("optionalClaims", {"idToken": [{"name": "email", "color": "red"}]}),
    ("optionalClaims", []),
    ("api", {"oauth2PermissionScopes": [{**READ, "type": "Everyone"}]}),
    ("api", {"oauth2PermissionScopes": [{**READ, "value": "has space"}]}),
    ("api", {"oauth2PermissionScopes": [{**READ, "value": ".dot"}]}),
    ("api", {"oauth2PermissionScopes": [{**READ, "value": "x" * 121}]}),
    ("api", {"oauth2PermissionScopes": [{**READ, "id": "not-a-guid"}]}),
    ("api", {"oauth2PermissionScopes": [{**READ, "id": "00000000-0000-0000-0000-000000000000"}]}),
    ("api", {"oauth2PermissionScopes": [{**READ, "adminConsentDisplayName": " "}]}),
    ("api", {"oauth2PermissionScopes": [READ, {**scope("Other"), "id": READ["id"]}]}),
    ("api", {"oauth2PermissionScopes": [READ, {**scope("things.read")}]}),    # values are unique ignoring case
    ("api", {"oauth2PermissionScopes": [{**READ, "isEnabled": "true"}]}),
    ("api", {"oauth2PermissionScopes": [{**READ, "extra": 1}]}),
    ("api", {"preAuthorizedApplications": [{"appId": builtins.AZURE_CLI_APP_ID,
                                            "delegatedPermissionIds": [str(uuid.uuid4())]}]}),
    ("api", {"oauth2PermissionScopes": [READ], "preAuthorizedApplications": [
        {"appId": builtins.AZURE_CLI_APP_ID, "delegatedPermissionIds": [READ["id"]]},
        {"appId": builtins.AZURE_CLI_APP_ID, "delegatedPermissionIds": [READ["id"]]}]}),
    ("api", {"preAuthorizedApplications": [{"appId": "cli"}]}),
    ("api", {"knownClientApplications": [builtins.AZURE_CLI_APP_ID]}),
    ("requiredResourceAccess", [{"resourceAppId": builtins.GRAPH_APP_ID,
                                 "resourceAccess": [{"id": READ["id"], "type": "Delegated"}]}]),
    ("requiredResourceAccess", [{"resourceAppId": "graph", "resourceAccess": []}]),
    ("requiredResourceAccess", [{"resourceAppId": builtins.GRAPH_APP_ID, "resourceAccess": []},
                                {"resourceAppId": builtins.GRAPH_APP_ID, "resourceAccess": []}]),
    ("requiredResourceAccess", {"resourceAppId": builtins.GRAPH_APP_ID}),
]


@pytest.mark.parametrize(("field", "value"), BAD, ids=[f"{i}-{f}" for i, (f, _) in enumerate(BAD)])
def test_bad_settings_get_graphs_400_and_change_nothing(server: Server, field: str, value: Any) -> None:
    name = unique("bad")
    error(server.graph("POST", "/applications", json={"displayName": name, field: value}), 400)
    app = new_app(server, "patched")
    error(server.graph("PATCH", f"/applications/{app['id']}", json={field: value}), 400)
    after = ok(server.graph("GET", f"/applications/{app['id']}"))
    assert {k: v for k, v in after.items() if k != "@odata.context"} == {
        k: v for k, v in app.items() if k != "@odata.context"}
    with store(server) as (d, tid):
        assert [a for a in d.applications(tid) if a.display_name == name] == []


def test_a_scope_cannot_take_an_app_roles_id(server: Server) -> None:
    role_id = str(uuid.uuid4())
    app = new_app(server, "ids", appRoles=[{"id": role_id, "value": "R", "displayName": "R",
                                             "allowedMemberTypes": ["User"]}])
    error(server.graph("PATCH", f"/applications/{app['id']}", json={
        "api": {"oauth2PermissionScopes": [{**scope("S"), "id": role_id}]}}), 400)


def test_loopback_redirect_uris_of_every_spelling_are_accepted(server: Server) -> None:
    uris = ["http://localhost", "http://localhost:5000/cb", "http://127.0.0.1:8400/", "http://[::1]:9000/x",
            "https://localhost:5001/signin-oidc"]
    app = new_app(server, "loopback", web={"redirectUris": uris}, spa={"redirectUris": uris})
    assert app["web"]["redirectUris"] == uris and app["spa"]["redirectUris"] == uris


@pytest.mark.parametrize(("app_id", "name"), [
    (builtins.AZURE_CLI_APP_ID, "Microsoft Azure CLI"),
    (builtins.AZURE_POWERSHELL_APP_ID, "Microsoft Azure PowerShell"),
    (builtins.VISUAL_STUDIO_APP_ID, "Visual Studio"),
])
def test_first_party_public_clients_exist_with_their_loopback_reply_urls(server: Server, app_id: str,
                                                                          name: str) -> None:
    sp = ok(server.graph("GET", f"/servicePrincipals(appId='{app_id}')"))
    assert sp["displayName"] == name and sp["appOwnerOrganizationId"] == builtins.MICROSOFT_TENANT_ID
    assert sp["replyUrls"] == ["http://localhost"] and sp["servicePrincipalType"] == "Application"
    assert app_id in builtins.PUBLIC_CLIENT_APP_IDS
    error(server.graph("GET", f"/applications(appId='{app_id}')"), 404)   # no application in the tenant
