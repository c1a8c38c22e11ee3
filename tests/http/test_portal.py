"""The portal over plain HTTP: its sign-in (code + PKCE through tenantd's own page), its cookies and headers,
CSRF, who may change what (the same rules as delegated Graph, checked on the server), escaping, the audit
log's actor, and the ends of a session (sign-out, revoked sessions). Each defence has a test that fails
without it."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest

from tenantd.domain import builtins

from ..support import Server
from .delegated_support import (
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    PRIVILEGED_ROLE_ADMIN,
    USER_ADMIN,
    Obj,
    person,
)
from .graph_support import ok
from .pages_support import add_domain
from .pages_support import sign_in as complete
from .portal_support import Portal, shown

HOSTILE = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>')
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


@pytest.fixture(scope="module")
def admin(server: Server) -> Obj:
    return person(server, "admin", GLOBAL_ADMIN)


@pytest.fixture
def portal(server: Server) -> Iterator[Portal]:
    opened = Portal(server)
    yield opened
    opened.close()


def signed_in(server: Server, user: Obj) -> Portal:
    opened = Portal(server)
    opened.sign_in(user)
    return opened


def upn() -> str:
    return f"p{uuid.uuid4().hex[:8]}@contoso.test"


def users_named(server: Server, name: str) -> list[Obj]:
    return list(ok(server.graph("GET", "/users", params={"$filter": f"userPrincipalName eq '{name}'"}))["value"])


def enabled(server: Server, user: Obj) -> bool:
    return bool(ok(server.graph("GET", f"/users/{user['id']}", params={"$select": "accountEnabled"}))["accountEnabled"])


def test_a_visit_without_a_session_goes_to_tenantds_sign_in_page_with_pkce(server: Server, portal: Portal) -> None:
    first = portal.get("/users")
    assert first.status_code == 303
    assert first.headers["location"] == f"/portal/sign-in?tenant={server.tenant_id}&next={portal.base}/users"
    to_authorize = portal.http.get(first.headers["location"])
    location = to_authorize.headers["location"]
    assert location.startswith(f"{server.url}/{server.tenant_id}/oauth2/v2.0/authorize?")
    for part in (f"client_id={builtins.PORTAL_APP_ID}", "code_challenge_method=S256", "code_challenge=",
                 "nonce=", "state=", "redirect_uri=" + server.url.replace(":", "%3A").replace("/", "%2F")):
        assert part in location, part
    flow = SimpleCookie(to_authorize.headers["set-cookie"])["__Host-tenantd-portal-flow"]
    assert flow["secure"] and flow["httponly"] and flow["samesite"] == "lax" and flow["path"] == "/"
    assert not flow["domain"]


def test_the_session_cookie_is_host_only_secure_httponly_strict_and_holds_no_token(server: Server, admin: Obj,
                                                                                  portal: Portal) -> None:
    landed = portal.sign_in(admin)
    cookies = [c for c in landed.headers.get_list("set-cookie") if c.startswith("__Host-tenantd-portal=")]
    assert len(cookies) == 1
    session = SimpleCookie(cookies[0])["__Host-tenantd-portal"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "strict"
    assert session["path"] == "/" and not session["domain"]
    payload, _, mac = session.value.partition(".")   # a signed value: who, which tenant, when; no token
    assert set(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))) == set("instu") and mac
    assert portal.get("").status_code == 200


def test_every_page_has_the_csp_and_the_security_headers(server: Server, admin: Obj) -> None:
    portal = signed_in(server, admin)
    group = ok(server.graph("POST", "/groups", json={"displayName": "Headers", "mailEnabled": False,
                                                     "mailNickname": "headers", "securityEnabled": True}), 201)
    for path in ("", "/users", "/users/new", f"/users/{admin['id']}", "/groups", "/groups/new",
                 f"/groups/{group['id']}"):
        page = portal.get(path)
        assert page.status_code == 200, (path, page.text)
        assert page.headers["content-security-policy"] == CSP, path
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-frame-options"] == "DENY"
        assert "<script" not in page.text and " style=" not in page.text   # nothing the CSP would have to allow
    portal.close()


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_change_without_the_sessions_csrf_token_is_refused(server: Server, admin: Obj, token: str | None) -> None:
    portal = signed_in(server, admin)
    name = upn()
    refused = portal.post("/users", {"displayName": "Csrf", "userPrincipalName": name}, csrf=token)
    assert refused.status_code == 400 and "expired" in refused.text
    assert users_named(server, name) == []
    portal.close()


def test_another_sessions_csrf_token_is_refused(server: Server, admin: Obj) -> None:
    mine, theirs = signed_in(server, admin), signed_in(server, admin)
    name = upn()
    refused = mine.post("/users", {"displayName": "Csrf", "userPrincipalName": name}, csrf=theirs.csrf())
    assert refused.status_code == 400
    assert users_named(server, name) == []
    mine.close()
    theirs.close()


def test_an_admins_change_lands_in_the_audit_log_with_her_as_the_actor(server: Server, admin: Obj) -> None:
    portal = signed_in(server, admin)
    name = upn()
    created = portal.post("/users", {"displayName": "Audited", "userPrincipalName": name,
                                     "password": "Portal-Pass-77", "accountEnabled": "on"})
    assert created.status_code == 303, created.text
    user = users_named(server, name)[0]
    assert created.headers["location"] == f"{portal.base}/users/{user['id']}?done=created"
    audits = ok(server.graph("GET", "/auditLogs/directoryAudits", params={
        "$filter": f"initiatedBy/user/id eq '{admin['id']}' and activityDisplayName eq 'Add user'"}))["value"]
    assert any(t["id"] == user["id"] for a in audits for t in a["targetResources"]), audits
    portal.close()


def test_a_global_readers_pages_show_no_changes_and_her_posts_are_refused(server: Server, admin: Obj) -> None:
    reader = person(server, "reader", GLOBAL_READER)
    target = person(server, "target")
    group = ok(server.graph("POST", "/groups", json={"displayName": "Read only", "mailEnabled": False,
                                                     "mailNickname": "ro", "securityEnabled": True}), 201)
    portal = signed_in(server, reader)
    assert portal.get("/users").status_code == 200 and "New user" not in portal.get("/users").text
    assert "Reset password" not in portal.get(f"/users/{target['id']}").text
    name = upn()
    for path, data in (("/users", {"displayName": "No", "userPrincipalName": name}),
                       (f"/users/{target['id']}/password", {"password": "Reader-Pass-77"}),
                       (f"/users/{target['id']}/enabled", {"enabled": "false"}),
                       (f"/users/{target['id']}/revoke", {}),
                       (f"/users/{target['id']}/roles", {"role": GLOBAL_ADMIN}),
                       (f"/groups/{group['id']}/members", {"member": target["id"]})):
        refused = portal.post(path, data)
        assert refused.status_code == 403, (path, refused.status_code, refused.text)
    assert users_named(server, name) == []
    assert enabled(server, target)
    assert ok(server.graph("GET", f"/groups/{group['id']}/members"))["value"] == []
    assert ok(server.graph("GET", f"/users/{target['id']}/memberOf"))["value"] == []
    portal.close()


def test_a_user_administrator_manages_users_and_a_groups_administrator_groups(server: Server) -> None:
    """Entra's User Administrator manages users and groups, not directory roles; a Groups Administrator groups."""
    users_admin, groups_admin = person(server, "usersadmin", USER_ADMIN), person(server, "groupsadmin", GROUPS_ADMIN)
    member = person(server, "member")
    group = ok(server.graph("POST", "/groups", json={"displayName": "Managed", "mailEnabled": False,
                                                     "mailNickname": "managed", "securityEnabled": True}), 201)
    portal = signed_in(server, users_admin)
    assert portal.post(f"/users/{member['id']}/enabled", {"enabled": "false"}).status_code == 303
    assert portal.post(f"/users/{member['id']}/roles", {"role": GLOBAL_ADMIN}).status_code == 403
    assert not enabled(server, member)
    portal.close()
    portal = signed_in(server, groups_admin)
    assert portal.post(f"/groups/{group['id']}/members", {"member": member["id"]}).status_code == 303
    assert portal.post(f"/users/{member['id']}/enabled", {"enabled": "true"}).status_code == 403
    portal.close()
    assert not enabled(server, member)
    assert [m["id"] for m in ok(server.graph("GET", f"/groups/{group['id']}/members"))["value"]] == [member["id"]]


