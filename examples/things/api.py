"""Things API: ``GET /things`` for callers that hold the app role Things.Read.All: applications as themselves
(app-only tokens: the managed identity, the dev app) and people (delegated tokens, whose ``roles`` hold what
was assigned to them and to their groups) alike.

Configured by the environment only, so the same code runs against Entra ID and against tenantd:

    THINGS_TENANT_ID   the tenant's id
    THINGS_AUDIENCE    what tokens must be for, comma separated: the API's App ID URI (v1 tokens) and/or
                       its appId (v2 tokens), e.g. "api://things,57bfd192-6d0a-466d-beec-bd22114849a0"
    THINGS_AUTHORITY   https://login.microsoftonline.com (the default) or tenantd's URL

Against tenantd, trust its CA the usual way (SSL_CERT_FILE=<data dir>/ca-bundle.pem). Run it from this
directory with ``uvicorn --factory api:create_app``; tests hand ``create_app`` a validator of their own.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import Depends, FastAPI
from tenantd.protect import AsyncTokenValidator, Claims
from tenantd.protect.starlette import BearerAuth

ENTRA = "https://login.microsoftonline.com"
THINGS = [{"id": 1, "name": "kettle"}, {"id": 2, "name": "teapot"}, {"id": 3, "name": "mug"}]


def validator_from_env() -> AsyncTokenValidator:
    return AsyncTokenValidator(
        tenant_id=os.environ["THINGS_TENANT_ID"],
        audiences=[a.strip() for a in os.environ["THINGS_AUDIENCE"].split(",") if a.strip()],
        authority=os.environ.get("THINGS_AUTHORITY") or ENTRA,
    )


def create_app(validator: AsyncTokenValidator | None = None) -> FastAPI:
    bearer = BearerAuth(validator or validator_from_env())
    app = FastAPI(title="Things API")

    # principal="any": the role opens the route to an app acting as itself and to a person signed in through
    # an app ("app" or "user" would admit only one of the two).
    readers = bearer.require_roles("Things.Read.All", principal="any")

    @app.get("/things")
    async def things(claims: Claims = Depends(readers)) -> dict[str, Any]:
        user = None if claims.is_app_only else claims.oid
        return {"things": THINGS, "caller": claims.app_id, "user": user, "roles": list(claims.roles)}

    return app
