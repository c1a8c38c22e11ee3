"""The device login page through a real server, on SQLite and PostgreSQL: the code a person types (in any
case, with spaces), her sign-in (the sign-in steps, or her session's account), the confirmation naming the
application, and the code approved or declined in her tenant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.domain import builtins
from tenantd.runtime import Runtime

from ..support import Server
from .pages_support import (
    PAGE_CSP,
    PASSWORD,
    Browser,
    add_domain,
    authorize_query,
    device_code_of,
    forms,
    new_device_code,
    sign_in,
    text,
)


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[tuple[Server, Runtime, str]]:
    rt = tenantd.runtime()
    add_domain(rt, tenantd.tenant_id, "contoso.test")
    user = rt.directory.create_user(tenantd.tenant_id, "alice@contoso.test", "Alice",
                                    password=PasswordProfile(PASSWORD))
    yield tenantd, rt, user.id
    rt.store.dispose()


def enter(browser: Browser, code: str) -> object:
    page = browser.get("/devicelogin")
    assert page.status_code == 200 and "otc" in forms(page.text)[0].fields
    assert page.headers["content-security-policy"] == PAGE_CSP.format("")
    return browser.submit(page, otc=code)


def test_a_person_approves_a_device_code_after_naming_the_app(world: tuple[Server, Runtime, str]) -> None:
    server, rt, alice = world
    device_code = new_device_code(rt, "DKQXR7WPM", None)
    browser = Browser(server)
    page = enter(browser, " dkqx r7wpm ")
    confirm = browser.submit(browser.submit(page, loginfmt="alice@contoso.test"), passwd=PASSWORD)
    assert confirm.status_code == 200 and "Are you trying to sign in to Microsoft Azure CLI?" in text(confirm)
    assert {b["id"]: b["value"] for b in forms(confirm.text)[0].buttons} == {"idSIButton9": "Continue",
                                                                              "idBtn_Back": "Cancel"}
    assert device_code_of(rt, device_code).status == "pending"   # nothing is decided before she confirms
    done = browser.submit(confirm)
    assert done.status_code == 200
    assert ("You have signed in to the Microsoft Azure CLI application on your device. You may now close this "
            "window.") in text(done)
    decided = device_code_of(rt, device_code)
    assert (decided.status, decided.user_id, decided.tenant_id) == ("approved", alice, server.tenant_id)
    assert decided.auth_time is not None
    again = browser.submit(browser.get("/devicelogin"), otc="DKQXR7WPM")
    assert again.status_code == 400 and "That code was already used" in text(again)
    browser.close()


def test_cancel_declines_and_a_session_account_can_answer(world: tuple[Server, Runtime, str]) -> None:
    server, rt, alice = world
    browser = Browser(server)
    query = authorize_query(builtins.AZURE_CLI_APP_ID, "http://localhost:8400")
    sign_in(browser, browser.get(f"/{server.tenant_id}/oauth2/v2.0/authorize", **query), "alice@contoso.test")
    device_code = new_device_code(rt, "HMVBT4KLC", server.tenant_id)
    picker = enter(browser, "HMVBT4KLC")
    assert "Pick an account" in picker.text
    confirm = browser.submit(picker, "account", value=alice)
    assert "Microsoft Azure CLI" in confirm.text
    declined = browser.submit(confirm, "idBtn_Back")
    assert "You declined to sign in" in declined.text
    assert (device_code_of(rt, device_code).status, device_code_of(rt, device_code).user_id) == ("declined", alice)
    browser.close()


def test_wrong_and_expired_codes_are_told_apart(world: tuple[Server, Runtime, str]) -> None:
    server, rt, _ = world
    new_device_code(rt, "XPIRED7QQ", None, lifetime=-1)
    browser = Browser(server)
    wrong = enter(browser, "NOTACODE1")
    assert wrong.status_code == 400 and "That code didn't work" in text(wrong)
    expired = enter(browser, "xpired7qq")
    assert expired.status_code == 400 and "has expired" in expired.text
    browser.close()


def test_a_code_for_one_tenant_is_answered_only_by_its_people(world: tuple[Server, Runtime, str]) -> None:
    server, rt, _ = world
    other = rt.directory.create_tenant("Elsewhere")
    add_domain(rt, other.id, "elsewhere.test")
    rt.directory.create_user(other.id, "olga@elsewhere.test", "Olga", password=PasswordProfile(PASSWORD))
    device_code = new_device_code(rt, "TNNTCODE4", server.tenant_id)
    browser = Browser(server)
    page = browser.submit(enter(browser, "TNNTCODE4"), loginfmt="olga@elsewhere.test")
    refused = browser.submit(page, passwd=PASSWORD)
    assert refused.status_code == 400 and "Your account or password is incorrect" in refused.text
    assert device_code_of(rt, device_code).status == "pending"
    browser.close()
