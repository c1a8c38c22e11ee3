"""The admin API's token preview and decoder (``tokens/preview.py``, ``tokens/decoder.py``), as JSON for
tools and the portal's pages: what a token for a principal to a resource would carry now, and why a pasted
token would be refused. Either needs ``Tenantd.Admin`` or ``Tenantd.Impersonate``; minting the previewed
token (``"mint": true``) is impersonation and needs ``Tenantd.Impersonate``, with its limits and its audit."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain import audit as audit_log
from ..domain.errors import BadRequest, Forbidden
from ..runtime import Runtime
from ..tokens.decoder import MAX_TOKEN
from ..tokens.decoder import decode as decode_token
from ..tokens.impersonation import mint_previewed
from ..tokens.preview import preview
from .admin import ADMIN, IMPERSONATE, json_body
from .auth import admin_caller, directory

audit = logging.getLogger("tenantd.audit")
MAX_NAME = 1024


def _text(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_NAME:
        raise BadRequest(f"'{key}' must be a non-empty string of at most {MAX_NAME} characters.")
    return value


def _scopes(body: dict[str, Any]) -> tuple[str, ...] | None:
    value = body.get("scopes")
    if value is None:
        return None
    if not isinstance(value, list) or not value or len(value) > 50 or not all(
            isinstance(s, str) and s and len(s) <= 256 and " " not in s for s in value):
        raise BadRequest("'scopes' must be a list of scope values (at most 50), such as [\"Things.Read\"].")
    return tuple(value)


async def token_preview(request: Request) -> Response:
    """``{"principal", "resource", "client"?, "scopes"?, "host"?, "mint"?}`` -> the preview (shape, version, claims
    with explanations, or the refusal); with ``mint`` also ``access_token``."""
    caller = await admin_caller(request, ADMIN, IMPERSONATE)
    body = await json_body(request)
    principal, resource = _text(body, "principal"), _text(body, "resource")
    client, scopes, mint = _text(body, "client", required=False), _scopes(body), body.get("mint", False)
    host = _text(body, "host", required=False)
    if not isinstance(mint, bool):
        raise BadRequest("'mint' must be true or false.")
    if mint and IMPERSONATE not in caller.roles:
        raise Forbidden("Minting the previewed token is impersonation: it needs the application permission "
                        f"{IMPERSONATE}.")
    assert principal is not None and resource is not None
    rt: Runtime = request.app.state.runtime
    found = await run_in_threadpool(preview, rt.tokens, caller.tenant_id, principal, resource, client, scopes, host)
    answer = found.to_json()
    if mint and found.refusal is None:
        issued = await run_in_threadpool(partial(mint_previewed, rt.tokens, caller.tenant_id, found,
                                                 caller_is_admin=ADMIN in caller.roles))
        entry = audit_log.impersonation(issued.principal_id or principal, issued.principal_name, resource[:600],
                                        user=found.shape == "user")
        await run_in_threadpool(directory(request).record, caller.tenant_id, entry)
        audit.info("impersonation: app %s in tenant %s minted a previewed token as %s for %s", caller.app_id,
                   caller.tenant_id, issued.principal_id, resource[:600])
        answer.update(access_token=issued.access_token, expires_in=issued.expires_in,
                      expires_on=issued.expires_on, token_type="Bearer")
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


async def token_decode(request: Request) -> Response:
    """``{"token", "audience"?}`` -> header, payload, whether it verifies against this tenant's keys, and
    every reason a validator would refuse it. The token is never logged."""
    caller = await admin_caller(request, ADMIN, IMPERSONATE)
    body = await json_body(request)
    token = body.get("token")
    if not isinstance(token, str) or not token.strip():
        raise BadRequest("'token' is required: the token to decode, as a string.")
    if len(token) > MAX_TOKEN:
        raise BadRequest(f"'token' is longer than {MAX_TOKEN} characters: no token of this tenant is.")
    audience = _text(body, "audience", required=False)
    rt: Runtime = request.app.state.runtime
    issuers = rt.tokens.issuers(caller.tenant_id)
    found = await run_in_threadpool(decode_token, token, rt.tokens.keyring, caller.tenant_id,
                                    (issuers.v1, issuers.v2), rt.tokens.clock(), audience)
    return JSONResponse(found.to_json(), headers={"Cache-Control": "no-store"})


routes: list[BaseRoute] = [
    Route("/token/preview", token_preview, methods=["POST"]),
    Route("/token/decode", token_decode, methods=["POST"]),
]