def test_a_member_without_a_role_reads_but_changes_no_one(server: Server, admin: Obj) -> None:
    member, other = person(server, "plain"), person(server, "other")
    portal = signed_in(server, member)
    assert portal.get("/users").status_code == 200
    assert portal.post(f"/users/{other['id']}/enabled", {"enabled": "false"}).status_code == 403
    assert portal.post("/users", {"displayName": "No", "userPrincipalName": upn()}).status_code == 403
    assert enabled(server, other)
    portal.close()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_names_are_shown_escaped_on_every_page(server: Server, admin: Obj, hostile: str) -> None:
    user = ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": hostile, "mailNickname": "x", "userPrincipalName": upn()}), 201)
    group = ok(server.graph("POST", "/groups", json={"displayName": hostile, "description": hostile,
                                                     "mailEnabled": False, "mailNickname": "x",
                                                     "securityEnabled": True}), 201)
    ok(server.graph("POST", f"/groups/{group['id']}/members/$ref", json={
        "@odata.id": f"{server.url}/v1.0/directoryObjects/{user['id']}"}), 204)
    portal = signed_in(server, admin)
    first = hostile[:2]
    pages = [portal.get("/users", q=first), portal.get(f"/users/{user['id']}"), portal.get("/groups", q=first),
             portal.get(f"/groups/{group['id']}"), portal.get(f"/groups/{group['id']}", find=first),
             portal.post("/users", {"displayName": hostile, "userPrincipalName": hostile})]
    for page in pages:
        assert hostile not in page.text, page.url
        assert hostile in shown(page), page.url   # shown, as text
        assert not re.search(r"<(script|img)\b", page.text), page.url
    portal.close()


