"""The portal driven without a browser: a person signs in to it through tenantd's sign-in pages (httpx keeps
the cookies, pages_support reads the forms), then reads its pages and posts its forms."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from ..support import Server
from .delegated_support import PASSWORD
from .pages_support import Browser, forms, sign_in

Obj = dict[str, Any]


class Portal:
    """One person's browser on the portal of the server's tenant."""

    def __init__(self, server: Server) -> None:
        self.browser = Browser(server)
        self.base = f"/portal/{server.tenant_id}"

    @property
    def http(self) -> httpx.Client:
        return self.browser.http

    def sign_in(self, user: Obj, password: str = PASSWORD) -> httpx.Response:
        """Open the portal, follow it to tenantd's sign-in page, sign in; the page that sets the session."""
        to_sign_in = self.http.get(self.base)
        assert to_sign_in.status_code == 303, to_sign_in.text
        to_authorize = self.http.get(to_sign_in.headers["location"])
        assert to_authorize.status_code == 303, to_authorize.text
        name_page = self.http.get(to_authorize.headers["location"])
        back = sign_in(self.browser, name_page, user["userPrincipalName"], password)
        assert back.status_code == 302 and "/portal/signed-in?" in back.headers["location"], back.text
        landed = self.http.get(back.headers["location"])
        assert landed.status_code == 200 and "Signed in" in landed.text, landed.text
        return landed

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.http.get(self.base + path, params=params)

    def csrf(self) -> str:
        """The session's CSRF token, as every form of the portal's pages holds it (the sign-out form's)."""
        page = self.get("")
        assert page.status_code == 200, page.text
        return next(f.fields["csrf"] for f in forms(page.text) if "csrf" in f.fields)

    def post(self, path: str, data: dict[str, str], *, csrf: str | None = "session") -> httpx.Response:
        """A form posted to ``path``: with the session's CSRF token, a given one, or none (None)."""
        fields = dict(data)
        if csrf == "session":
            fields["csrf"] = self.csrf()
        elif csrf is not None:
            fields["csrf"] = csrf
        return self.http.post(self.base + path, data=fields)

    def close(self) -> None:
        self.browser.close()


def shown(response: httpx.Response) -> str:
    """A page's text as a person reads it: tags dropped, character references resolved."""
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))
