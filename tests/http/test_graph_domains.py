"""Graph v1.0 /domains and the user realm they answer, against a real tenantd on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from ..support import Server
from .graph_support import error, grant_graph_role, graph_token, new_client, ok

DOMAIN_KEYS = {"authenticationType", "availabilityStatus", "id", "isAdminManaged", "isDefault", "isInitial",
               "isRoot", "isVerified", "passwordNotificationWindowInDays", "passwordValidityPeriodInDays",
               "supportedServices", "state"}


def _token_with(server: Server, permission: str) -> str:
    app, sp, secret = new_client(server)
    grant_graph_role(server, sp, permission)
    return graph_token(server, app, secret)


def _realm(server: Server, name: str) -> dict[str, Any]:
    with server.http() as client:
        return ok(client.get(f"/common/userrealm/{name}", params={"api-version": "1.0"}))


def test_a_tenant_lists_its_initial_domain(tenantd: Server) -> None:
    listed = ok(tenantd.graph("GET", "/domains"))
    assert listed["@odata.context"] == f"{tenantd.url}/v1.0/$metadata#domains"
    initial = next(d for d in listed["value"] if d["isInitial"])
    assert initial == {
        "authenticationType": "Managed", "availabilityStatus": None, "id": "default.onmicrosoft.test",
        "isAdminManaged": True, "isDefault": True, "isInitial": True, "isRoot": True, "isVerified": True,
        "passwordNotificationWindowInDays": 14, "passwordValidityPeriodInDays": 2147483647,
        "supportedServices": ["Email", "OfficeCommunicationsOnline"], "state": None}
    assert ok(tenantd.graph("GET", "/domains/Default.OnMicrosoft.Test")) == {
        "@odata.context": f"{tenantd.url}/v1.0/$metadata#domains/$entity", **initial}
    refused = error(tenantd.graph("DELETE", "/domains/default.onmicrosoft.test"), 400, "Request_BadRequest")
    assert "initial domain" in refused["message"]


def test_a_custom_domain_is_added_verified_listed_and_removed(tenantd: Server) -> None:
    response = tenantd.graph("POST", "/domains", json={"@odata.type": "#microsoft.graph.domain",
                                                       "id": "Fabrikam.Test"})
    added = ok(response, 201)
    assert set(added) == DOMAIN_KEYS | {"@odata.context"}
    assert response.headers["location"] == f"{tenantd.url}/v1.0/domains/fabrikam.test"
    assert (added["id"], added["isVerified"], added["isDefault"], added["isInitial"], added["isRoot"],
            added["supportedServices"]) == ("fabrikam.test", True, False, False, True, [])
    sub = ok(tenantd.graph("POST", "/domains", json={"id": "eu.fabrikam.test"}), 201)
    assert sub["isRoot"] is False   # a subdomain of a verified domain
    custom = ok(tenantd.graph("GET", "/domains", params={"$filter": "isInitial eq false", "$select": "id,isRoot"}))
    assert custom["value"] == [{"id": "eu.fabrikam.test", "isRoot": False}, {"id": "fabrikam.test", "isRoot": True}]
    again = error(tenantd.graph("POST", "/domains", json={"id": "FABRIKAM.test"}), 400,
                  "Request_MultipleObjectsWithSameKeyValue")
    assert "already a domain of this tenant" in again["message"]

    for name in ("eu.fabrikam.test", "fabrikam.test"):
        assert tenantd.graph("DELETE", f"/domains/{name}").status_code == 204
    error(tenantd.graph("GET", "/domains/fabrikam.test"), 404, "Request_ResourceNotFound")
    error(tenantd.graph("DELETE", "/domains/fabrikam.test"), 404, "Request_ResourceNotFound")
    audits = ok(tenantd.graph("GET", "/auditLogs/directoryAudits", params={
        "$filter": "category eq 'DirectoryManagement'", "$top": "4"}))["value"]
    assert [(a["activityDisplayName"], a["targetResources"][0]["id"]) for a in audits] == [
        ("Remove verified domain", "fabrikam.test"), ("Remove verified domain", "eu.fabrikam.test"),
        ("Add verified domain", "eu.fabrikam.test"), ("Add verified domain", "fabrikam.test")]


@pytest.mark.parametrize("body", [{}, {"id": None}, {"id": 7}, {"id": "fabrikam"}, {"id": "fabrikam.test."},
                                  {"id": "x.onmicrosoft.test"}, {"id": "a\u0000b.test"}, {"id": "ok.test", "x": 1},
                                  {"id": "ok.test", "isDefault": True}])
def test_a_malformed_or_reserved_domain_is_refused(tenantd: Server, body: dict[str, Any]) -> None:
    error(tenantd.graph("POST", "/domains", json=body), 400)


def test_a_domain_a_users_name_uses_cannot_be_removed(tenantd: Server) -> None:
    ok(tenantd.graph("POST", "/domains", json={"id": "tailspin.test"}), 201)
    user = ok(tenantd.graph("POST", "/users", json={"userPrincipalName": "ada@tailspin.test", "displayName": "Ada"}),
              201)
    refused = error(tenantd.graph("DELETE", "/domains/tailspin.test"), 400, "Request_BadRequest")
    assert "ada@tailspin.test" in refused["message"]
    assert tenantd.graph("DELETE", f"/users/{user['id']}").status_code == 204
    assert tenantd.graph("DELETE", "/domains/tailspin.test").status_code == 204


def test_domain_permissions_are_graphs(tenantd: Server) -> None:
    reader, writer = _token_with(tenantd, "Domain.Read.All"), _token_with(tenantd, "Domain.ReadWrite.All")
    directory_writer = _token_with(tenantd, "Directory.ReadWrite.All")
    assert ok(tenantd.graph("GET", "/domains", token=reader))["value"]
    error(tenantd.graph("POST", "/domains", token=reader, json={"id": "northwind.test"}), 403,
          "Authorization_RequestDenied")
    error(tenantd.graph("POST", "/domains", token=directory_writer, json={"id": "northwind.test"}), 403)
    assert ok(tenantd.graph("GET", "/domains", token=directory_writer))["value"]
    ok(tenantd.graph("POST", "/domains", token=writer, json={"id": "northwind.test"}), 201)
    error(tenantd.graph("DELETE", "/domains/northwind.test", token=reader), 403)
    assert tenantd.graph("DELETE", "/domains/northwind.test", token=writer).status_code == 204


def test_the_user_realm_is_managed_only_in_a_verified_domain(tenantd: Server) -> None:
    unknown = {"ver": "1.0", "account_type": "Unknown", "cloud_instance_name": "microsoftonline.com"}
    assert _realm(tenantd, "ada@woodgrove.test") == unknown
    ok(tenantd.graph("POST", "/domains", json={"id": "woodgrove.test"}), 201)
    managed = {"ver": "1.0", "account_type": "Managed", "domain_name": "woodgrove.test",
               "cloud_instance_name": "microsoftonline.com", "cloud_audience_urn": "urn:federation:MicrosoftOnline"}
    # The answer is about the domain: a user who does not exist gets the same, and the case is the domain's.
    assert _realm(tenantd, "nobody@WoodGrove.Test") == _realm(tenantd, "ada@woodgrove.test") == managed
    assert _realm(tenantd, "ada@default.onmicrosoft.test")["account_type"] == "Managed"
    for name in ("ada@eu.woodgrove.test", "woodgrove.test", "@woodgrove.test", "a@b@woodgrove.test",
                 "ada@woodgrove.test.", "ada@" + "w" * 300 + ".test"):
        assert _realm(tenantd, name) == unknown, name
    assert tenantd.graph("DELETE", "/domains/woodgrove.test").status_code == 204
    assert _realm(tenantd, "ada@woodgrove.test") == unknown
