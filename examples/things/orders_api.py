"""Orders API: the middle tier. ``GET /orders`` answers a signed-in person (through the Orders web app) with her
orders and the things in them, which it reads from the Things API as her: on her behalf (OAuth 2.0 on-behalf-of).

What each hop checks:

- here, tenantd.protect: a valid v2 access token for this API (signature, issuer, ``aud`` = this API's appId,
  lifetime) that is a person's, not an app's, and holds the delegated scope ``Orders.Read`` in ``scp``
  (401 without a valid token, 403 without the scope);
- the token service, in the on-behalf-of exchange (msal's ``acquire_token_on_behalf_of``): this API's own
  secret, that her token's ``aud`` is this API, and that this API was granted ``Things.Read`` on the Things API
  (consent); the new token keeps her ``oid`` and ``roles``, names this API as the caller (``appid``/``azp``) and
  carries ``scp`` Things.Read;
- the Things API: that token, and the app role Things.Read.All in it, which she holds through her group. Its 403
  (she lacks the role) is relayed as this API's 403; any other failure downstream is a 502.

Configured by the environment only, so the same code runs against Entra ID and against tenantd:

    ORDERS_TENANT_ID          the tenant's id
    ORDERS_API_CLIENT_ID      this API's appId: the audience of the (v2) tokens it accepts, and its client id
                              in the on-behalf-of exchange
    ORDERS_API_CLIENT_SECRET  this API's client secret, for that exchange (never logged)
    ORDERS_AUTHORITY          https://login.microsoftonline.com (the default) or tenantd's URL
    THINGS_URL                the Things API's base URL (default http://127.0.0.1:8000)
    THINGS_SCOPE              what it asks for on her behalf (default api://things/Things.Read)

Against tenantd, trust its CA: SSL_CERT_FILE (the validator) and REQUESTS_CA_BUNDLE (msal), both
<data dir>/ca-bundle.pem. Run it from this directory with ``uvicorn --factory orders_api:create_app --port 8002``.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import msal
from fastapi import Depends, FastAPI, HTTPException, Request
from tenantd.protect import AsyncTokenValidator, Claims
from tenantd.protect.starlette import BearerAuth, bearer_token

ENTRA = "https://login.microsoftonline.com"
ORDERS = [{"id": 101, "thing": 2, "quantity": 1}, {"id": 102, "thing": 3, "quantity": 6}]


def create_app() -> FastAPI:
    tenant_id, client_id = os.environ["ORDERS_TENANT_ID"], os.environ["ORDERS_API_CLIENT_ID"]
    authority = (os.environ.get("ORDERS_AUTHORITY") or ENTRA).rstrip("/")
    things_url = os.environ.get("THINGS_URL", "http://127.0.0.1:8000").rstrip("/")
    things_scope = os.environ.get("THINGS_SCOPE", "api://things/Things.Read")
    bearer = BearerAuth(AsyncTokenValidator(tenant_id=tenant_id, audiences=[client_id], authority=authority))
    # One confidential client for the process. instance_discovery=False: msal would otherwise ask
    # login.microsoftonline.com about a non-Microsoft authority (harmless against Entra ID).
    obo = msal.ConfidentialClientApplication(client_id, client_credential=os.environ["ORDERS_API_CLIENT_SECRET"],
                                             authority=f"{authority}/{tenant_id}", instance_discovery=False)
    app = FastAPI(title="Orders API")

    @app.get("/orders")
    def orders(request: Request, claims: Claims = Depends(bearer.require_scopes("Orders.Read"))) -> dict[str, Any]:
        # Sync on purpose: msal and this httpx client block, so FastAPI runs the route in its thread pool.
        result = obo.acquire_token_on_behalf_of(bearer_token(request), [things_scope])
        if "access_token" not in result:
            codes = ", ".join(f"AADSTS{code}" for code in result.get("error_codes", []))
            raise HTTPException(502, f"No token for the Things API on the user's behalf: {result.get('error')} {codes}")
        try:
            answer = httpx.get(f"{things_url}/things", timeout=30,
                               headers={"Authorization": f"Bearer {result['access_token']}"})
        except httpx.TransportError:
            raise HTTPException(502, "The Things API did not answer.") from None
        if answer.status_code == 403:
            challenge = answer.headers.get("www-authenticate", "")
            raise HTTPException(403, f"The Things API refused the signed-in user: {challenge}")
        if answer.status_code != 200:
            raise HTTPException(502, f"The Things API answered {answer.status_code}.")
        things = {thing["id"]: thing["name"] for thing in answer.json()["things"]}
        return {"orders": [{"id": o["id"], "thing": things.get(o["thing"]), "quantity": o["quantity"]} for o in ORDERS],
                "user": claims.oid, "caller": claims.app_id}

    return app
