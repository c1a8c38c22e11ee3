"""The portal's app pages as a person uses them, in headless Chromium: the demo tenant's admin registers a
Things-like API with an app role, assigns the role to the managed identity ``joonasmsitest`` by picking
names (no GUID typed), sees the assignment listed, and removes it; the manifest is previewed as a diff; a
secret is shown once. Each page is screenshot and checked by axe-core (the foundation's browser fixtures)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from ..support import Server
from .portal_browser import check_page
from .test_portal import admin_credentials, admin_page, demo  # noqa: F401 - the foundation's fixtures


def test_the_admin_registers_an_api_and_assigns_its_role_to_a_managed_identity_by_name(
        demo: Server, admin_page: Page) -> None:  # noqa: F811
    page = admin_page
    page.get_by_role("link", name="App registrations").click()
    expect(page.get_by_role("heading", name="App registrations")).to_be_visible()
    check_page(page, "apps")
    page.get_by_role("link", name="New registration").click()
    check_page(page, "app-new")
    name = f"Things Portal API {uuid.uuid4().hex[:6]}"
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("was created")
    page.get_by_role("button", name="Add the URI").click()
    expect(page.locator("main")).to_contain_text("api://")
    page.get_by_label("Display name", exact=True).fill("Things readers")
    page.get_by_label("Value (the roles claim").fill("Things.Read.All")
    page.get_by_label("Description", exact=True).first.fill("Read all things")
    page.get_by_role("button", name="Add the role").click()
    expect(page.get_by_role("status")).to_have_text("The change was saved.")
    expect(page.locator("#roles + table")).to_contain_text("Things.Read.All")
    check_page(page, "app")

    page.get_by_role("button", name="New client secret").click()
    expect(page.get_by_role("heading", name="New client secret")).to_be_visible()
    secret = page.locator("#new-secret").inner_text()
    check_page(page, "app-secret")
    page.get_by_role("link", name="Back to the registration").click()
    assert secret not in page.content()

    page.get_by_role("link", name="Manifest (JSON)").click()
    check_page(page, "app-manifest")
    manifest = page.get_by_label("The registration as Microsoft Graph's JSON")
    manifest.fill(manifest.input_value().replace('"signInAudience": "AzureADMyOrg"',
                                                 '"signInAudience": "AzureADMultipleOrgs"'))
    page.get_by_role("button", name="Preview the changes").click()
    expect(page.locator("pre.diff")).to_contain_text('+  "signInAudience": "AzureADMultipleOrgs"')
    check_page(page, "app-manifest-preview")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("The manifest was saved.")

    page.get_by_role("link", name=name).click()   # its enterprise application
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.get_by_label("User, group, app or managed identity whose name starts with").fill("joonas")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("radio", name="joonasmsitest (Managed identity)").check()
    page.get_by_label("Role").select_option(label="Things readers (Things.Read.All)")
    check_page(page, "enterprise-app-assign")
    page.get_by_role("button", name="Assign the role").click()
    expect(page.get_by_role("status")).to_have_text("The role was assigned.")
    holders = page.locator("h3:has-text('Things readers') + p + table")
    expect(holders).to_contain_text("joonasmsitest")
    check_page(page, "enterprise-app")
    held = demo.graph("GET", "/servicePrincipals", params={"$filter": "displayName eq 'joonasmsitest'"}).json()
    identity = held["value"][0]
    roles = demo.graph("GET", f"/servicePrincipals/{identity['id']}/appRoleAssignments").json()["value"]
    assert any(a["resourceDisplayName"] == name for a in roles)

    page.get_by_role("link", name="Managed identities").click()
    check_page(page, "identities")
    page.get_by_role("link", name="joonasmsitest").click()
    expect(page.locator("main")).to_contain_text("tenantd run --as joonasmsitest -- python app.py")
    expect(page.locator("main")).to_contain_text(name)
    check_page(page, "identity")
    page.get_by_role("link", name=name).click()
    page.get_by_role("button", name="Remove joonasmsitest from Things readers").click()
    expect(page.get_by_role("status")).to_have_text("The assignment was removed.")
    expect(holders).to_contain_text("No one")
    roles = demo.graph("GET", f"/servicePrincipals/{identity['id']}/appRoleAssignments").json()["value"]
    assert not any(a["resourceDisplayName"] == name for a in roles)
    page.get_by_role("link", name="Enterprise applications").click()
    check_page(page, "enterprise-apps")