def test_revoking_her_sessions_ends_her_portal_session(server: Server, admin: Obj) -> None:
    someone = person(server, "revoked")
    theirs = signed_in(server, someone)
    assert theirs.get("").status_code == 200
    portal = signed_in(server, admin)
    time.sleep(1.1)   # the revocation time has a resolution of one second
    assert portal.post(f"/users/{someone['id']}/revoke", {}).status_code == 303
    assert theirs.get("").status_code == 303   # to sign in again
    portal.close()
    theirs.close()


def test_sign_out_ends_the_portal_session_and_the_sign_in_session(server: Server, admin: Obj) -> None:
    portal = signed_in(server, admin)
    out = portal.post("/sign-out", {})
    assert out.status_code == 303 and out.headers["location"] == f"/{server.tenant_id}/oauth2/v2.0/logout"
    assert 'Max-Age=0' in next(c for c in out.headers.get_list("set-cookie") if c.startswith("__Host-tenantd-portal="))
    portal.http.cookies.delete("__Host-tenantd-portal")
    assert portal.get("").status_code == 303


def test_the_sign_in_answer_must_match_this_browsers_sign_in(server: Server, portal: Portal) -> None:
    refused = portal.http.get("/portal/signed-in", params={"code": "x", "state": "y"})
    assert refused.status_code == 400 and "expired" in refused.text
    assert "__Host-tenantd-portal=" not in ";".join(refused.headers.get_list("set-cookie"))


def test_the_address_to_return_to_is_one_of_the_portals_own(server: Server, portal: Portal) -> None:
    to_authorize = portal.http.get("/portal/sign-in", params={"tenant": server.tenant_id,
                                                              "next": "https://attacker.example/portal/x"})
    assert to_authorize.status_code == 303
    sealed = SimpleCookie(to_authorize.headers["set-cookie"])["__Host-tenantd-portal-flow"].value
    payload = sealed.partition(".")[0]
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["next"] is None


def test_a_tenant_the_server_does_not_hold_is_a_page_not_a_crash(server: Server, admin: Obj) -> None:
    portal = signed_in(server, admin)
    missing = portal.http.get(f"/portal/{uuid.uuid4()}/users")
    assert missing.status_code == 404 and "No such tenant" in missing.text
    assert shown(portal.get("/users", q="zz-none")).count("No users whose name starts with") == 1
    portal.close()


def test_members_nest_groups_in_groups_and_both_pages_show_the_nesting(server: Server, admin: Obj) -> None:
    portal = signed_in(server, admin)
    outer = portal.post("/groups", {"displayName": f"Outer {uuid.uuid4().hex[:6]}"})
    inner = portal.post("/groups", {"displayName": f"Inner {uuid.uuid4().hex[:6]}"})
    outer_id, inner_id = (r.headers["location"].rsplit("/", 1)[1] for r in (outer, inner))
    someone = person(server, "nested")
    found = shown(portal.get(f"/groups/{outer_id}", find="Inner"))
    assert "Add Inner" in found
    assert portal.post(f"/groups/{outer_id}/members", {"member": inner_id}).status_code == 303
    assert portal.post(f"/groups/{inner_id}/members", {"member": someone["id"]}).status_code == 303
    refused = portal.post(f"/groups/{inner_id}/members", {"member": outer_id})   # a cycle
    assert refused.status_code == 400
    outer_page = shown(portal.get(f"/groups/{outer_id}"))
    assert "Members through nested groups" in outer_page and "Nested" in outer_page
    user_page = shown(portal.get(f"/users/{someone['id']}"))
    assert "Through nested groups" in user_page and "Outer" in user_page
    assert portal.post(f"/groups/{outer_id}/members/remove", {"member": inner_id}).status_code == 303
    assert "Through nested groups" not in shown(portal.get(f"/users/{someone['id']}"))
    portal.close()


