"""Driving tenantd's pages as a browser would, without one: httpx keeps the cookies, the standard library's
HTMLParser reads the forms, and ``submit`` presses a button of the form that holds it."""

from __future__ import annotations

import base64
import hashlib
import html
import ssl
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt

from tenantd.domain import builtins
from tenantd.domain.sign_in_state import AuthorizationCode, DeviceCode, Domain, secret_hash
from tenantd.runtime import Runtime

from ..support import Server
from .graph_support import ok

PASSWORD = "Correct-Horse-7"
PAGE_CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'{}; "
            "frame-ancestors 'none'; base-uri 'none'")
VERIFIER = "v" * 43 + "-verifier"


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


CHALLENGE = challenge_of(VERIFIER)


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[dict[str, str]] = field(default_factory=list)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._open)
        elif self._open is None:
            return
        elif tag == "input" and a.get("type") == "submit":
            self._open.buttons.append(a)
        elif tag == "input" and a.get("type") in ("checkbox", "radio") and "checked" not in a:
            return   # sent only when checked, as a browser sends it
        elif tag == "input" and a.get("name"):
            self._open.fields[a["name"]] = a.get("value", "")
        elif tag == "button":
            self._open.buttons.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Browser:
    """One browser: its cookie jar, its address (a 127.x.y.z of its own, when given)."""

    def __init__(self, server: Server, source: str | None = None) -> None:
        context = ssl.create_default_context(cafile=server.ca_cert)
        transport = httpx.HTTPTransport(verify=context, local_address=source) if source else None
        self.http = httpx.Client(base_url=server.url.replace("localhost", "127.0.0.1") if source else server.url,
                                 verify=context, transport=transport, timeout=30, follow_redirects=False)
        self.server = server

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.http.get(path + (f"?{urlencode(params)}" if params else ""))

    def submit(self, page: httpx.Response, button: str = "idSIButton9", value: str | None = None,
               **fill: str) -> httpx.Response:
        """Press the button of id ``button`` (or the one of that name whose value is ``value``)."""
        for form in forms(page.text):
            for b in form.buttons:
                if b.get("id") == button or (value is not None and b.get("name") == button
                                             and b.get("value") == value):
                    data = {**form.fields, **fill}
                    if b.get("name"):
                        data[b["name"]] = b.get("value", "")
                    return self.http.post(form.action, data=data)
        raise AssertionError(f"no button {button!r} on the page:\n{page.text}")

    def close(self) -> None:
        self.http.close()


def authorize_query(client_id: str, redirect_uri: str, **extra: str) -> dict[str, str]:
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri,
             "scope": "openid profile offline_access", "state": "st-" + uuid.uuid4().hex,
             "nonce": "n-" + uuid.uuid4().hex, "code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    query.update(extra)
    return {k: v for k, v in query.items() if v is not None}


def text(response: httpx.Response) -> str:
    """A page's HTML with its character references resolved (autoescaping writes ' as &#39;)."""
    return html.unescape(response.text)


def answer(response: httpx.Response) -> dict[str, str]:
    """The parameters of a redirect back to the client (query or fragment)."""
    assert response.status_code == 302, (response.status_code, response.text)
    location = urlsplit(response.headers["location"])
    return {k: v[0] for k, v in parse_qs(location.fragment or location.query).items()}


def sign_in(browser: Browser, page: httpx.Response, name: str, password: str = PASSWORD,
            stay: bool = True) -> httpx.Response:
    """From the name page to the answer: name, password, "Stay signed in?"."""
    password_page = browser.submit(page, loginfmt=name)
    assert password_page.status_code == 200, password_page.text
    kmsi = browser.submit(password_page, passwd=password)
    assert "Stay signed in?" in kmsi.text, kmsi.text
    return browser.submit(kmsi, "idSIButton9" if stay else "idBtn_Back")


def stored_code(runtime: Runtime, code: str) -> AuthorizationCode:
    with runtime.store.read() as tx:
        found = tx.authorization_code(secret_hash(code))
    assert found is not None
    return found


def new_user(server: Server, upn: str, display_name: str = "Person", **extra: Any) -> dict[str, Any]:
    return ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": display_name, "mailNickname": upn.split("@")[0],
        "userPrincipalName": upn, "passwordProfile": {"password": PASSWORD, "forceChangePasswordNextSignIn": False},
        **extra}), 201)


def add_domain(runtime: Runtime, tenant_id: str, name: str) -> None:
    with runtime.store.write() as tx:
        if tx.domain(name) is None:
            tx.insert_domain(Domain(tenant_id, name, False, False, "2026-01-01T00:00:00Z"))


def new_device_code(runtime: Runtime, user_code: str, tenant_id: str | None,
                    client_id: str = builtins.AZURE_CLI_APP_ID, lifetime: int = 900) -> str:
    """A pending device code as the devicecode endpoint stores it; its device_code."""
    device_code = uuid.uuid4().hex + uuid.uuid4().hex
    now = int(time.time())
    with runtime.store.write() as tx:
        tx.insert_device_code(DeviceCode(secret_hash(device_code), user_code, tenant_id, client_id,
                                         "openid profile offline_access", None, 2, now, now + lifetime, 5))
    return device_code


def device_code_of(runtime: Runtime, device_code: str) -> DeviceCode:
    with runtime.store.read() as tx:
        found = tx.device_code(secret_hash(device_code))
    assert found is not None
    return found


def left_half_sha256(value: str) -> str:
    """OpenID Connect's c_hash (and at_hash) for RS256, computed here apart from tenantd's own code."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def verified_id_token(browser: Browser, tenant_id: str, token: str, client_id: str, version: int = 2) -> dict[str, Any]:
    """The claims of an ID token whose signature checks against the tenant's published keys (the JWKS of the
    endpoint version), with its audience the client and its issuer the tenant's."""
    keys = browser.get(f"/{tenant_id}/discovery/{'v2.0/' if version == 2 else ''}keys").json()
    key = jwt.PyJWKSet.from_dict(keys)[jwt.get_unverified_header(token)["kid"]]
    issuer = f"{browser.server.url}/{tenant_id}/v2.0" if version == 2 else f"{browser.server.url}/{tenant_id}/"
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"], audience=client_id, issuer=issuer)
    return claims
