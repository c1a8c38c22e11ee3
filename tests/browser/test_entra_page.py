"""The driver and the $BROWSER hook on a stand-in page in Entra's shape, served by the test itself."""

from __future__ import annotations

import threading
import time
import webbrowser
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import BrowserContext

from .entra_page import RedirectListener, sign_in, webbrowser_signs_in

PAGES = {
    "/authorize": '<form action="/password"><input type="hidden" name="r" value="{r}">'
                  '<input name="loginfmt"><input type="submit" id="idSIButton9" value="Next"></form>',
    "/password": '<form action="/kmsi"><input type="hidden" name="r" value="{r}"><input name="passwd" '
                 'type="password"><input type="submit" id="idSIButton9" value="Sign in"></form>',
    "/kmsi": '<div>Stay signed in?</div><form action="/done"><input type="hidden" name="r" value="{r}">'
             '<input type="submit" id="idBtn_Back" name="stay" value="No">'
             '<input type="submit" id="idSIButton9" name="stay" value="Yes"></form>',
    "/done": '<body onload="document.forms[0].submit()"><form method="post" action="{r}">'
             '<input type="hidden" name="code" value="c0de"><input type="hidden" name="stay" value="{stay}">'
             '</form></body>',
}


class StandIn(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path not in PAGES:
            self.send_error(404)
            return
        query = dict(parse_qsl(parts.query))
        body = PAGES[parts.path].format(r=query.get("r") or query.get("redirect_uri"), stay=query.get("stay"))
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def stand_in() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_driver_completes_the_pages_and_the_form_post_reaches_the_app(
        browser_context: BrowserContext, stand_in: str, redirect_listener: RedirectListener) -> None:
    page = browser_context.new_page()
    sign_in(page, f"{stand_in}/authorize?" + urlencode({"redirect_uri": redirect_listener.redirect_uri}),
            "a@contoso.test", "pw", until=redirect_listener.matches, stay_signed_in=False)
    assert redirect_listener.caught[-1].method == "POST"
    assert redirect_listener.last(page) == {"code": "c0de", "stay": "No"}


def test_webbrowser_runs_the_browser_hook(stand_in: str, redirect_listener: RedirectListener) -> None:
    """As msal does: webbrowser.open(auth_uri), then wait for the answer at the loopback redirect URI."""
    before = len(redirect_listener.caught)
    with webbrowser_signs_in("a@contoso.test", "pw"):
        assert webbrowser.open(f"{stand_in}/authorize?" + urlencode({"redirect_uri": redirect_listener.redirect_uri}))
        deadline = time.monotonic() + 60
        while len(redirect_listener.caught) == before and time.monotonic() < deadline:
            time.sleep(0.1)
    assert redirect_listener.caught[-1].params == {"code": "c0de", "stay": "Yes"}
