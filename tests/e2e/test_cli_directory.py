"""The directory commands against a real server: identities, users, groups, service principals, app roles
and secrets, each checked by reading the directory back through Graph or the admin API."""

from __future__ import annotations

import json

from ..support import Server
from .cli_support import fails, make_app, run, run_json

HOST = ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites/"
        "joonasmsitest")


def test_managed_identities_get_roles_by_name(server: Server) -> None:
    run(server, "app", "create", "Stock API", "--identifier-uri", "api://stock", "--role", "Stock.Read=Read stock")
    system = run_json(server, "identity", "create", "joonasmsitest", "--host", HOST)
    assert system["type"] == "SystemAssigned" and system["resourceId"] == HOST
    assert "userAssignedIdentities/orders-worker" in run(server, "identity", "create", "orders-worker",
                                                         "--user-assigned")
    assert {"joonasmsitest", "orders-worker"} <= {i["name"] for i in run_json(server, "identity", "list")}

    assert "managed identity" in run(server, "grant", "joonasmsitest", "Stock API", "Stock.Read")
    claims = json.loads(run(server, "token", "--as", "joonasmsitest", "--resource", "api://stock", "--decode"))
    assert claims["claims"]["roles"] == ["Stock.Read"] and claims["claims"]["oid"] == system["id"]
    shown = run(server, "identity", "show", system["clientId"])
    assert "joonasmsitest" in shown and "Stock.Read" in shown

    run(server, "identity", "delete", HOST)
    assert server.admin("GET", f"/identities/{system['id']}").status_code == 404


def test_users_groups_and_group_assignments(server: Server) -> None:
    run(server, "app", "create", "Wiki API", "--role", "Wiki.Edit=Edit", "--role-member-types", "User")
    alice = run_json(server, "user", "create", "alice@contoso.test", "--name", "Alice")
    assert alice["displayName"] == "Alice"
    bob = run_json(server, "user", "create", "bob@contoso.test")
    group = run_json(server, "group", "create", "Wiki editors", "--description", "People who edit")
    run(server, "group", "add-member", "Wiki editors", "alice@contoso.test")
    run(server, "group", "add-member", group["id"], bob["id"])
    run(server, "group", "remove-member", "Wiki editors", "bob@contoso.test")
    members = server.graph("GET", f"/groups/{group['id']}/members").json()["value"]
    assert [m["id"] for m in members] == [alice["id"]]

    run(server, "grant", "Wiki editors", "Wiki API", "Wiki.Edit")
    shown = run(server, "group", "show", "Wiki editors")
    assert "alice@contoso.test" in shown and "Wiki.Edit" in shown and "bob" not in shown
    user_token = run_json(server, "token", "--as", "alice@contoso.test", "--resource", "Wiki API", "--decode")
    assert user_token["claims"]["idtyp"] == "user" and user_token["claims"]["upn"] == "alice@contoso.test"

    run(server, "group", "delete", "Wiki editors")
    run(server, "user", "delete", "bob@contoso.test")
    assert server.graph("GET", f"/groups/{group['id']}").status_code == 404
    assert server.graph("GET", f"/users/{bob['id']}").status_code == 404


def test_app_roles_secrets_and_service_principal_settings(server: Server) -> None:
    app, _ = make_app(server, "Bill API", uris=("api://bill",))
    run(server, "app", "role", "add", "Bill API", "Bill.Pay=Pay bills", "--member-types", "Application,User")
    runner, _ = make_app(server, "Bill runner")
    run(server, "grant", "Bill runner", "api://bill", "Bill.Pay")

    # Graph refuses to remove an enabled role; disabling it takes it out of tokens.
    assert "disabled" in fails(server, "app", "role", "remove", "Bill API", "Bill.Pay")
    run(server, "app", "role", "disable", "Bill API", "Bill.Pay")
    token = json.loads(run(server, "token", "--as", "Bill runner", "--resource", "api://bill", "--decode"))
    assert "roles" not in token["claims"]

    run(server, "app", "set", "Bill API", "--token-version", "2", "--identifier-uri", "api://bills")
    changed = run_json(server, "app", "show", app["appId"])
    assert changed["api"]["requestedAccessTokenVersion"] == 2 and changed["identifierUris"] == ["api://bills"]
    assert changed["appRoles"][0]["isEnabled"] is False

    added = run_json(server, "app", "secret", "add", "Bill runner", "--name", "ci", "--years", "1")
    assert added["secretText"] and added["displayName"] == "ci"
    run(server, "app", "secret", "remove", "Bill runner", added["keyId"])
    assert server.graph("GET", f"/applications/{runner['id']}").json()["passwordCredentials"] == []

    run(server, "sp", "update", "api://bills", "--assignment-required", "--disabled")
    sp = server.graph("GET", f"/servicePrincipals(appId='{app['appId']}')").json()
    assert sp["appRoleAssignmentRequired"] is True and sp["accountEnabled"] is False
    run(server, "app", "delete", "Bill API")
    assert server.graph("GET", f"/applications/{app['id']}").status_code == 404
