"""``tenantd consent``: delegated permission grants by name against a real server (checked through Graph), and
its refusals as one line with a non-zero exit."""

from __future__ import annotations

import uuid

from ..support import Server
from .cli_support import fails, run, run_json


def _arrange(server: Server) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The Orders API (Orders.Read, Orders.Write), the Orders web client, and Alice: (client SP, API SP, Alice)."""
    scopes = [{"id": str(uuid.uuid4()), "value": v, "type": "User", "isEnabled": True,
               "adminConsentDisplayName": v, "adminConsentDescription": v} for v in ("Orders.Read", "Orders.Write")]
    sps = []
    for name, extra in (("Orders web", {}), ("Orders API", {"identifierUris": ["api://orders"],
                                                             "api": {"oauth2PermissionScopes": scopes}})):
        app = server.graph("POST", "/applications", json={"displayName": name, **extra}).json()
        sps.append(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}).json())
    alice = run_json(server, "user", "create", "alice@contoso.test", "--name", "Alice")
    return sps[0], sps[1], alice


def _grants(server: Server, client_id: str) -> dict[str | None, str]:
    found = server.graph("GET", "/oauth2PermissionGrants", params={"$filter": f"clientId eq '{client_id}'"})
    return {g["principalId"]: g["scope"] for g in found.json()["value"]}


def test_consent_grants_lists_and_revokes_by_name(server: Server) -> None:
    web, api, alice = _arrange(server)
    out = run(server, "consent", "Orders web", "api://orders", "Orders.Read")
    assert "every user" in out and "Orders.Read" in out
    assert _grants(server, web["id"]) == {None: "Orders.Read"}
    run(server, "consent", web["appId"], "Orders API", "orders.write", "Orders.Read")   # joins what it holds
    assert _grants(server, web["id"]) == {None: "Orders.Read Orders.Write"}
    hers = run_json(server, "consent", "Orders web", "Orders API", "Orders.Write", "--user", "alice@contoso.test")
    assert (hers["consentType"], hers["principalId"], hers["scope"]) == ("Principal", alice["id"], "Orders.Write")

    listed = run_json(server, "consent", "list", "--client", "Orders web")
    assert sorted(g["consentType"] for g in listed) == ["AllPrincipals", "Principal"]
    assert {g["resourceId"] for g in listed} == {api["id"]}
    assert [g["id"] for g in run_json(server, "consent", "list", "--user", alice["id"])] == [hers["id"]]
    table = run(server, "consent", "list", "--resource", "api://orders")
    assert "Orders web" in table and "alice@contoso.test" in table and "every user" in table

    assert "it keeps Orders.Read" in run(server, "consent", "revoke", "Orders web", "Orders API", "Orders.Write")
    assert _grants(server, web["id"]) == {None: "Orders.Read", alice["id"]: "Orders.Write"}
    assert "grant deleted" in run(server, "consent", "revoke", "Orders web", "Orders API", "--user", alice["id"])
    assert "grant deleted" in run(server, "consent", "revoke", "Orders web", "Orders API")
    assert _grants(server, web["id"]) == {}
    assert run(server, "consent", "list", "--client", "Orders web").strip() == "no delegated permission grants"


def test_consent_refusals_are_one_line_and_exit_non_zero(server: Server) -> None:
    assert server.graph("POST", "/applications", json={"displayName": "Lonely web"}).status_code == 201
    assert "offers" in fails(server, "consent", "Microsoft Azure CLI", "Microsoft Graph", "Orders.Nope")
    assert "No service principal or managed identity named 'Nobody'" in fails(
        server, "consent", "Nobody", "Microsoft Graph", "User.Read")
    assert "has no service principal" in fails(server, "consent", "Lonely web", "Microsoft Graph", "User.Read")
    assert "No user 'carol@contoso.test'" in fails(server, "consent", "Microsoft Azure CLI", "Microsoft Graph",
                                                    "User.Read", "--user", "carol@contoso.test")
    assert "nothing to revoke" in fails(server, "consent", "revoke", "Microsoft Azure CLI", "Microsoft Graph")
    run(server, "consent", "Microsoft Azure CLI", "Microsoft Graph", "User.Read")
    assert "does not hold Mail.Read" in fails(server, "consent", "revoke", "Microsoft Azure CLI", "Microsoft Graph",
                                              "Mail.Read")
    fails(server, "consent", "Microsoft Azure CLI", code=2)   # a usage error: RESOURCE and SCOPE are missing
