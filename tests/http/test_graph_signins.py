"""Graph ``/v1.0/auditLogs/signIns`` through a real server: the signIn shape, $filter, paging, and the roles
it needs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from ..support import Server
from .graph_support import error, grant_graph_role, graph_token, new_api, new_client, ok, role

Obj = dict[str, Any]


def sign_ins(server: Server, query: str = "", *, token: str | None = None) -> Obj:
    return ok(server.graph("GET", f"/auditLogs/signIns{query}", token=token))


def of_app(server: Server, app_id: str, expected: int, extra: str = "") -> list[Obj]:
    """The app's sign-ins, once the writer has caught up with ``expected`` of them (bounded wait)."""
    query = "?$filter=" + quote(f"appId eq '{app_id}'{extra}")
    deadline = time.monotonic() + 5
    while True:
        found: list[Obj] = sign_ins(server, query)["value"]
        if len(found) >= expected or time.monotonic() > deadline:
            assert len(found) == expected, found
            return found
        time.sleep(0.1)


@pytest.fixture(scope="module")
def story(server: Server) -> Obj:
    """An API with a role, a client holding it: one token issued, one refused (wrong secret)."""
    api, api_sp = new_api(server, role("Things.Read.All"))
    app, sp, secret = new_client(server)
    ok(server.graph("POST", f"/servicePrincipals/{sp['id']}/appRoleAssignments", json={
        "principalId": sp["id"], "resourceId": api_sp["id"], "appRoleId": api["appRoles"][0]["id"]}), 201)
    scope = f"{api['identifierUris'][0]}/.default"
    token = ok(server.token(app["appId"], secret, scope))["access_token"]
    assert server.token(app["appId"], secret + "x", scope).status_code == 401
    entries = of_app(server, app["appId"], 2)
    return {"api": api, "app": app, "sp": sp, "secret": secret, "token": token, "entries": entries}


def test_each_token_issued_or_refused_is_a_sign_in_in_graphs_shape(server: Server, story: Obj) -> None:
    refused, issued = story["entries"]   # newest first
    api, app, sp = story["api"], story["app"], story["sp"]
    assert issued == {
        "id": issued["id"], "createdDateTime": issued["createdDateTime"], "appId": app["appId"],
        "appDisplayName": app["displayName"], "servicePrincipalId": sp["id"],
        "servicePrincipalName": app["displayName"], "userId": None, "userPrincipalName": None,
        "resourceDisplayName": api["displayName"],
        "resourceId": api["appId"], "ipAddress": "127.0.0.1", "isInteractive": False,
        "status": {"errorCode": 0, "failureReason": None, "additionalDetails": None},
        "tenantdRoles": ["Things.Read.All"], "tenantdKind": "client_credentials",
        "tenantdCount": 1, "tenantdLastDateTime": issued["createdDateTime"],
    }
    assert refused["status"]["errorCode"] == 7000215
    assert refused["status"]["failureReason"].startswith("Invalid client secret provided.")
    assert (refused["servicePrincipalId"], refused["tenantdRoles"]) == (sp["id"], [])
    assert refused["createdDateTime"] >= issued["createdDateTime"]
    moment = datetime.fromisoformat(issued["createdDateTime"])
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


def test_no_secret_or_token_is_served(server: Server, story: Obj) -> None:
    text = server.graph("GET", "/auditLogs/signIns?$top=999").text
    for forbidden in (story["secret"], story["token"], *story["token"].split(".")):
        assert forbidden not in text


@pytest.mark.parametrize(("clause", "expected"), [
    (" and status/errorCode eq 0", [0]),
    (" and status/errorCode ne 0", [7000215]),
    (" and (status/errorCode eq 7000215)", [7000215]),
    (" and status/errorCode eq 1", []),
])
def test_filter_on_status(server: Server, story: Obj, clause: str, expected: list[int]) -> None:
    found = of_app(server, story["app"]["appId"], len(expected), clause)
    assert [e["status"]["errorCode"] for e in found] == expected


def test_filter_on_created_date_time(server: Server, story: Obj) -> None:
    issued = story["entries"][1]["createdDateTime"]
    app_id = story["app"]["appId"]
    assert len(of_app(server, app_id, 2, " and createdDateTime ge 2020-01-01T00:00:00Z")) == 2
    assert of_app(server, app_id, 0, " and createdDateTime le 2020-01-01") == []
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert of_app(server, app_id, 0, f" and createdDateTime gt {later}") == []
    assert [e["status"]["errorCode"] for e in of_app(server, app_id, 1, f" and createdDateTime le {issued}")] == [0]


