"""SECURITY.md item 52, the portal: every request is authorized on the server by what the person may do, a
read-only role's POSTs are refused, and a secret is shown once.

The route tests walk the portal's own route table, so a page added later is covered as soon as it is routed:
an object for its ``{id}`` is named in ``TARGETS`` (a missing one fails the test, on purpose)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from starlette.routing import Route

from tenantd.http.portal import routes

from ..http.delegated_support import GLOBAL_ADMIN, GLOBAL_READER, person
from ..http.graph_support import ok
from ..http.portal_support import Portal
from ..support import Server

TENANT_ROUTES = [r for r in routes if isinstance(r, Route) and r.path.startswith("/portal/{tenant}")]
# Any signed-in person may end her own session; a Global Reader may have a pasted token decoded (a POST, so the
# token stays out of URLs, that changes nothing).
NOT_A_CHANGE = {"/portal/{tenant}/sign-out", "/portal/{tenant}/token-decoder"}


@pytest.fixture(scope="module")
def targets(server: Server) -> dict[str, str]:
    """An object of each family the portal's URLs name by ``{id}``: the segment before it -> its id."""
    group = ok(server.graph("POST", "/groups", json={"displayName": "Target group", "mailEnabled": False,
                                                     "mailNickname": "target", "securityEnabled": True}), 201)
    app = ok(server.graph("POST", "/applications", json={"displayName": "Target app"}), 201)
    sp = ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    identity = ok(server.admin("POST", "/identities", json={"name": "target-identity", "host": (
        "/subscriptions/00000000-0000-0000-0000-000000000009/resourceGroups/rg/providers/Microsoft.Web/sites/target")}),
        201)
    return {"users": person(server, "target")["id"], "groups": group["id"], "apps": app["id"],
            "enterprise-apps": sp["id"], "identities": identity["id"]}


def address(server: Server, path: str, targets: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        family = match.group(1)
        assert family in targets, f"name an object for /{family}/{{id}} in this test's targets"
        return f"/{family}/{targets[family]}"
    return re.sub(r"/([a-zA-Z-]+)/\{id\}", fill, path).replace("{tenant}", server.tenant_id)


@pytest.fixture
def reader(server: Server) -> Iterator[Portal]:
    """A Global Reader, in a tenant whose members may create apps and groups (the default): the portal still
    lets her change nothing."""
    portal = Portal(server)
    portal.sign_in(person(server, "reader", GLOBAL_READER))
    yield portal
    portal.close()


def test_52_every_portal_page_and_form_needs_a_session(server: Server, targets: dict[str, str]) -> None:
    anonymous = Portal(server)
    for route in TENANT_ROUTES:
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            answer = anonymous.http.request(method, address(server, route.path, targets), data={"csrf": "x"})
            assert answer.status_code == 303, (method, route.path, answer.status_code)
            assert answer.headers["location"].startswith("/portal/sign-in?"), route.path
    anonymous.close()


def test_52_a_global_readers_posts_are_refused_on_every_form(server: Server, targets: dict[str, str],
                                                             reader: Portal) -> None:
    before = ok(server.graph("GET", "/auditLogs/directoryAudits", params={"$top": "1"}))["value"]
    posts = [r for r in TENANT_ROUTES if "POST" in (r.methods or ()) and r.path not in NOT_A_CHANGE]
    assert len(posts) >= 8
    for route in posts:
        answer = reader.http.post(address(server, route.path, targets), data={
            "csrf": reader.csrf(), "displayName": f"Reader {uuid.uuid4().hex[:6]}", "userPrincipalName":
            f"r{uuid.uuid4().hex[:6]}@contoso.test", "password": "Reader-Pass-77", "enabled": "false",
            "role": GLOBAL_ADMIN, "member": targets["users"]})
        assert answer.status_code == 403, (route.path, answer.status_code, answer.text)
    after = ok(server.graph("GET", "/auditLogs/directoryAudits", params={"$top": "1"}))["value"]
    assert after == before   # nothing was changed


def test_52_a_generated_password_is_shown_once_and_never_again(server: Server, targets: dict[str, str]) -> None:
    portal = Portal(server)
    portal.sign_in(person(server, "admin", GLOBAL_ADMIN))
    reset = portal.post(f"/users/{targets['users']}/password", {})
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    shown = re.search(r'<code id="new-password">([^<]+)</code>', reset.text)
    assert shown is not None
    password = shown.group(1)
    for later in (portal.get(f"/users/{targets['users']}"), portal.get("/users"), portal.get("")):
        assert password not in later.text
    audits = server.graph("GET", "/auditLogs/directoryAudits", params={"$top": "20"}).text
    assert password not in audits
    assert password not in (server.data / "server.log").read_text()
    portal.close()
