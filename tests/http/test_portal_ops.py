"""The portal's operations pages over plain HTTP: sign-in and audit logs (filters, paging, AADSTS explanations),
signing keys and rotation, token preview (and minting), the decoder, the tenant file. Who may do what is decided
on the server (a member sees none of it, a Global Reader reads, only a Global Administrator changes), every
form needs the session's CSRF token, log fields and names are escaped, a pasted token is never logged."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import yaml

from ..support import Server
from .delegated_support import GLOBAL_ADMIN, GLOBAL_READER, PASSWORD, Obj, person
from .graph_support import new_api, new_app, new_client, new_sp, ok, role
from .pages_support import forms
from .portal_support import Portal, shown

HOSTILE = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>')


@pytest.fixture(scope="module")
def admin(server: Server) -> Obj:
    return person(server, "admin", GLOBAL_ADMIN)


@pytest.fixture(scope="module")
def reader(server: Server) -> Obj:
    return person(server, "reader", GLOBAL_READER)


def signed_in(server: Server, user: Obj) -> Portal:
    opened = Portal(server)
    opened.sign_in(user)
    return opened


@pytest.fixture(scope="module")
def as_admin(server: Server, admin: Obj) -> Iterator[Portal]:
    opened = signed_in(server, admin)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def as_reader(server: Server, reader: Obj) -> Iterator[Portal]:
    opened = signed_in(server, reader)
    yield opened
    opened.close()


def escaped(page_text: str, shown_text: str, hostile: str) -> None:
    assert hostile not in page_text
    assert hostile in shown_text
    assert not re.search(r"<(script|img)\b", page_text)


def eventually(read: Callable[[], str], check: Callable[[str], bool], seconds: float = 6) -> str:
    """A page read until ``check`` holds of its text (the sign-in log is written in batches)."""
    deadline = time.monotonic() + seconds
    while True:
        text = read()
        if check(text) or time.monotonic() > deadline:
            assert check(text), text
            return text
        time.sleep(0.2)


# -- who may do what ------------------------------------------------------------------------------------------
READS = ("/sign-ins", "/audit-logs", "/keys", "/token-preview", "/token-decoder")


def test_a_member_without_a_role_opens_none_of_the_tools(server: Server) -> None:
    member = signed_in(server, person(server, "member"))
    for path in (*READS, "/tenant-file", "/tenant-file/export"):
        page = member.get(path)
        assert page.status_code == 403, path
    home = member.get("")
    for path in (*READS, "/tenant-file"):
        assert f'href="{member.base}{path}"' not in home.text, path
    member.close()


def test_a_global_reader_reads_but_changes_nothing(server: Server, as_reader: Portal) -> None:
    for path in READS:
        assert as_reader.get(path).status_code == 200, path
    before = ok(server.admin("GET", "/keys"))["value"]
    refused = [as_reader.post("/keys/rotate", {}), as_reader.post("/token-preview/mint", {
        "principal": "x", "resource": "y"}), as_reader.post("/tenant-file/plan", {"file": "tenant: {}"}),
        as_reader.post("/tenant-file/apply", {"file": "tenant: {}", "plan": ""}), as_reader.get("/tenant-file"),
        as_reader.get("/tenant-file/export")]
    assert [r.status_code for r in refused] == [403] * 6
    assert ok(server.admin("GET", "/keys"))["value"] == before
    keys = as_reader.get("/keys")
    assert "Rotate the signing key" not in keys.text
    assert 'href="' + as_reader.base + '/tenant-file"' not in keys.text


def test_every_form_needs_the_sessions_csrf_token(server: Server, as_admin: Portal) -> None:
    before = ok(server.admin("GET", "/keys"))["value"]
    for path, data in (("/keys/rotate", {}), ("/token-decoder", {"token": "a.b.c"}),
                       ("/tenant-file/plan", {"file": "tenant: {}"}), ("/token-preview/mint", {"principal": "x"})):
        for csrf in (None, "forged"):
            answer = as_admin.post(path, data, csrf=csrf)
            assert answer.status_code == 400 and "This page has expired" in answer.text, (path, csrf)
    assert ok(server.admin("GET", "/keys"))["value"] == before


# -- logs -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def failed_sign_in(server: Server) -> Obj:
    """A person who typed a wrong password on the sign-in page (to the portal: AADSTS50126), and a client named
    with markup whose secret was wrong."""
    someone = person(server, "logged")
    portal = Portal(server)
    to_authorize = portal.http.get(portal.http.get(portal.base).headers["location"])
    name_page = portal.http.get(to_authorize.headers["location"])
    password_page = portal.browser.submit(name_page, loginfmt=someone["userPrincipalName"])
    wrong = portal.browser.submit(password_page, passwd=PASSWORD + "wrong")
    assert "password is incorrect" in wrong.text.lower() or "AADSTS50126" in wrong.text, wrong.text
    portal.close()
    app = ok(server.graph("POST", "/applications", json={"displayName": HOSTILE[0] + HOSTILE[1]}), 201)
    new_sp(server, app)
    secret = ok(server.graph("POST", f"/applications/{app['id']}/addPassword", json={}))["secretText"]
    assert server.token(app["appId"], secret + "x", "https://graph.microsoft.com/.default").status_code == 401
    return {"user": someone, "app": app}


def test_a_failed_sign_in_shows_its_aadsts_code_in_words(as_admin: Portal, failed_sign_in: Obj) -> None:
    upn = failed_sign_in["user"]["userPrincipalName"]
    text = eventually(lambda: shown(as_admin.get("/sign-ins", principal=upn, result="failure")),
                      lambda t: "AADSTS50126" in t)
    assert "The user name or the password is wrong" in text
    assert "No sign-ins match" in shown(as_admin.get("/sign-ins", principal=upn, result="success"))


def test_log_fields_are_escaped_and_the_app_filter_takes_a_name(as_admin: Portal, failed_sign_in: Obj) -> None:
    name = HOSTILE[0] + HOSTILE[1]
    page = eventually(lambda: as_admin.get("/sign-ins", app=name).text, lambda t: "AADSTS7000215" in t)
    assert name not in page and not re.search(r"<(script|img)\b", page)
    assert name in shown(as_admin.get("/sign-ins", app=failed_sign_in["app"]["appId"]))
    audits = as_admin.get("/audit-logs", result="success")
    escaped(audits.text, shown(audits), name)


def test_the_time_filter_and_a_bad_time(as_admin: Portal, failed_sign_in: Obj) -> None:
    upn = failed_sign_in["user"]["userPrincipalName"]
    eventually(lambda: as_admin.get("/sign-ins", principal=upn).text, lambda t: "AADSTS50126" in t)
    assert "AADSTS50126" not in as_admin.get("/sign-ins", principal=upn, **{"to": "2000-01-01T00:00"}).text
    assert "AADSTS50126" in as_admin.get("/sign-ins", principal=upn, **{"from": "2000-01-01T00:00"}).text
    bad = as_admin.get("/sign-ins", **{"from": "yesterday"})
    assert bad.status_code == 400 and "is not a time" in shown(bad)


def test_the_audit_log_pages_by_keyset_and_filters_by_who(server: Server, as_admin: Portal, admin: Obj) -> None:
    tag = uuid.uuid4().hex[:6]
    for i in range(52):
        ok(server.graph("POST", "/groups", json={"displayName": f"paged-{tag}-{i:02}", "mailEnabled": False,
                                                 "mailNickname": "p", "securityEnabled": True}), 201)
    first = as_admin.get("/audit-logs")
    following = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert following
    second = as_admin.http.get(following.group(1).replace("&amp;", "&"))
    assert f"paged-{tag}-51" in first.text and f"paged-{tag}-51" not in second.text
    assert f"paged-{tag}-00" in second.text and f"paged-{tag}-00" not in first.text
    as_admin.post("/keys/rotate", {})   # an audited change made by her
    hers = shown(as_admin.get("/audit-logs", principal=admin["userPrincipalName"]))
    assert "Rotate signing key" in hers and f"paged-{tag}" not in hers


# -- keys -----------------------------------------------------------------------------------------------------
def test_a_rotation_publishes_the_next_key_and_is_audited(server: Server, as_admin: Portal, admin: Obj) -> None:
    def active() -> str:
        return next(k["kid"] for k in ok(server.admin("GET", "/keys"))["value"] if k["status"] == "active")

    before = active()
    page = as_admin.get("/keys")
    assert "current" in page.text and "What a rotation does to validators" in page.text
    answer = as_admin.post("/keys/rotate", {"now": "on"})
    assert answer.status_code == 303
    now = active()
    assert now != before
    listed = as_admin.get("/keys")
    assert re.search(rf"{now}</code></td><td>[^<]*</td><td><strong>current<", listed.text)
    assert re.search(rf"{before}</code></td><td>[^<]*</td><td><strong>previous<", listed.text)
    audits = ok(server.graph("GET", "/auditLogs/directoryAudits", params={
        "$filter": f"initiatedBy/user/id eq '{admin['id']}' and activityDisplayName eq 'Rotate signing key'"}))
    assert audits["value"]


# -- token preview and decoder -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def things(server: Server) -> Obj:
    api, api_sp = new_api(server, role("Things.Read"))
    name = f"joonasmsitest{uuid.uuid4().hex[:4]}"
    identity = ok(server.admin("POST", "/identities", json={"name": name, "type": "UserAssigned"}), 201)
    return {"api": api, "api_sp": api_sp, "identity": identity, "name": name}


def test_the_preview_gains_the_role_an_assignment_gives(server: Server, as_reader: Portal, things: Obj) -> None:
    query = {"principal": things["name"], "resource": things["api"]["displayName"]}
    before = as_reader.get("/token-preview", **query)
    assert before.status_code == 200 and 'id="claim-aud"' in before.text
    assert 'id="claim-roles"' not in before.text
    assert "Mint this token" not in before.text   # a reader previews, never mints
    ok(server.graph("POST", f"/servicePrincipals/{things['identity']['id']}/appRoleAssignments", json={
        "principalId": things["identity"]["id"], "resourceId": things["api_sp"]["id"],
        "appRoleId": things["api"]["appRoles"][0]["id"]}), 201)
    after = as_reader.get("/token-preview", **query)
    assert 'id="claim-roles"' in after.text and "Things.Read" in shown(after)


def test_a_refused_preview_shows_the_aadsts_code_in_words(server: Server, as_reader: Portal) -> None:
    app, _sp, _secret = new_client(server)
    api, api_sp = new_api(server)
    ok(server.graph("PATCH", f"/servicePrincipals/{api_sp['id']}", json={"appRoleAssignmentRequired": True}), 204)
    page = shown(as_reader.get("/token-preview", principal=app["appId"], resource=api["appId"]))
    assert "AADSTS501051" in page and "holds none on it" in page


def test_names_are_picked_and_escaped(server: Server, as_reader: Portal) -> None:
    for hostile in HOSTILE:
        new_app(server, hostile)   # no service principal: not a principal
        app = ok(server.graph("POST", "/applications", json={"displayName": hostile + " api"}), 201)
        new_sp(server, app)
        page = as_reader.get("/token-preview", principal=hostile[:3], resource=hostile[:3])
        escaped(page.text, shown(page), hostile)


def test_mint_is_a_global_administrators_and_the_token_decodes(server: Server, as_admin: Portal,
                                                                   things: Obj) -> None:
    preview = as_admin.get("/token-preview", principal=things["name"], resource=things["api"]["displayName"])
    mint = next(f for f in forms(preview.text) if f.action.endswith("/token-preview/mint"))
    minted = as_admin.http.post(as_admin.base + "/token-preview/mint", data=mint.fields)
    assert minted.status_code == 200 and "no-store" in minted.headers["cache-control"]
    token = re.search(r'<pre id="minted-token">([^<]+)</pre>', minted.text)
    assert token
    decoded = as_admin.post("/token-decoder", {"token": token.group(1)})
    assert "<strong>Valid</strong>" in decoded.text and "Things.Read" in decoded.text
    assert token.group(1) not in decoded.text   # the pasted token is not repeated


def test_the_decoder_names_why_a_token_is_refused_and_never_logs_it(server: Server, as_reader: Portal) -> None:
    token = server.admin_token()
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{signature[:-4]}AAAA"
    page = shown(as_reader.post("/token-decoder", {"token": tampered}))
    assert "bad_signature" in page and "A validator would refuse it" in page
    wrong_audience = shown(as_reader.post("/token-decoder", {"token": token, "audience": "api://else"}))
    assert "wrong_audience" in wrong_audience
    assert "Paste a token" in shown(as_reader.post("/token-decoder", {"token": " "}))
    log = (server.data / "server.log").read_text()
    for text in (token, tampered, body, signature):
        assert text not in log


def test_a_pasted_token_is_posted_not_put_in_a_url(as_reader: Portal) -> None:
    page = as_reader.get("/token-decoder")
    form = next(f for f in forms(page.text) if f.action.endswith("/token-decoder"))
    assert form.method == "post" and "token" in page.text
    assert as_reader.http.get(as_reader.base + "/token-decoder", params={"token": "a.b.c"}).text.count("a.b.c") == 0


# -- the tenant file ---------------------------------------------------------------------------------------
def test_export_is_what_tenantd_export_writes(server: Server, as_admin: Portal) -> None:
    exported = as_admin.get("/tenant-file/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    cli = server.cli("export", check=True).stdout
    assert yaml.safe_load(exported.text) == yaml.safe_load(cli)


def test_apply_shows_the_plan_then_applies_what_was_confirmed(server: Server, as_admin: Portal) -> None:
    name = f"filed {HOSTILE[0]} {uuid.uuid4().hex[:6]}"
    text = yaml.safe_dump({"tenant": {}, "groups": [{"displayName": name}]})
    planned = as_admin.post("/tenant-file/plan", {"file": text})
    assert planned.status_code == 200, shown(planned)
    escaped(planned.text, shown(planned), name)

    def groups() -> list[Obj]:
        return list(ok(server.graph("GET", "/groups", params={"$filter": f"displayName eq '{name}'"}))["value"])

    assert groups() == []   # a plan changes nothing
    confirm = next(f for f in forms(planned.text) if f.action.endswith("/tenant-file/apply"))
    stale = as_admin.http.post(as_admin.base + "/tenant-file/apply", data={**confirm.fields, "plan": "0" * 64})
    assert "review these changes again" in shown(stale) and groups() == []
    applied = as_admin.http.post(as_admin.base + "/tenant-file/apply", data=confirm.fields)
    assert applied.status_code == 200 and len(groups()) == 1


def test_a_bad_file_and_a_password_reference_are_refused_with_the_problem(as_admin: Portal) -> None:
    bad = as_admin.post("/tenant-file/plan", {"file": "tenant: {}\ngroups: [{nope: 1}]\n"})
    assert bad.status_code == 400 and "cannot be applied" in shown(bad)
    ref = yaml.safe_dump({"tenant": {}, "users": [{"userPrincipalName": "f@contoso.test", "displayName": "F",
                                                   "password": {"file": "/etc/passwd"}}]})
    refused = as_admin.post("/tenant-file/plan", {"file": ref})
    assert refused.status_code == 400 and "tenantd apply" in shown(refused)