def test_filter_on_service_principal(server: Server, story: Obj) -> None:
    query = "?$filter=" + quote(f"servicePrincipalId eq '{story['sp']['id']}'")
    assert [e["id"] for e in sign_ins(server, query)["value"]] == [e["id"] for e in story["entries"]]


def test_top_pages_newest_first_with_next_links(server: Server, story: Obj) -> None:
    first = sign_ins(server, "?$top=1&$filter=" + quote(f"appId eq '{story['app']['appId']}'"))
    assert first["@odata.context"] == f"{server.url}/v1.0/$metadata#auditLogs/signIns"
    assert [e["id"] for e in first["value"]] == [story["entries"][0]["id"]]
    link = first["@odata.nextLink"]
    assert link.startswith(f"{server.url}/v1.0/auditLogs/signIns?")
    second = sign_ins(server, link.removeprefix(f"{server.url}/v1.0/auditLogs/signIns"))
    assert [e["id"] for e in second["value"]] == [story["entries"][1]["id"]]
    assert "@odata.nextLink" not in second


def test_select(server: Server, story: Obj) -> None:
    found = sign_ins(server, "?$select=id,status&$filter=" + quote(f"appId eq '{story['app']['appId']}'"))
    assert [set(e) for e in found["value"]] == [{"id", "status"}] * 2


def test_one_sign_in_by_id(server: Server, story: Obj) -> None:
    wanted = story["entries"][1]
    got = ok(server.graph("GET", f"/auditLogs/signIns/{wanted['id']}"))
    assert got.pop("@odata.context") == f"{server.url}/v1.0/$metadata#auditLogs/signIns/$entity"
    assert got == wanted
    error(server.graph("GET", "/auditLogs/signIns/00000000-0000-0000-0000-000000000001"), 404)
    error(server.graph("GET", "/auditLogs/signIns/nope"), 400)


@pytest.mark.parametrize(("query", "code"), [
    ("$filter=appId eq 'a' or appId eq 'b'", "Request_UnsupportedQuery"),
    ("$filter=displayName eq 'x'", "Request_UnsupportedQuery"),
    ("$filter=appId ge 'x'", "Request_UnsupportedQuery"),
    ("$filter=createdDateTime eq 2024-01-01", "Request_UnsupportedQuery"),
    ("$filter=createdDateTime ge 'yesterday'", "BadRequest"),
    ("$filter=createdDateTime ge yesterday", "BadRequest"),
    ("$filter=status/errorCode eq 'x'", "BadRequest"),
    ("$filter=appId eq 'x", "BadRequest"),
    ("$filter=(appId eq 'x'", "BadRequest"),
    ("$filter=appId eq", "BadRequest"),
    ("$filter=", "BadRequest"),
    ("$filter=appId eq 'x'&$filter=appId eq 'y'", "BadRequest"),
    ("$count=true", "Request_UnsupportedQuery"),
    ("$top=0", "Request_BadRequest"),
    ("$orderby=createdDateTime", "Request_UnsupportedQuery"),
    ("$skiptoken=garbage!", "Request_BadRequest"),
])
def test_unsupported_or_malformed_queries_are_graphs_400(server: Server, query: str, code: str) -> None:
    error(server.graph("GET", f"/auditLogs/signIns?{query}"), 400, code)


def test_reading_needs_audit_log_or_directory_read(server: Server) -> None:
    app, sp, secret = new_client(server)
    grant_graph_role(server, sp, "User.Read.All")
    err = error(server.graph("GET", "/auditLogs/signIns", token=graph_token(server, app, secret)), 403,
                "Authorization_RequestDenied")
    assert "AuditLog.Read.All" in err["message"]
    for permission in ("AuditLog.Read.All", "Directory.Read.All"):
        app, sp, secret = new_client(server)
        grant_graph_role(server, sp, permission)
        assert "value" in sign_ins(server, token=graph_token(server, app, secret))
    error(server.graph("GET", "/auditLogs/signIns", token="not-a-token"), 401)


def test_identical_sign_ins_are_one_entry_that_says_how_many_and_until_when(server: Server) -> None:
    app, _, secret = new_client(server)
    for _ in range(3):
        ok(server.token(app["appId"], secret, "https://graph.microsoft.com/.default"))
    deadline = time.monotonic() + 5
    while (found := of_app(server, app["appId"], 1))[0]["tenantdCount"] < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    (entry,) = found
    assert entry["tenantdCount"] == 3 and entry["tenantdLastDateTime"] > entry["createdDateTime"]
