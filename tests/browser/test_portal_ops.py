"""The portal's operations pages in headless Chromium: the demo admin decodes a token, reads the sign-in log
entry of a person's failed sign-in with its explanation, and previews a token for `joonasmsitest` to the Things
API gaining the role an assignment gives; keys, audit logs and the tenant file's plan are opened too. Every page
is screenshot and checked by axe-core, and the walk is made with the keyboard."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ..support import Server, start_server
from .entra_page import enter_credentials
from .portal_browser import check_page, portal_context, sign_in, tab_to

PASSWORD = "Portal-Ops-7"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("tenantd"), "--demo")
    yield running
    running.stop()


@pytest.fixture
def admin_page(chromium: Browser, demo: Server) -> Iterator[Page]:
    found = json.loads((Path(demo.data) / "demo-secrets.json").read_text())["users"]["admin@contoso.test"]
    context = portal_context(chromium)
    page = context.new_page()
    sign_in(page, demo.info["portal"], found["username"], found["password"])
    yield page
    context.close()


def go(page: Page, section: str) -> None:
    """Open a section from the navigation with the keyboard."""
    tab_to(page, section)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_a_token_is_decoded_and_verified(demo: Server, admin_page: Page) -> None:
    page = admin_page
    go(page, "Token decoder")
    check_page(page, "token-decoder")
    tab_to(page, "Token to decode")
    page.keyboard.insert_text(demo.admin_token())
    tab_to(page, "Decode and verify")
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_contain_text("Valid")
    expect(page.locator("#token-payload")).to_contain_text(demo.tenant_id)
    assert "token=" not in page.url
    check_page(page, "token-decoded")


def test_a_failed_sign_in_is_in_the_log_with_its_explanation(chromium: Browser, demo: Server,
                                                             admin_page: Page) -> None:
    name = f"erin{uuid.uuid4().hex[:6]}@contoso.test"
    demo.graph("POST", "/users", json={"accountEnabled": True, "displayName": "Erin", "mailNickname": "erin",
                                       "userPrincipalName": name, "passwordProfile": {
                                           "password": PASSWORD, "forceChangePasswordNextSignIn": False}})
    other = portal_context(chromium)
    hers = other.new_page()
    hers.goto(demo.info["portal"])
    enter_credentials(hers, name, PASSWORD + "x")
    expect(hers.locator("body")).to_contain_text("password is incorrect")
    other.close()

    page = admin_page
    go(page, "Sign-in logs")
    tab_to(page, "Principal")
    page.keyboard.type(name)
    tab_to(page, "Result")
    page.keyboard.press("End")   # Failure
    tab_to(page, "Filter")
    for _ in range(30):   # the log is written in batches, within a second or so
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        if "AADSTS50126" in page.locator("main").inner_text():
            break
        page.wait_for_timeout(300)
        tab_to(page, "Filter")
    expect(page.locator("main table")).to_contain_text("AADSTS50126")
    expect(page.locator("main table")).to_contain_text("The user name or the password is wrong")
    expect(page.locator("main table")).to_contain_text(name)
    check_page(page, "sign-ins")


def preview(page: Page) -> None:
    page.get_by_label("Principal").fill("joonasmsitest")
    page.get_by_label("Resource").fill("Things API")
    page.get_by_label("Resource").press("Enter")
    expect(page.locator("#claim-aud")).to_be_visible()


def test_the_preview_gains_the_role_an_assignment_gives(demo: Server, admin_page: Page) -> None:
    sps = demo.graph("GET", "/servicePrincipals", params={"$filter": "displayName eq 'joonasmsitest'"}).json()
    identity = sps["value"][0]
    held = demo.graph("GET", f"/servicePrincipals/{identity['id']}/appRoleAssignments").json()["value"]
    for assignment in held:
        demo.graph("DELETE", f"/servicePrincipals/{identity['id']}/appRoleAssignments/{assignment['id']}")
    page = admin_page
    go(page, "Token preview")
    preview(page)
    expect(page.locator("#claim-roles")).to_have_count(0)
    check_page(page, "token-preview")

    api = demo.graph("GET", "/servicePrincipals", params={"$filter": "displayName eq 'Things API'"}).json()["value"][0]
    role = next(r for r in api["appRoles"] if r["value"] == "Things.Read.All")
    demo.graph("POST", f"/servicePrincipals/{identity['id']}/appRoleAssignments", json={
        "principalId": identity["id"], "resourceId": api["id"], "appRoleId": role["id"]})
    page.reload()
    expect(page.locator("#claim-roles")).to_contain_text("Things.Read.All")
    check_page(page, "token-preview-role")


def test_keys_audit_logs_and_the_tenant_files_plan(admin_page: Page) -> None:
    page = admin_page
    go(page, "Signing keys")
    expect(page.locator("main table")).to_contain_text("current")
    check_page(page, "keys")
    go(page, "Audit logs")
    check_page(page, "audit-logs")
    go(page, "Tenant file")
    check_page(page, "tenant-file")
    tab_to(page, "Tenant file (YAML)")
    page.keyboard.insert_text(f"tenant: {{}}\ngroups:\n  - displayName: Planned {uuid.uuid4().hex[:6]}\n")
    tab_to(page, "Preview the changes")
    page.keyboard.press("Enter")
    expect(page.locator("#plan")).to_contain_text("Planned")
    check_page(page, "tenant-file-plan")
    tab_to(page, "Apply these changes")
    page.keyboard.press("Enter")
    expect(page.locator("#applied")).to_contain_text("Planned")
    check_page(page, "tenant-file-applied")
