"""Completes Entra-shaped sign-in pages with Playwright and Debian's Chromium.

The steps use the selectors that automation written for Entra ID's own pages uses (PROTOCOLS.md, "People"):
`input[name=loginfmt]`, `input[name=passwd]`, the primary button `#idSIButton9` (Next / Sign in / Yes /
Continue), `#idBtn_Back` (No on "Stay signed in?") and the device login page's `input[name=otc]`; pages are
told apart by their headings, as a person would. So the same calls would complete login.microsoftonline.com.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Playwright

CHROMIUM = "/usr/bin/chromium"   # Debian's package: `playwright install` is never run
USER_NAME = "input[name=loginfmt]"
PASSWORD = "input[name=passwd]"
USER_CODE = "input[name=otc]"
PRIMARY = "#idSIButton9"
SECONDARY = "#idBtn_Back"
STAY_SIGNED_IN = "Stay signed in?"
PICK_AN_ACCOUNT = "Pick an account"
PERMISSIONS_REQUESTED = "Permissions requested"
ON_BEHALF_OF_ORGANIZATION = "Consent on behalf of your organization"
NEED_ADMIN_APPROVAL = "Need admin approval"


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True)


def new_context(browser: Browser) -> BrowserContext:
    """A fresh profile (no cookies). tenantd's local CA is not in Chromium's store, hence the certificate
    errors are ignored; the page is still an https origin, so `__Host-` and Secure cookies behave as in Entra."""
    return browser.new_context(ignore_https_errors=True)


def enter_credentials(page: Page, user_name: str, password: str) -> None:
    """User name -> Next -> password -> Sign in. A page opened with a `login_hint` may start at the password."""
    name_box, password_box = page.locator(USER_NAME), page.locator(PASSWORD)
    name_box.or_(password_box).first.wait_for()
    if name_box.is_visible():
        name_box.fill(user_name)
        page.click(PRIMARY)
    password_box.wait_for()
    password_box.fill(password)
    page.click(PRIMARY)


def answer_stay_signed_in(page: Page, stay: bool) -> None:
    """"Stay signed in?": Yes (#idSIButton9) keeps the session past the browser's life, No (#idBtn_Back)."""
    page.get_by_text(STAY_SIGNED_IN).wait_for()
    page.click(PRIMARY if stay else SECONDARY)


def answer_consent(page: Page, accept: bool, *, for_organization: bool = False) -> None:
    """"Permissions requested": Accept (#idSIButton9) or Cancel (#idBtn_Back); an administrator may first
    check "Consent on behalf of your organization" (found by its label, as a person finds it)."""
    page.get_by_text(PERMISSIONS_REQUESTED).wait_for()
    if for_organization:
        page.get_by_label(ON_BEHALF_OF_ORGANIZATION).check()
    page.click(PRIMARY if accept else SECONDARY)


def sign_in(page: Page, url: str, user_name: str, password: str, *, until: Callable[[str], bool],
            stay_signed_in: bool = True, consent: bool | None = None) -> None:
    """Open an authorize URL, sign in with a password, answer "Stay signed in?" (and, when ``consent`` is
    not None, the consent page: True accepts), and wait until the browser is at an address ``until``
    accepts (the app's redirect URI)."""
    page.goto(url)
    enter_credentials(page, user_name, password)
    answer_stay_signed_in(page, stay_signed_in)
    if consent is not None:
        answer_consent(page, consent)
    page.wait_for_url(until)


def pick_account(page: Page, user_name: str) -> None:
    """"Pick an account": the tile of that account (Entra marks each tile with `data-test-id`, the UPN)."""
    page.get_by_text(PICK_AN_ACCOUNT).wait_for()
    page.click(f'[data-test-id="{user_name}"]')


def use_another_account(page: Page) -> None:
    """"Pick an account": "Use another account" (`#otherTile`), which leads to the user name step."""
    page.get_by_text(PICK_AN_ACCOUNT).wait_for()
    page.click("#otherTile")


def approve_device_code(page: Page, verification_uri: str, user_code: str, user_name: str, password: str,
                        *, app_name: str) -> None:
    """The device login page: the code -> Next -> sign in -> "Are you trying to sign in to {app}?" Continue
    -> "You have signed in to the {app} application on your device"."""
    page.goto(verification_uri)
    page.fill(USER_CODE, user_code)
    page.click(PRIMARY)
    enter_credentials(page, user_name, password)
    page.locator(PASSWORD).wait_for(state="hidden")
    page.get_by_text(app_name).first.wait_for()
    page.click(PRIMARY)
    page.get_by_text("You have signed in").wait_for()


@dataclass
class Redirect:
    """What an app received at its redirect URI: query, fragment or form_post body parameters."""

    method: str
    params: dict[str, str]


class RedirectListener:
    """A web app's redirect URI on a loopback port (`http://localhost:{port}/signin-oidc`, which Entra accepts
    for web apps): answers every request there and keeps its parameters, as the app would receive them."""

    def __init__(self, path: str = "/signin-oidc") -> None:
        self.caught: list[Redirect] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.redirect_uri = f"http://localhost:{self._server.server_port}{path}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def matches(self, url: str) -> bool:
        return url.startswith(self.redirect_uri)

    def last(self, page: Page) -> dict[str, str]:
        """The latest redirect's parameters, with the fragment's (which never reach a server) from the page."""
        return {**self.caught[-1].params, **dict(parse_qsl(urlsplit(page.url).fragment))}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        caught = self.caught

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._keep(dict(parse_qsl(urlsplit(self.path).query)))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                self._keep({**dict(parse_qsl(urlsplit(self.path).query)), **dict(parse_qsl(body))})

            def _keep(self, params: dict[str, str]) -> None:
                if urlsplit(self.path).path != "/favicon.ico":
                    caught.append(Redirect(self.command, params))
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<!doctype html><title>App</title><p>Signed in")

            def log_message(self, *args: object) -> None:
                pass

        return Handler


# Python's webbrowser runs $BROWSER for msal's and azure-identity's interactive sign-in: complete_sign_in.py
# signs in as the user these variables name.
USER_VARIABLE = "TENANTD_SIGN_IN_USER"
PASSWORD_VARIABLE = "TENANTD_SIGN_IN_PASSWORD"
STAY_VARIABLE = "TENANTD_SIGN_IN_STAY"
CONSENT_VARIABLE = "TENANTD_SIGN_IN_CONSENT"   # "accept" or "cancel" the consent page; unset: none expected


def browser_command() -> str:
    """A $BROWSER entry that runs complete_sign_in.py with the URL, in the background (`&`): the client must
    go on to answer the redirect on its loopback port while the page is completed."""
    script = Path(__file__).with_name("complete_sign_in.py")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} %s &"


@contextmanager
def webbrowser_signs_in(user_name: str, password: str, *, stay_signed_in: bool = True,
                        consent: bool | None = None) -> Iterator[None]:
    """Within the block, `webbrowser.open(url)` in this process (and any child's) completes the sign-in at
    ``url`` as this user (answering the consent page when ``consent`` is not None; without it, a consent
    page fails the sign-in). webbrowser reads $BROWSER once per process, so it is told to read it again."""
    settings = {"BROWSER": browser_command(), USER_VARIABLE: user_name, PASSWORD_VARIABLE: password,
                STAY_VARIABLE: "yes" if stay_signed_in else "no",
                CONSENT_VARIABLE: "" if consent is None else "accept" if consent else "cancel"}
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    webbrowser.register_standard_browsers()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        webbrowser.register_standard_browsers()
