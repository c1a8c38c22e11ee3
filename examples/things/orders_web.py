"""Orders web: a confidential web app where a person signs in (authorization code flow with PKCE, through msal's
``initiate_auth_code_flow`` and ``acquire_token_by_auth_code_flow``) and sees her orders, which it reads from the
Orders API with her token for the delegated scope ``Orders.Read``.

What each hop checks:

- the token service, when she signs in: this app's registered redirect URI, her password, then, when the code
  is redeemed, this app's secret, the PKCE verifier and that the app holds ``Orders.Read`` (consent);
- here, msal: the ``state`` of the sign-in this browser started, and the ID token's ``nonce``;
- the Orders API and, through it, the Things API: see orders_api.py. Their refusals are shown with their status.

The code comes back as a form POST (``response_mode=form_post``): never in a URL, a Referer or an access log.
The sign-in in progress is found by a ten-minute cookie sent on that cross-site POST (SameSite=None, hence Secure:
browsers keep Secure cookies for http://localhost too), her session by another (HttpOnly, SameSite=Lax, Secure
when the redirect URI is https). Both hold a random key into this process's memory; her tokens stay in msal's
cache here and never reach the browser. Configured by the environment only:

    ORDERS_TENANT_ID          the tenant's id
    ORDERS_WEB_CLIENT_ID      this app's appId
    ORDERS_WEB_CLIENT_SECRET  this app's client secret (never logged)
    ORDERS_AUTHORITY          https://login.microsoftonline.com (the default) or tenantd's URL
    ORDERS_WEB_REDIRECT_URI   as registered (default http://localhost:8001/auth/callback); open the app at the
                              same host (http://localhost:8001/), where its cookies live
    ORDERS_URL                the Orders API's base URL (default http://127.0.0.1:8002)
    ORDERS_SCOPE              the Orders API's scope (default api://orders/Orders.Read)

Against tenantd, trust its CA with REQUESTS_CA_BUNDLE=<data dir>/ca-bundle.pem (msal). Run it from this
directory with ``uvicorn --factory orders_web:create_app --port 8001``.
"""

from __future__ import annotations

import os
import secrets
from html import escape
from typing import Any
from urllib.parse import urlencode

import httpx
import msal
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

ENTRA = "https://login.microsoftonline.com"
SESSION, SIGN_IN = "orders_session", "orders_sign_in"   # cookie names


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>Orders</title><h1>Orders</h1>{body}", status)


def create_app() -> FastAPI:
    tenant_id, client_id = os.environ["ORDERS_TENANT_ID"], os.environ["ORDERS_WEB_CLIENT_ID"]
    authority = f"{(os.environ.get('ORDERS_AUTHORITY') or ENTRA).rstrip('/')}/{tenant_id}"
    redirect_uri = os.environ.get("ORDERS_WEB_REDIRECT_URI", "http://localhost:8001/auth/callback")
    orders_url = os.environ.get("ORDERS_URL", "http://127.0.0.1:8002").rstrip("/")
    scopes = [os.environ.get("ORDERS_SCOPE", "api://orders/Orders.Read")]
    # instance_discovery=False: msal would otherwise ask login.microsoftonline.com about another authority.
    msal_app = msal.ConfidentialClientApplication(client_id, os.environ["ORDERS_WEB_CLIENT_SECRET"],
                                                  authority=authority, instance_discovery=False)
    signing_in: dict[str, dict[str, Any]] = {}   # sign-in cookie -> msal's auth code flow (state, PKCE verifier)
    accounts: dict[str, str] = {}                # session cookie -> msal's home_account_id of who signed in
    app = FastAPI(title="Orders web", docs_url=None, redoc_url=None, openapi_url=None)

    def account_of(request: Request) -> dict[str, Any] | None:
        """msal's cached account of the person signed in with this browser, or None."""
        home = accounts.get(request.cookies.get(SESSION, ""))
        return next((a for a in msal_app.get_accounts() if a["home_account_id"] == home), None)

    @app.get("/")
    def home(request: Request) -> Response:
        account = account_of(request)
        result = msal_app.acquire_token_silent(scopes, account=account) if account else None   # refreshes if due
        if account is None or not result or "access_token" not in result:
            return _page('<p><a id="sign-in" href="/auth/signin">Sign in</a> to see your orders.')
        who = f'<p>Signed in as {escape(account["username"])} <a id="sign-out" href="/auth/signout">Sign out</a>'
        answer = httpx.get(f"{orders_url}/orders", headers={"Authorization": f"Bearer {result['access_token']}"},
                           timeout=30)
        if answer.status_code != 200:
            detail = answer.json().get("detail", "") if "json" in answer.headers.get("content-type", "") else ""
            return _page(f'{who}<p id="error">The Orders API answered {answer.status_code}: {escape(str(detail))}',
                         answer.status_code)
        rows = "".join(f"<tr><td>{o['id']}<td>{escape(str(o['thing']))}<td>{o['quantity']}</tr>"
                       for o in answer.json()["orders"])
        return _page(f'{who}<table id="orders"><tr><th>Order<th>Thing<th>Quantity</tr>{rows}</table>')

    @app.get("/auth/signin")
    def sign_in() -> Response:
        flow = msal_app.initiate_auth_code_flow(scopes, redirect_uri=redirect_uri, response_mode="form_post")
        key = secrets.token_urlsafe(32)
        signing_in[key] = flow
        response = RedirectResponse(flow["auth_uri"], 302)
        response.set_cookie(SIGN_IN, key, max_age=600, path="/auth/callback", httponly=True, secure=True,
                            samesite="none")
        return response

    @app.post("/auth/callback")
    async def callback(request: Request) -> Response:
        flow = signing_in.pop(request.cookies.get(SIGN_IN, ""), None)
        if flow is None:
            return _page('<p>No sign-in was started in this browser. <a href="/auth/signin">Sign in</a>', 400)
        auth_response = dict(await request.form())
        try:
            result = await run_in_threadpool(msal_app.acquire_token_by_auth_code_flow, flow, auth_response)
        except ValueError:   # a state that is not this sign-in's
            return _page('<p>That sign-in was not started in this browser. <a href="/auth/signin">Sign in</a>', 400)
        if "error" in result:
            return _page(f"<p>Sign-in failed: {escape(result['error'])} {escape(result.get('error_description', ''))}",
                         400)
        claims = result["id_token_claims"]
        session = secrets.token_urlsafe(32)
        accounts[session] = f"{claims['oid']}.{claims['tid']}"   # msal's home_account_id: uid.utid
        response = RedirectResponse("/", 303)
        response.set_cookie(SESSION, session, httponly=True, samesite="lax", secure=redirect_uri.startswith("https:"))
        response.delete_cookie(SIGN_IN, path="/auth/callback")
        return response

    @app.get("/auth/signout")
    def sign_out(request: Request) -> Response:
        account = account_of(request)
        if account:
            msal_app.remove_account(account)
        accounts.pop(request.cookies.get(SESSION, ""), None)
        response = RedirectResponse(f"{authority}/oauth2/v2.0/logout?{urlencode({'client_id': client_id})}", 302)
        response.delete_cookie(SESSION)
        return response

    return app
