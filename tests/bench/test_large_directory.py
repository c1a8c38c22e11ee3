"""The large directory at a size CI affords: populated through the store (bench.populate), then Graph's
list and filter pages, export's stream, and tokens checked against what the generator wrote.

Correctness only: the benchmark (make bench) times the full size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from bench.populate import Sizes, app_name, guid, identity_name, populate, role_id, user_upn

from tenantd.http.graph import odata, serialize
from tenantd.tenantfile.export import SMALL_TENANT, export_snapshot
from tenantd.tenantfile.snapshot import read_snapshot

from ..http.graph_support import ok
from ..support import Server, start_server

SIZES = Sizes(service_principals=2_000, applications=200, assignments=21_000, users=1_000, groups=100)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("large"))
    rt = server.runtime()
    try:
        populate(rt.store, server.tenant_id, SIZES)
    finally:
        rt.store.dispose()
    yield server
    server.stop()


def every_page(server: Server, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """All items of a collection, following @odata.nextLink."""
    page = ok(server.graph("GET", path, params=params))
    items = list(page["value"])
    with server.http() as client:
        while "@odata.nextLink" in page:
            page = ok(client.get(page["@odata.nextLink"], headers={"Authorization": f"Bearer {server.admin_token()}"}))
            items.extend(page["value"])
    return items


@pytest.mark.parametrize("clause", [
    "displayName eq 'BENCH-SITE-000042'",
    "startswith(displayName,'bench-site-0001')",
    "startswith(displayName,'bench-app-') and accountEnabled eq true",
    f"appId eq '{guid(4, 7)}'",
    "servicePrincipalType eq 'ManagedIdentity' and startswith(displayName,'bench-site-00003')",
    "displayName eq 'bench-app-000003' or displayName eq 'bench-site-000003'",
])
def test_service_principal_filters_page_as_the_whole_list_filters(large: Server, clause: str) -> None:
    everything = every_page(large, "/servicePrincipals", {"$top": "999"})
    assert len(everything) == len({sp["id"] for sp in everything}) >= SIZES.service_principals
    node = odata.bind(odata.parse_filter(clause), serialize.SERVICE_PRINCIPAL)
    expected = {sp["id"] for sp in everything if odata.matches(node, sp)}
    paged = every_page(large, "/servicePrincipals", {"$filter": clause, "$top": "37"})
    assert [sp["id"] for sp in paged] == list(dict.fromkeys(sp["id"] for sp in paged))   # no page repeats
    assert {sp["id"] for sp in paged} == expected and expected
    counted = ok(large.graph("GET", "/servicePrincipals", params={"$filter": clause, "$count": "true",
                                                                  "$top": "1"}))
    assert counted["@odata.count"] == len(expected)


def test_filters_find_what_the_generator_wrote(large: Server) -> None:
    [app] = ok(large.graph("GET", "/applications", params={
        "$filter": f"identifierUris/any(x:x eq 'API://{app_name(7).upper()}')"}))["value"]
    assert app["appId"] == guid(2, 7) and app["displayName"] == app_name(7)
    assert len(every_page(large, "/applications", {"$filter": "startswith(displayName,'bench-app-')"})) == \
        SIZES.applications
    [user] = ok(large.graph("GET", "/users", params={"$filter": f"userPrincipalName eq '{user_upn(5)}'"}))["value"]
    assert user["id"] == guid(5, 5)
    groups = every_page(large, "/groups", {"$filter": "startswith(displayName,'bench-group-0000')"})
    assert len(groups) == 10
    [identity] = ok(large.graph("GET", "/servicePrincipals", params={
        "$filter": f"displayName eq '{identity_name(3)}'"}))["value"]
    held = every_page(large, f"/servicePrincipals/{identity['id']}/appRoleAssignments", {})
    resource = guid(3, 3)   # the generator gives principal p the applications p, p+1, ... (mod A)
    assert resource in {a["resourceId"] for a in held}
    assigned_to = every_page(large, f"/servicePrincipals/{resource}/appRoleAssignedTo", {"$top": "50"})
    assert identity["id"] in {a["principalId"] for a in assigned_to}
    [only] = ok(large.graph("GET", f"/servicePrincipals/{resource}/appRoleAssignedTo", params={
        "$filter": f"principalId eq {identity['id']}"}))["value"]
    assert only["principalDisplayName"] == identity_name(3) and only["resourceDisplayName"] == app_name(3)


def test_a_token_for_a_populated_api_carries_its_roles(large: Server) -> None:
    client = ok(large.graph("POST", "/applications", json={"displayName": "large client"}), 201)
    sp = ok(large.graph("POST", "/servicePrincipals", json={"appId": client["appId"]}), 201)
    secret = ok(large.graph("POST", f"/applications/{client['id']}/addPassword", json={}))["secretText"]
    ok(large.graph("POST", f"/servicePrincipals/{guid(3, 11)}/appRoleAssignedTo", json={
        "principalId": sp["id"], "resourceId": guid(3, 11), "appRoleId": role_id(11, 0)}), 201)
    response = large.token(client["appId"], secret, f"api://{app_name(11)}/.default")
    assert response.status_code == 200, response.text
    claims = json.loads(__import__("base64").urlsafe_b64decode(response.json()["access_token"].split(".")[1] + "=="))
    assert claims["roles"] == ["Data.Read"] and claims["aud"] == guid(2, 11)   # bench-app-000011 asks for v2


def test_export_streams_the_whole_tenant(large: Server, tmp_path: Path) -> None:
    assert SIZES.total() > SMALL_TENANT   # the streaming path, not the whole-document one
    out = tmp_path / "export.yaml"
    result = large.cli("export", "-o", str(out), timeout=600)
    assert result.returncode == 0, result.stderr
    exported = yaml.safe_load(out.read_text())
    rt = large.runtime()
    try:
        with rt.store.read() as tx:
            whole = export_snapshot(read_snapshot(tx, large.tenant_id))
    finally:
        rt.store.dispose()
    assert exported == whole
    assert len([a for a in exported["applications"] if a["displayName"].startswith("bench-app-")]) == \
        SIZES.applications
    assert len(exported["managedIdentities"]) == SIZES.service_principals - SIZES.applications
    assert len(exported["users"]) == SIZES.users and len(exported["groups"]) == SIZES.groups
    assert len(exported["assignments"]) >= SIZES.assignments
    as_json = tmp_path / "export.json"
    assert large.cli("export", "--json", "-o", str(as_json), timeout=600).returncode == 0
    assert json.loads(as_json.read_text()) == whole


def test_names_match_in_any_case_as_graph_compares_them(large: Server) -> None:
    for name in ("Straße Eins", "STRASSE zwei", "Émile", "éMILE deux", "K\u212a kelvin"):
        ok(large.graph("POST", "/applications", json={"displayName": name}), 201)
    everything = every_page(large, "/applications", {"$top": "999"})
    for clause in ("displayName eq 'strasse eins'", "startswith(displayName,'strasse')",
                   "startswith(displayName,'ÉMI')", "displayName eq 'kk kelvin'", "startswith(displayName,'kk')"):
        node = odata.bind(odata.parse_filter(clause), serialize.APPLICATION)
        expected = {a["id"] for a in everything if odata.matches(node, a)}
        found = {a["id"] for a in every_page(large, "/applications", {"$filter": clause})}
        assert found == expected and expected, clause
