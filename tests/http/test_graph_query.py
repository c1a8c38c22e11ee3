"""OData query options on Graph collections over HTTP: $filter, $select, $top with @odata.nextLink, $count."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from ..support import Server
from .graph_support import error, new_app, ok, store


@pytest.fixture(scope="module")
def family(server: Server) -> tuple[str, list[dict[str, object]]]:
    prefix = f"family-{uuid.uuid4().hex[:6]}"
    apps = [new_app(server, f"{prefix} {i}") for i in range(7)]
    return prefix, apps


def test_top_pages_through_next_links_once_each_in_a_stable_order(server: Server, family: tuple) -> None:
    prefix, apps = family
    response = ok(server.graph("GET", "/applications", params={
        "$filter": f"startswith(displayName,'{prefix}')", "$top": "3", "$select": "id,displayName", "$count": "true"}))
    seen, pages = [], 0
    while True:
        pages += 1
        assert response["@odata.context"] == f"{server.url}/v1.0/$metadata#applications(id,displayName)"
        assert all(set(a) == {"id", "displayName"} for a in response["value"])
        seen.extend(a["id"] for a in response["value"])
        link = response.get("@odata.nextLink")
        if link is None:
            break
        assert link.startswith(f"{server.url}/v1.0/applications?")
        query = parse_qs(urlsplit(link).query)
        assert query["$top"] == ["3"] and query["$select"] == ["id,displayName"] and "$skiptoken" in query
        if pages == 1:
            assert response["@odata.count"] == 7
        with server.http() as client:
            response = ok(client.get(link, headers={"Authorization": f"Bearer {server.admin_token()}"}))
    assert pages == 3
    unpaged = ok(server.graph("GET", "/applications", params={"$filter": f"startswith(displayName,'{prefix}')"}))
    assert seen == [a["id"] for a in unpaged["value"]]
    assert sorted(seen) == sorted(a["id"] for a in apps)


def test_filters_combine(server: Server, family: tuple) -> None:
    prefix, apps = family
    clause = (f"(displayName eq '{apps[0]['displayName']}' or appId eq '{apps[3]['appId']}') "
              f"and startswith(displayName,'{prefix.upper()}')")
    found = ok(server.graph("GET", "/applications", params={"$filter": clause}))
    assert sorted(a["id"] for a in found["value"]) == sorted([apps[0]["id"], apps[3]["id"]])
    assert "@odata.nextLink" not in found and "@odata.count" not in found
    none = ok(server.graph("GET", "/applications", params={"$filter": f"id ne '{apps[0]['id']}' and id eq "
                                                                      f"'{apps[0]['id']}'"}))
    assert none["value"] == []


def test_default_page_size_is_one_hundred(server: Server) -> None:
    with store(server) as (d, tid):   # arranged in the store: a hundred POSTs would only slow the test
        for _ in range(101 - len(d.users(tid))):
            d.create_user(tid, f"{uuid.uuid4().hex}@example.com", "many")
    first = ok(server.graph("GET", "/users"))
    assert len(first["value"]) == 100 and "$skiptoken=" in first["@odata.nextLink"]
    with server.http() as client:
        rest = ok(client.get(first["@odata.nextLink"], headers={"Authorization": f"Bearer {server.admin_token()}"}))
    assert len(rest["value"]) >= 1 and "@odata.nextLink" not in rest
    assert not {u["id"] for u in first["value"]} & {u["id"] for u in rest["value"]}


@pytest.mark.parametrize(("params", "code"), [
    ({"$filter": "displayName gt 'a'"}, "Request_UnsupportedQuery"),
    ({"$filter": "endswith(displayName,'a')"}, "Request_UnsupportedQuery"),
    ({"$filter": "description eq 'a'"}, "Request_UnsupportedQuery"),
    ({"$filter": "displayName eq 'a"}, "BadRequest"),
    ({"$filter": "displayName eq 'a' and"}, "BadRequest"),
    ({"$filter": "(" * 100 + "displayName eq 'a'" + ")" * 100}, "Request_UnsupportedQuery"),
    ({"$filter": "appId eq 'nope'"}, "BadRequest"),
    ({"$filter": "nosuch eq 'a'"}, "Request_BadRequest"),
    ({"$top": "0"}, "Request_BadRequest"),
    ({"$top": "1000"}, "Request_BadRequest"),
    ({"$top": "ten"}, "Request_BadRequest"),
    ({"$orderby": "displayName"}, "Request_UnsupportedQuery"),
    ({"$expand": "owners"}, "Request_UnsupportedQuery"),
    ({"$search": '"displayName:a"'}, "Request_UnsupportedQuery"),
    ({"$select": "nosuch"}, "Request_BadRequest"),
    ({"$skiptoken": "garbage!"}, "Request_BadRequest"),
])
def test_unsupported_or_malformed_queries_get_400_never_500(server: Server, params: dict[str, str], code: str) -> None:
    error(server.graph("GET", "/applications", params=params), 400, code)


def test_repeated_options_and_options_on_single_objects(server: Server, family: tuple) -> None:
    _, apps = family
    error(server.graph("GET", "/applications?$top=1&$top=2"), 400)
    error(server.graph("GET", f"/applications/{apps[0]['id']}", params={"$filter": "displayName eq 'a'"}), 400,
          "Request_UnsupportedQuery")
    one = ok(server.graph("GET", f"/applications/{apps[0]['id']}", params={"$select": "appId"}))
    assert one == {"@odata.context": f"{server.url}/v1.0/$metadata#applications(appId)/$entity",
                   "appId": apps[0]["appId"]}
    # Parameters that are not query options are ignored, as Graph ignores them.
    assert ok(server.graph("GET", f"/applications/{apps[0]['id']}", params={"foo": "bar"}))["id"] == apps[0]["id"]
