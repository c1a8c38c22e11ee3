"""The portal as a person uses it, in headless Chromium: the demo tenant's admin signs in with the credentials
`tenantd up --demo` writes, creates a user, resets her password, and she signs in in a second browser; a
group is made and given a member with the keyboard alone; names that are markup stay text on every page. Each
page is screenshot and checked by axe-core."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ..support import Server, start_server
from .portal_browser import check_page, portal_context, sign_in, tab_to

HOSTILE = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>')


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("tenantd"), "--demo")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin_credentials(demo: Server) -> tuple[str, str]:
    found = json.loads((Path(demo.data) / "demo-secrets.json").read_text())["users"]["admin@contoso.test"]
    return found["username"], found["password"]


@pytest.fixture
def admin_page(chromium: Browser, demo: Server, admin_credentials: tuple[str, str]) -> Iterator[Page]:
    context = portal_context(chromium)
    page = context.new_page()
    sign_in(page, demo.info["portal"], *admin_credentials)
    yield page
    context.close()


def test_the_admin_creates_a_user_resets_her_password_and_she_signs_in(chromium: Browser, demo: Server,
                                                                        admin_page: Page) -> None:
    page = admin_page
    check_page(page, "overview")
    expect(page.locator("main")).to_contain_text(demo.tenant_id)
    page.get_by_role("link", name="Users").click()
    check_page(page, "users")
    page.get_by_role("link", name="New user").click()
    check_page(page, "user-new")
    name = f"dana{uuid.uuid4().hex[:6]}"
    page.get_by_label("Display name").fill(f"Dana {name}")
    page.get_by_label("User principal name").fill(f"{name}@contoso.test")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="User created")).to_be_visible()
    first_password = page.locator("#new-password").inner_text()
    check_page(page, "user-created")
    page.get_by_role("link", name="Back to the user").click()
    check_page(page, "user")
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_role("heading", name="Password reset")).to_be_visible()
    password = page.locator("#new-password").inner_text()
    assert password and password != first_password
    page.get_by_role("link", name="Back to the user").click()
    page.get_by_role("link", name="Groups").click()
    check_page(page, "groups")

    other = portal_context(chromium)
    her = other.new_page()
    sign_in(her, demo.info["portal"], f"{name}@contoso.test", password)
    expect(her.locator("header")).to_contain_text(f"{name}@contoso.test")
    expect(her.get_by_role("heading", name="Overview")).to_be_visible()
    other.close()


def test_a_group_is_created_and_given_a_member_with_the_keyboard_alone(admin_page: Page) -> None:
    page = admin_page
    tab_to(page, "Groups")
    page.keyboard.press("Enter")
    page.wait_for_url("**/groups")
    tab_to(page, "New group")
    page.keyboard.press("Enter")
    page.wait_for_url("**/groups/new")
    check_page(page, "group-new")
    name = f"Keyboard {uuid.uuid4().hex[:6]}"
    tab_to(page, "Name")
    page.keyboard.type(name)
    tab_to(page, "Description")
    page.keyboard.type("Made without a mouse")
    tab_to(page, "Create")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    tab_to(page, "User or group whose name starts with")
    page.keyboard.type("Meg")
    page.keyboard.press("Enter")
    page.wait_for_url("**find=Meg")
    tab_to(page, "Add Megan")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("The member was added.")
    expect(page.get_by_role("table")).to_contain_text("Megan")
    check_page(page, "group")


def test_names_that_are_markup_stay_text_on_every_page(demo: Server, admin_page: Page) -> None:
    page = admin_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    failed_images: list[str] = []
    page.on("requestfailed", lambda request: failed_images.append(request.url) if request.url.endswith("/x") else None)
    base = demo.info["portal"]
    for hostile in HOSTILE:
        user = demo.graph("POST", "/users", json={"accountEnabled": True, "displayName": hostile, "mailNickname": "x",
                                                  "userPrincipalName": f"h{uuid.uuid4().hex[:6]}@contoso.test"}).json()
        group = demo.graph("POST", "/groups", json={"displayName": hostile, "description": hostile,
                                                    "mailEnabled": False, "mailNickname": "x",
                                                    "securityEnabled": True}).json()
        demo.graph("POST", f"/groups/{group['id']}/members/$ref", json={
            "@odata.id": f"{demo.url}/v1.0/directoryObjects/{user['id']}"})
        prefix = hostile[:3]
        for path in (f"/users?q={prefix}", f"/users/{user['id']}", f"/groups?q={prefix}", f"/groups/{group['id']}",
                     f"/groups/{group['id']}?find={prefix}"):
            page.goto(base + path)
            expect(page.locator("main")).to_contain_text(hostile)
            assert page.locator("main img, main script").count() == 0, path
        check_page(page, f"escaped-{HOSTILE.index(hostile)}")
    assert dialogs == [] and failed_images == []
