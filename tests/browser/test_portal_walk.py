"""The walk of the portal's issue, once, end to end, as a person does it in a browser: the demo tenant's admin
signs in with the password `tenantd up --demo` wrote, registers a Things API of her own with its app role and
App ID URI, assigns the role to the managed identity ``joonasmsitest`` on its enterprise application by
picking names with the keyboard, sees the token preview gain the role, and the Things example (its API
pointed at this registration, its web app under ``tenantd run --as joonasmsitest``) answers 200; she removes
the assignment and the very next run is refused with 403. Then she creates a user, resets her password, the
user signs in in a browser of her own, the admin reads that sign-in in the sign-in log, and pastes a token she
minted into the token decoder, which verifies it. Every step goes through the portal's pages (the example's
processes aside); every page visited is checked by axe-core and screenshot as ``walk-NN-<step>.png``."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ..e2e.things_support import EXAMPLE, ThingsApis
from ..support import Server, start_server
from .entra_page import PASSWORD, PRIMARY, USER_NAME
from .portal_browser import check_page, portal_context, tab_to

API_NAME = "Things API (portal)"   # the demo tenant has its own "Things API"; this one is the walk's
API_URI = "api://things-portal"
ROLE = "Things.Read.All"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("tenantd"), "--demo")
    yield running
    running.stop()


class Walk:
    """Numbered screenshots with an axe-core check of every page the walk visits."""

    def __init__(self) -> None:
        self.step = 0

    def check(self, page: Page, name: str) -> None:
        self.step += 1
        check_page(page, f"walk-{self.step:02d}-{name}")


def sign_in(walk: Walk, page: Page, portal: str, user_name: str, password: str, who: str) -> None:
    """The portal sends her to tenantd's sign-in page: user name, password, "Stay signed in?", the portal."""
    page.goto(portal)
    page.locator(USER_NAME).wait_for()
    walk.check(page, f"{who}-sign-in-name")
    page.locator(USER_NAME).fill(user_name)
    page.click(PRIMARY)
    page.locator(PASSWORD).wait_for()
    walk.check(page, f"{who}-sign-in-password")
    page.locator(PASSWORD).fill(password)
    page.click(PRIMARY)
    page.get_by_text("Stay signed in?").wait_for()
    walk.check(page, f"{who}-stay-signed-in")
    page.click(PRIMARY)
    page.get_by_role("button", name="Sign out").wait_for()
    expect(page.locator("header")).to_contain_text(user_name)
    walk.check(page, f"{who}-overview")


def open_enterprise_app(walk: Walk, page: Page, *, keyboard: bool) -> None:
    """Enterprise applications, search by the start of the name, open the walk's API."""
    if keyboard:
        tab_to(page, "Enterprise applications")
        page.keyboard.press("Enter")
        page.wait_for_url("**/enterprise-apps")
        walk.check(page, "enterprise-apps")
        tab_to(page, "Name starts with")
        page.keyboard.type("Things API (p")
        page.keyboard.press("Enter")
        page.wait_for_url("**q=Things*")
        walk.check(page, "enterprise-apps-found")
        tab_to(page, API_NAME)
        page.keyboard.press("Enter")
    else:
        page.get_by_role("link", name="Enterprise applications").click()
        page.get_by_label("Name starts with").fill("Things API (p")
        page.get_by_label("Name starts with").press("Enter")
        page.wait_for_url("**q=Things*")
        walk.check(page, "enterprise-apps-found-again")
        page.get_by_role("link", name=API_NAME).click()
    expect(page.get_by_role("heading", name=API_NAME)).to_be_visible()


def preview(page: Page) -> None:
    """The token preview of joonasmsitest to the walk's API, named by the App ID URI its client asks for."""
    page.get_by_label("Principal").fill("joonasmsitest")
    page.get_by_label("Resource").fill(API_URI)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#claim-aud")).to_contain_text(API_URI)


def run_client(demo: Server, api_url: str) -> tuple[int, str]:
    """examples/things/web.py under `tenantd run --as joonasmsitest`, asking for this walk's API."""
    result = demo.cli("run", "--as", "joonasmsitest", "--", sys.executable, str(EXAMPLE / "web.py"),
                      env={"THINGS_URL": api_url, "THINGS_SCOPE": f"{API_URI}/.default"})
    return result.returncode, result.stdout.strip() + result.stderr.strip()


