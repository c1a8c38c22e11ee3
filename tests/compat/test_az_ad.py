"""The real Azure CLI's ``az ad`` commands against tenantd's Graph, signed in once for the module as the tenant's
admin app (``az login --service-principal``): applications (app roles from a file, identifier URIs, credentials,
federated credentials, API permissions and grants), service principals and the filters az builds, users,
groups and their members, ``az rest`` to appRoleAssignedTo; and what tenantd does not serve failing with az's
own error text, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .az_world import THINGS, AzWorld, az_world, claims
from .azure_cli import Az

THINGS_APP_ID = "57bfd192-6d0a-466d-beec-bd22114849a0"
READ_ALL = "32028ccd-3212-4f39-3212-beabd6787d81"       # Things API's app role
READ_SCOPE = "0e064f9a-a67d-4a4d-945e-4d611dcf9b63"     # Things API's Things.Read
ROLES = [{"allowedMemberTypes": ["Application"], "description": "Write widgets", "displayName": "Write widgets",
          "isEnabled": True, "value": "Widgets.Write"}]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzWorld]:
    with az_world(tmp_path_factory) as arranged:
        yield arranged


@pytest.fixture(scope="module")
def az(world: AzWorld, tmp_path_factory: pytest.TempPathFactory) -> Az:
    signed_in = world.az(tmp_path_factory.mktemp("az"))
    info = world.server.info
    signed_in.ok("login", "--service-principal", "-u", info["admin_client_id"],
                 f"--password={info['admin_client_secret']}", "--tenant", world.tenant_id)
    return signed_in


@pytest.fixture(scope="module")
def widgets(az: Az, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``az ad app create --app-roles @file --identifier-uris`` and ``az ad sp create``: the Widgets API."""
    roles = tmp_path_factory.mktemp("roles") / "roles.json"
    roles.write_text(json.dumps(ROLES))
    app = az.ok("ad", "app", "create", "--display-name", "Widgets", "--app-roles", f"@{roles}",
                "--identifier-uris", "api://widgets")
    assert [r["value"] for r in app["appRoles"]] == ["Widgets.Write"] and app["identifierUris"] == ["api://widgets"]
    sp = az.ok("ad", "sp", "create", "--id", app["appId"])
    assert sp["appId"] == app["appId"] and "api://widgets" in sp["servicePrincipalNames"]
    return {"app": app["id"], "appId": app["appId"], "sp": sp["id"]}


def test_app_update_and_show(az: Az, widgets: dict[str, str]) -> None:
    az.ok("ad", "app", "update", "--id", widgets["appId"], "--identifier-uris", "api://widgets", "api://widgets-v2",
          "--sign-in-audience", "AzureADMyOrg")
    shown = az.ok("ad", "app", "show", "--id", widgets["appId"])
    assert shown["identifierUris"] == ["api://widgets", "api://widgets-v2"] and shown["id"] == widgets["app"]
    assert [a["displayName"] for a in az.ok("ad", "app", "list", "--identifier-uri", "api://widgets-v2")] == [
        "Widgets"]
    assert [a["appId"] for a in az.ok("ad", "app", "list", "--display-name", "Widg")] == [widgets["appId"]]


def test_sp_show_and_the_filters_az_builds(az: Az, widgets: dict[str, str]) -> None:
    assert az.ok("ad", "sp", "show", "--id", widgets["appId"])["id"] == widgets["sp"]
    assert az.ok("ad", "sp", "show", "--id", "api://widgets")["id"] == widgets["sp"]   # servicePrincipalNames/any
    assert az.ok("ad", "sp", "show", "--id", widgets["sp"])["appId"] == widgets["appId"]
    assert [s["id"] for s in az.ok("ad", "sp", "list", "--display-name", "Widg")] == [widgets["sp"]]   # startswith
    assert [s["id"] for s in az.ok("ad", "sp", "list", "--spn", "api://widgets")] == [widgets["sp"]]
    assert [s["id"] for s in az.ok("ad", "sp", "list", "--filter", "startswith(displayName,'Widg')")] == [
        widgets["sp"]]
    assert len(az.ok("ad", "sp", "list", "--all")) > 5