def test_lists_search_by_name_prefix_and_page(server: Server, admin: Obj) -> None:
    prefix = f"Paged{uuid.uuid4().hex[:4]}"
    for i in range(27):
        ok(server.graph("POST", "/users", json={"accountEnabled": True, "displayName": f"{prefix} {i:02}",
                                                "mailNickname": "x", "userPrincipalName": upn()}), 201)
    portal = signed_in(server, admin)
    first = portal.get("/users", q=prefix.lower())
    names = re.findall(rf"{prefix} \d\d", shown(first))
    assert names == [f"{prefix} {i:02}" for i in range(25)]
    next_url = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert next_url is not None
    second = portal.http.get(next_url.group(1).replace("&amp;", "&"))
    assert re.findall(rf"{prefix} \d\d", shown(second)) == [f"{prefix} 25", f"{prefix} 26"]
    assert 'rel="next"' not in second.text
    portal.close()


def test_a_privileged_role_administrator_assigns_and_removes_directory_roles(server: Server) -> None:
    roles_admin, someone = person(server, "rolesadmin", PRIVILEGED_ROLE_ADMIN), person(server, "promoted")
    portal = signed_in(server, roles_admin)
    assert portal.post(f"/users/{someone['id']}/roles", {"role": GLOBAL_READER}).status_code == 303
    held = ok(server.graph("GET", "/roleManagement/directory/roleAssignments",
                           params={"$filter": f"principalId eq '{someone['id']}'"}))["value"]
    assert [a["roleDefinitionId"] for a in held] == [GLOBAL_READER]
    assert "Remove Global Reader" in shown(portal.get(f"/users/{someone['id']}"))
    assert portal.post(f"/users/{someone['id']}/roles/remove", {"role": GLOBAL_READER}).status_code == 303
    assert ok(server.graph("GET", "/roleManagement/directory/roleAssignments",
                           params={"$filter": f"principalId eq '{someone['id']}'"}))["value"] == []
    assert portal.post(f"/users/{someone['id']}/password", {"password": "Nope-Pass-777"}).status_code == 403
    portal.close()


def test_the_portal_without_a_tenant_signs_in_through_organizations_and_lands_on_hers(server: Server,
                                                                                      admin: Obj) -> None:
    add_domain(server.runtime(), server.tenant_id, "contoso.test")   # her name's domain finds her tenant
    portal = Portal(server)
    assert portal.http.get("/portal").headers["location"] == "/portal/sign-in"
    to_authorize = portal.http.get("/portal/sign-in")
    assert f"{server.url}/organizations/oauth2/v2.0/authorize?" in to_authorize.headers["location"]
    name_page = portal.http.get(to_authorize.headers["location"])
    back = complete(portal.browser, name_page, admin["userPrincipalName"], "Delegated-Graph-7")
    landed = portal.http.get(back.headers["location"])
    assert f'url=/portal/{server.tenant_id}"' in landed.text
    assert portal.http.get("/portal").headers["location"] == f"/portal/{server.tenant_id}"
    portal.close()


def test_tenantd_up_prints_the_portals_address(server: Server) -> None:
    assert server.info["portal"] == f"{server.url}/portal/{server.tenant_id}"
    assert f"portal       {server.info['portal']}" in (server.data / "server.log").read_text()


def test_a_user_administrator_does_not_reset_a_global_administrators_password(server: Server, admin: Obj) -> None:
    """The privileged-user limit of the shared rules (domain/user_permissions.py), through the portal."""
    users_admin = person(server, "limited", USER_ADMIN)
    portal = signed_in(server, users_admin)
    assert "Reset password" not in portal.get(f"/users/{admin['id']}").text
    assert portal.post(f"/users/{admin['id']}/password", {"password": "Takeover-Pass-77"}).status_code == 403
    assert portal.post(f"/users/{admin['id']}/enabled", {"enabled": "false"}).status_code == 403
    assert enabled(server, admin)
    portal.close()