def test_the_walk(chromium: Browser, demo: Server) -> None:
    walk = Walk()
    portal = demo.info["portal"]
    admin = json.loads((Path(demo.data) / "demo-secrets.json").read_text())["users"]["admin@contoso.test"]
    context = portal_context(chromium)
    page = context.new_page()
    sign_in(walk, page, portal, admin["username"], admin["password"], "admin")

    # The API's registration: its App ID URI and its app role.
    page.get_by_role("link", name="App registrations").click()
    walk.check(page, "apps")
    page.get_by_role("link", name="New registration").click()
    walk.check(page, "app-new")
    page.get_by_label("Name").fill(API_NAME)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name=API_NAME)).to_be_visible()
    app_id = page.locator("dt:has-text('Application (client) id') + dd").inner_text().strip()
    walk.check(page, "app-created")
    page.get_by_label("Application ID URI").fill(API_URI)
    page.get_by_role("button", name="Add the URI").click()
    expect(page.locator("main")).to_contain_text(API_URI)
    page.get_by_label("Display name", exact=True).fill("Read all things")
    page.get_by_label("Value (the roles claim").fill(ROLE)
    page.get_by_label("Description", exact=True).first.fill("Read all things as itself.")
    page.get_by_role("button", name="Add the role").click()
    expect(page.get_by_role("status")).to_have_text("The change was saved.")
    expect(page.locator("#roles + table")).to_contain_text(ROLE)
    walk.check(page, "app-role")

    # Before any assignment, a token for joonasmsitest to this API would carry no role.
    page.get_by_role("link", name="Token preview").click()
    walk.check(page, "token-preview")
    preview(page)
    expect(page.locator("#claim-roles")).to_have_count(0)
    walk.check(page, "token-preview-no-role")

    # Its enterprise application: the role to joonasmsitest by picking names, with the keyboard alone.
    open_enterprise_app(walk, page, keyboard=True)
    walk.check(page, "enterprise-app")
    tab_to(page, "User, group, app or managed identity whose name starts with")
    page.keyboard.type("joonas")
    page.keyboard.press("Enter")
    page.wait_for_url("**find=joonas*")
    tab_to(page, "joonasmsitest (Managed identity)")
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="joonasmsitest (Managed identity)")).to_be_checked()
    tab_to(page, "Role")
    expect(page.get_by_label("Role").locator("option:checked")).to_have_text(f"Read all things ({ROLE})")
    walk.check(page, "enterprise-app-assign")
    tab_to(page, "Assign the role")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("The role was assigned.")
    holders = page.locator("h3:has-text('Read all things') + p + table")
    expect(holders).to_contain_text("joonasmsitest")
    walk.check(page, "enterprise-app-assigned")

    # The token preview gains the role; the admin mints that token, to decode it later.
    page.get_by_role("link", name="Token preview").click()
    preview(page)
    expect(page.locator("#claim-roles")).to_contain_text(ROLE)
    walk.check(page, "token-preview-role")
    page.get_by_role("button", name="Mint this token").click()
    minted = page.locator("#minted-token").inner_text().strip()
    walk.check(page, "token-minted")

    # The example, pointed at this registration, as joonasmsitest: 200; revoked in the portal: 403.
    apis = ThingsApis(demo)
    try:
        api_url = apis.start_api(audience=f"{API_URI},{app_id}")
        code, answer = run_client(demo, api_url)
        assert code == 0 and answer.startswith("200 ") and ROLE in answer, answer

        open_enterprise_app(walk, page, keyboard=False)
        page.get_by_role("button", name="Remove joonasmsitest from Read all things").click()
        expect(page.get_by_role("status")).to_have_text("The assignment was removed.")
        expect(holders).to_contain_text("No one")
        walk.check(page, "enterprise-app-removed")
        code, answer = run_client(demo, api_url)
        assert code == 1 and answer.startswith("403 ") and 'error="insufficient_scope"' in answer, answer
    finally:
        apis.stop()

    # A new user, her password reset; she signs in in a browser of her own.
    page.get_by_role("link", name="Users").click()
    walk.check(page, "users")
    page.get_by_role("link", name="New user").click()
    walk.check(page, "user-new")
    name = f"dana{uuid.uuid4().hex[:6]}@contoso.test"
    page.get_by_label("Display name").fill("Dana")
    page.get_by_label("User principal name").fill(name)
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="User created")).to_be_visible()
    walk.check(page, "user-created")
    page.get_by_role("link", name="Back to the user").click()
    walk.check(page, "user")
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_role("heading", name="Password reset")).to_be_visible()
    password = page.locator("#new-password").inner_text().strip()
    walk.check(page, "user-password-reset")

    hers = portal_context(chromium)
    sign_in(walk, hers.new_page(), portal, name, password, "dana")
    hers.close()

    # Her sign-in in the log (written in batches, within a second or so).
    page.get_by_role("link", name="Sign-in logs").click()
    walk.check(page, "sign-ins")
    page.get_by_label("Principal").fill(name)
    page.get_by_label("Result").select_option(label="Success")
    for _ in range(30):
        page.get_by_role("button", name="Filter").click()
        page.wait_for_load_state()
        if name in page.locator("main table").inner_text():
            break
        page.wait_for_timeout(300)
    entry = page.locator("main table tbody tr", has_text=name).first
    expect(entry).to_contain_text("tenantd portal")
    expect(entry).to_contain_text("Success")
    walk.check(page, "sign-ins-hers")

    # The minted token, pasted into the decoder: verified, for this API, with the role.
    page.get_by_role("link", name="Token decoder").click()
    walk.check(page, "token-decoder")
    page.get_by_label("Token to decode").fill(minted)
    page.get_by_label("Expected audience (optional)").fill(API_URI)
    page.get_by_role("button", name="Decode and verify").click()
    expect(page.locator("#verdict")).to_contain_text("Valid")
    expect(page.locator("#token-payload")).to_contain_text(ROLE)
    assert "token=" not in page.url
    walk.check(page, "token-decoded")
    context.close()