def test_credential_reset_gives_a_secret_that_signs_in(world: AzWorld, az: Az, widgets: dict[str, str],
                                                        tmp_path: Path) -> None:
    reset = az.ok("ad", "app", "credential", "reset", "--id", widgets["appId"], "--display-name", "ci")
    assert reset["appId"] == widgets["appId"] and reset["tenant"] == world.tenant_id
    listed = az.ok("ad", "app", "credential", "list", "--id", widgets["appId"])
    assert [c["displayName"] for c in listed] == ["ci"]
    other = world.az(tmp_path / "widgets")
    other.ok("login", "--service-principal", "-u", widgets["appId"], f"--password={reset['password']}",
             "--tenant", world.tenant_id)
    assert claims(other.ok("account", "get-access-token", "--resource", THINGS)["accessToken"])["appid"] == (
        widgets["appId"])


def test_federated_credentials(az: Az, widgets: dict[str, str]) -> None:
    parameters = {"name": "github-main", "issuer": "https://token.actions.githubusercontent.com",
                  "subject": "repo:contoso/widgets:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]}
    created = az.ok("ad", "app", "federated-credential", "create", "--id", widgets["appId"],
                    "--parameters", json.dumps(parameters))
    assert created["subject"] == parameters["subject"]
    listed = az.ok("ad", "app", "federated-credential", "list", "--id", widgets["appId"])
    assert [c["name"] for c in listed] == ["github-main"]
    for key in ("github-main", created["id"]):   # by name and by id, as Graph takes either
        shown = az.ok("ad", "app", "federated-credential", "show", "--id", widgets["appId"],
                      "--federated-credential-id", key)
        assert shown["id"] == created["id"]
    az.ok("ad", "app", "federated-credential", "delete", "--id", widgets["appId"],
          "--federated-credential-id", "github-main")
    assert az.ok("ad", "app", "federated-credential", "list", "--id", widgets["appId"]) == []
    assert "AADSTS" not in az.fails("ad", "app", "federated-credential", "create", "--id", widgets["appId"],
                                    "--parameters", json.dumps({**parameters, "name": "x"}))


def test_api_permissions_and_grants(az: Az, widgets: dict[str, str]) -> None:
    az.ok("ad", "app", "permission", "add", "--id", widgets["appId"], "--api", THINGS_APP_ID,
          "--api-permissions", f"{READ_ALL}=Role", f"{READ_SCOPE}=Scope")
    (listed,) = az.ok("ad", "app", "permission", "list", "--id", widgets["appId"])
    assert listed["resourceAppId"] == THINGS_APP_ID
    assert {(a["id"], a["type"]) for a in listed["resourceAccess"]} == {(READ_ALL, "Role"), (READ_SCOPE, "Scope")}
    grant = az.ok("ad", "app", "permission", "grant", "--id", widgets["appId"], "--api", THINGS_APP_ID,
                  "--scope", "Things.Read")
    assert grant["consentType"] == "AllPrincipals" and grant["clientId"] == widgets["sp"]
    (shown,) = az.ok("ad", "app", "permission", "list-grants", "--id", widgets["appId"], "--show-resource-name")
    assert shown["scope"] == "Things.Read" and shown["resourceDisplayName"] == "Things API"
    refused = az.fails("ad", "app", "permission", "admin-consent", "--id", widgets["appId"])
    assert "not yet supported on sovereign clouds" in refused   # az's own refusal: use tenantd consent


def test_rest_to_app_role_assigned_to(world: AzWorld, az: Az, widgets: dict[str, str]) -> None:
    """``az rest`` with tenantd's Graph URL gets a Graph token by itself (Resource Manager is on another
    origin); ``--resource`` names it explicitly."""
    things_sp = az.ok("ad", "sp", "show", "--id", THINGS_APP_ID)["id"]
    url = f"{world.server.url}/v1.0/servicePrincipals/{things_sp}/appRoleAssignedTo"
    body = json.dumps({"principalId": widgets["sp"], "resourceId": things_sp, "appRoleId": READ_ALL})
    created = az.ok("rest", "--method", "post", "--url", url, "--body", body)
    assert created["principalDisplayName"] == "Widgets"
    listed = az.ok("rest", "--url", url, "--resource", world.server.url + "/")["value"]
    assert widgets["sp"] in [a["principalId"] for a in listed]


def test_users_and_groups(az: Az) -> None:
    user = az.ok("ad", "user", "create", "--display-name", "Zed", "--user-principal-name", "zed@contoso.test",
                 "--password", "Zed-Signs-In-1")
    assert az.ok("ad", "user", "show", "--id", "zed@contoso.test")["id"] == user["id"]
    assert "zed@contoso.test" in [u["userPrincipalName"] for u in az.ok("ad", "user", "list")]
    assert [u["id"] for u in az.ok("ad", "user", "list", "--upn", "zed@contoso.test")] == [user["id"]]
    group = az.ok("ad", "group", "create", "--display-name", "Widgeteers", "--mail-nickname", "widgeteers")
    az.ok("ad", "group", "member", "add", "--group", "Widgeteers", "--member-id", user["id"])
    assert [m["id"] for m in az.ok("ad", "group", "member", "list", "--group", group["id"])] == [user["id"]]
    assert az.ok("ad", "group", "show", "--group", "Widgeteers")["id"] == group["id"]
    assert az.ok("ad", "user", "get-member-groups", "--id", "zed@contoso.test") == [   # names through getByIds
        {"id": group["id"], "displayName": "Widgeteers"}]
    assert az.ok("ad", "group", "member", "check", "--group", "Widgeteers", "--member-id", user["id"]) == {
        "value": True}   # directoryObjects/{id}/checkMemberGroups
    az.ok("ad", "group", "member", "remove", "--group", group["id"], "--member-id", user["id"])
    assert az.ok("ad", "group", "member", "list", "--group", group["id"]) == []
    assert az.ok("ad", "group", "member", "check", "--group", group["id"], "--member-id", user["id"]) == {
        "value": False}
    az.ok("ad", "user", "delete", "--id", user["id"])
    az.ok("ad", "group", "delete", "--group", group["id"])


def test_what_tenantd_cannot_serve_fails_as_az_fails(world: AzWorld, az: Az) -> None:
    missing = "11111111-1111-1111-1111-111111111111"
    assert f"Resource '{missing}' does not exist" in az.fails("ad", "app", "show", "--id", missing)
    assert "Resource 'nobody@contoso.test' does not exist" in az.fails("ad", "user", "show", "--id",
                                                                       "nobody@contoso.test")
    assert "only valid with delegated authentication" in az.fails("ad", "signed-in-user", "show")
    assert "BadRequest" in az.fails("rest", "--url", f"{world.server.url}/v1.0/nothingHere")
    beta = az.fails("rest", "--url", f"{world.server.url}/beta/users", "--resource", world.server.url + "/")
    assert "Resource not found for the segment 'beta'" in beta   # Graph's envelope, as az reads it
    assert az.fails("ad", "sp", "credential", "reset", "--id", THINGS_APP_ID)   # Graph's error, no traceback


def test_delete_the_app_and_its_service_principal(az: Az, widgets: dict[str, str]) -> None:
    az.ok("ad", "sp", "delete", "--id", widgets["appId"])
    az.ok("ad", "app", "delete", "--id", widgets["appId"])
    assert az.ok("ad", "app", "list", "--display-name", "Widgets") == []
