"""SECURITY.md item 47, the device login page's half: guessing user codes is throttled per source (past ten
wrong codes in five minutes the source gets 429, even for a right code, while another source is served), and
a code is approved only after a confirmation page that names the application asking."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.tokens.device_login import GUESS_WINDOW, GUESSES

from ..http.pages_support import PASSWORD, Browser, add_domain, device_code_of, forms, new_device_code, text
from ..support import Server
from .support import fresh_window


@pytest.fixture(scope="module")
def app_id(server: Server) -> Iterator[str]:
    rt = server.runtime()
    add_domain(rt, server.tenant_id, "contoso.test")
    rt.directory.create_user(server.tenant_id, "alice47@contoso.test", "Alice", password=PasswordProfile(PASSWORD))
    app = rt.directory.create_application(server.tenant_id, "Contoso Inventory", with_service_principal=True,
                                          settings={"isFallbackPublicClient": True})
    rt.store.dispose()
    yield app.app_id


def test_47_guessing_user_codes_is_throttled_per_source(server: Server, app_id: str) -> None:
    rt = server.runtime()
    new_device_code(rt, "RIGHT47AB", None, client_id=app_id)
    rt.store.dispose()
    fresh_window(30, GUESS_WINDOW)
    guesser, neighbour = Browser(server, "127.0.47.1"), Browser(server, "127.0.47.2")
    page = guesser.get("/devicelogin")
    for n in range(GUESSES):
        wrong = guesser.submit(page, otc=f"GUESS{n:04d}")
        assert wrong.status_code == 400 and "That code didn't work" in text(wrong)
    blocked = guesser.submit(page, otc="GUESS9999")
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "Too many wrong codes" in text(blocked)
    right_but_blocked = guesser.submit(page, otc="RIGHT47AB")
    assert right_but_blocked.status_code == 429 and "loginfmt" not in right_but_blocked.text
    served = neighbour.submit(neighbour.get("/devicelogin"), otc="RIGHT47AB")
    assert served.status_code == 200 and "loginfmt" in forms(served.text)[0].fields
    guesser.close()
    neighbour.close()


def test_47_a_code_is_approved_only_after_a_confirmation_naming_the_app(server: Server, app_id: str) -> None:
    rt = server.runtime()
    device_code = new_device_code(rt, "CONFIRM47", None, client_id=app_id)
    browser = Browser(server, "127.0.47.3")
    name = browser.submit(browser.get("/devicelogin"), otc="CONFIRM47")
    confirm = browser.submit(browser.submit(name, loginfmt="alice47@contoso.test"), passwd=PASSWORD)
    assert "Are you trying to sign in to Contoso Inventory?" in text(confirm)
    assert device_code_of(rt, device_code).status == "pending"
    unproven = {**forms(name.text)[0].fields, "step": "confirm", "decision": "Continue"}   # no password proof
    skipped = browser.http.post("/devicelogin", data=unproven)
    assert skipped.status_code == 400 and device_code_of(rt, device_code).status == "pending"
    done = browser.submit(confirm)
    assert "You have signed in to the Contoso Inventory application on your device" in text(done)
    assert device_code_of(rt, device_code).status == "approved"
    rt.store.dispose()
    browser.close()
