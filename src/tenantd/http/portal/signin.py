"""Signing in to the portal and out of it.

The portal signs people in as any public client would: the authorization code flow with PKCE (S256) and a
nonce through tenantd's own sign-in page (``/{tenant}/oauth2/v2.0/authorize``), to its one redirect URI
``{public URL}/portal/signed-in``. The code is redeemed on the server, in this process, through the token
service's own token endpoint use case (so the sign-in log records it like any other); only the ID token's
tenant, object id and name are kept, in the portal's own session (session.py). Sign-out ends the portal
session and then the browser's tenantd sign-in session (the logout endpoint).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain import builtins
from ...domain.errors import OAuthError
from ...tokens.request import TokenRequest
from ...tokens.service import TokenService
from .guard import ROOT, Refused, Visitor, portal_page
from .render import page, redirect
from .session import FLOW_COOKIE, SESSION_COOKIE, SESSION_LIFETIME, SIGN_IN_LIFETIME, seals_of

SCOPE = "openid profile"
ANY_TENANT = "organizations"   # /portal without a tenant: the person's name finds hers


def _service(request: Request) -> TokenService:
    found: TokenService = request.app.state.runtime.tokens
    return found


def _local_path(value: str | None) -> str | None:
    """``value`` when it is a path of the portal itself (no open redirect)."""
    if not value or not value.startswith(ROOT + "/") or "//" in value or "\\" in value or len(value) > 512:
        return None
    return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _cookie(response: Response, name: str, value: str, max_age: int | None, samesite: str) -> Response:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True,
                        samesite=samesite)  # type: ignore[arg-type]
    return response


async def start(request: Request) -> Response:
    """``GET /portal/sign-in?tenant=&next=``: to tenantd's sign-in page, with this sign-in's state sealed in the
    flow cookie."""
    tenant = request.query_params.get("tenant") or ANY_TENANT
    if len(tenant) > 256:
        return page("message.html", 400, title="Bad request", text="The tenant is too long.", back=ROOT)
    state, verifier, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(48), secrets.token_urlsafe(24)
    after = _local_path(request.query_params.get("next"))
    sealed = await run_in_threadpool(lambda: seals_of(request).sign_in_value(
        {"state": state, "verifier": verifier, "nonce": nonce, "tenant": tenant, "next": after}))
    query = urlencode({
        "client_id": builtins.PORTAL_APP_ID, "response_type": "code", "response_mode": "query", "scope": SCOPE,
        "redirect_uri": _service(request).public_url + builtins.PORTAL_REDIRECT_PATH, "state": state,
        "nonce": nonce, "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256"})
    target = f"{_service(request).public_url}/{quote(tenant, safe='')}/oauth2/v2.0/authorize?{query}"
    return _cookie(redirect(target), FLOW_COOKIE, sealed, SIGN_IN_LIFETIME, "lax")


async def landing(request: Request) -> Response:
    """``GET /portal``: to the signed-in person's tenant, or to sign in (her name finds her tenant)."""
    session = await run_in_threadpool(lambda: seals_of(request).session(request.cookies.get(SESSION_COOKIE)))
    if session is not None:
        return redirect(f"{ROOT}/{session.tenant_id}")
    return redirect(f"{ROOT}/sign-in")


async def signed_in(request: Request) -> Response:
    """``GET /portal/signed-in``: the sign-in page's answer. The code is redeemed when the state matches this
    browser's flow cookie; the session cookie is set on a page that then moves on to the portal (see
    session.py for why not a redirect)."""
    try:
        return await run_in_threadpool(_signed_in, request)
    except Refused as exc:
        response = page("message.html", exc.status, title=exc.title, text=exc.text, back=ROOT)
        return _cookie(response, FLOW_COOKIE, "", 0, "lax")


def _signed_in(request: Request) -> Response:
    params = request.query_params
    seals = seals_of(request)
    flow = seals.sign_in(request.cookies.get(FLOW_COOKIE))
    if flow is None or not secrets.compare_digest(str(flow.get("state")), params.get("state", "")):
        raise Refused(400, "This sign-in has expired", "Sign in again from the portal's address.")
    if "error" in params:
        raise Refused(400, "You were not signed in", params.get("error_description") or params["error"])
    claims = _redeem(request, flow, params.get("code", ""))
    session = seals.session_value(claims["tid"], claims["oid"], str(claims.get("preferred_username", "")))
    after = _local_path(flow.get("next")) or f"{ROOT}/{claims['tid']}"
    response = page("signed_in.html", title="Signed in", next=after)
    _cookie(response, FLOW_COOKIE, "", 0, "lax")
    return _cookie(response, SESSION_COOKIE, session, SESSION_LIFETIME, "strict")


def _redeem(request: Request, flow: dict[str, Any], code: str) -> dict[str, Any]:
    service = _service(request)
    call = TokenRequest(tenant=str(flow["tenant"]), endpoint_version=2, client_ip=request.client.host
                        if request.client else None, form={
                            "grant_type": "authorization_code", "client_id": builtins.PORTAL_APP_ID,
                            "code": code, "redirect_uri": service.public_url + builtins.PORTAL_REDIRECT_PATH,
                            "code_verifier": str(flow["verifier"]), "scope": SCOPE})
    try:
        answer = service.token(call)
    except OAuthError as exc:
        raise Refused(400, "You were not signed in", exc.description) from None
    payload = answer["id_token"].split(".")[1]   # issued just now, in this process: nothing to verify but the nonce
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    if claims.get("nonce") != flow["nonce"]:
        raise Refused(400, "You were not signed in", "The sign-in answer does not belong to this sign-in.")
    return claims


@portal_page
async def sign_out(visitor: Visitor) -> Response:
    """``POST /portal/{tenant}/sign-out``: the portal session ends, then the browser's tenantd sign-in session."""
    await visitor.form(changes=False)
    response = redirect(f"/{visitor.tenant.id}/oauth2/v2.0/logout")
    return _cookie(response, SESSION_COOKIE, "", 0, "strict")
