"""What every page request has: the token service, the seal of page state, the device login use cases (made
once per application, on the first page request), the directory (what consent writes), and the browser's
cookies and address."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from ...directory import Directory
from ...runtime import Runtime
from ...tokens.device_login import DeviceLogin
from ...tokens.service import TokenService
from ...tokens.sessions import SESSION_COOKIE
from ..bodies import BodyTooLarge, read_limited
from .flow import BINDING_COOKIE, FlowSeal, new_binding
from .render import page

SECRET_NAME = "sign-in pages"   # the shared server secret the page MACs use (tokens/secrets.Vault)
MAX_FORM = 32 * 1024
MAX_FIELDS = 64      # an authorize request may be POSTed, with the client library's own parameters
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Pages:
    tokens: TokenService
    seal: FlowSeal
    device_login: DeviceLogin
    directory: Directory   # what a person's consent writes


def pages_of(request: Request) -> Pages:
    """The application's Pages, made on first use (it reads the shared secret: call it off the event loop)."""
    state = request.app.state
    with _LOCK:
        pages: Pages | None = getattr(state, "pages", None)
        if pages is None:
            runtime: Runtime = state.runtime
            key = runtime.vault.shared_secret(runtime.store, SECRET_NAME)
            pages = Pages(runtime.tokens, FlowSeal(key, runtime.tokens.clock),
                          DeviceLogin(runtime.store, runtime.tokens.clock), runtime.directory)
            state.pages = pages
    return pages


class BadForm(Exception):
    """A page form that is too large, malformed or repeats a field."""


async def read_form(request: Request, limit: int = MAX_FORM) -> dict[str, str]:
    """A page's form body: urlencoded UTF-8, at most ``limit`` bytes, each field once, no NUL (no store takes it)."""
    try:
        body = await read_limited(request, limit)
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except (BodyTooLarge, UnicodeDecodeError, ValueError):
        raise BadForm from None
    form = dict(pairs)
    if len(form) != len(pairs) or any("\x00" in k or "\x00" in v for k, v in pairs):
        raise BadForm
    return form


@dataclass
class Visit:
    """One request to a page: its browser's binding cookie (made now when it had none) and session cookie."""

    pages: Pages
    binding: str | None
    client_ip: str | None
    session_cookie: str | None
    new_binding: str | None = None
    set_cookies: list[tuple[str, str, int | None]] = field(default_factory=list)

    @classmethod
    def of(cls, request: Request) -> Visit:
        binding = request.cookies.get(BINDING_COOKIE)
        return cls(pages_of(request), binding if binding and len(binding) <= 64 else None,
                   request.client.host if request.client else None, request.cookies.get(SESSION_COOKIE))

    @property
    def tokens(self) -> TokenService:
        return self.pages.tokens

    def now(self) -> int:
        return int(self.tokens.clock())

    def bound(self) -> str:
        """The binding cookie, made (and set on the answer) when the browser has none yet."""
        if self.binding is None:
            self.binding = self.new_binding = new_binding()
        return self.binding

    def form_fields(self, state: dict[str, Any] | None) -> dict[str, str]:
        """The hidden fields of a form: its CSRF token and, in a sign-in, the sealed flow."""
        binding = self.bound()
        fields = {"csrf": self.pages.seal.csrf(binding)}
        if state is not None:
            fields["flow"] = self.pages.seal.seal(binding, state)
        return fields

    def genuine(self, form: dict[str, str]) -> bool:
        """A POST from one of this browser's own pages (its CSRF token matches its binding cookie)."""
        return self.pages.seal.csrf_ok(self.binding, form.get("csrf"))

    def flow(self, form: dict[str, str]) -> dict[str, Any] | None:
        return self.pages.seal.open(self.binding, form.get("flow"))

    def finish(self, response: Response) -> Response:
        """``response`` with the cookies this visit set."""
        if self.new_binding is not None:
            response.set_cookie(BINDING_COOKIE, self.new_binding, path="/", secure=True, httponly=True,
                                samesite="lax")
        for name, value, max_age in self.set_cookies:
            response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax")
        return response


def refused_post(status: int = 400) -> Response:
    """The answer to a POST that is not from this browser's own page, or whose page expired."""
    return page("message.html", status, title="This page has expired",
                text="The sign-in page was open too long, or it was sent from somewhere other than this "
                     "browser's own page. Go back to the application and start signing in again.")
