"""Token preview and decoder.

Preview: what a token for a principal (a user, an app, a managed identity, picked by name) to a resource would
carry now, each claim explained, or the AADSTS error the token endpoint would answer instead (tokens/preview.py,
the code that mints them). Nothing is signed unless a Global Administrator presses "Mint" (a POST): the token is
then shown once, on a page never cached, and the minting is in the sign-in and audit logs.

Decoder: a pasted token (POSTed, never in a URL; never logged or stored) decoded like jwt.ms and verified against
this tenant's keys, with every reason a validator would refuse it (tokens/decoder.py).

Reading either takes a Global Reader or Global Administrator (tenant_roles.py).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...directory import Directory
from ...domain import audit
from ...tokens.decoder import decode
from ...tokens.impersonation import mint_previewed
from ...tokens.preview import Preview, preview
from .guard import Refused, Visitor, portal_page
from .listing import MAX_QUERY
from .tenant_roles import may_change, require_admin, require_reader
from .token_picks import Pick, pick


def _directory(visitor: Visitor) -> Directory:
    found: Directory = visitor.request.app.state.runtime.directory
    return found


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


async def _preview(visitor: Visitor, principal: str, resource: str, client: str | None) -> Preview:
    service = visitor.request.app.state.runtime.tokens
    return await run_in_threadpool(preview, service, visitor.tenant.id, principal, resource, client)


@portal_page
async def token_preview(visitor: Visitor) -> Response:
    require_reader(visitor)
    q, directory, tid = visitor.request.query_params, _directory(visitor), visitor.tenant.id
    typed = {name: q.get(name, "").strip()[:MAX_QUERY] for name in ("principal", "resource", "client")}
    principal = await pick(directory, tid, typed["principal"], users=True)
    resource = await pick(directory, tid, typed["resource"], users=False)
    client = await pick(directory, tid, typed["client"], users=False)
    found = None
    if principal.key and resource.key and (client.empty or client.key):
        found = await _preview(visitor, principal.key, resource.key, client.key)
    return visitor.page("token_preview.html", title="Token preview", section="token-preview", typed=typed,
                        principal=principal, resource=resource, client=client, preview=found, shown=_shown,
                        may_mint=may_change(visitor), picks=_pick_urls(visitor, typed, principal, resource, client))


def _pick_urls(visitor: Visitor, typed: dict[str, str], *picks: Pick) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """For each field with several candidates, the query each candidate's link sends (that field set to it)."""
    urls: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for name, found in zip(("principal", "resource", "client"), picks, strict=True):
        urls[name] = [(label, {**typed, name: key}) for key, label in found.candidates]
    return urls


@portal_page
async def mint(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = require_admin(visitor)
    principal, resource = form.get("principal", "")[:MAX_QUERY], form.get("resource", "")[:MAX_QUERY]
    client = form.get("client", "")[:MAX_QUERY] or None
    if not principal or not resource:
        raise Refused(400, "Bad request", "Choose a principal and a resource to mint a token for.")
    found = await _preview(visitor, principal, resource, client)
    if found.refusal is not None:
        return visitor.page("token_preview.html", 400, title="Token preview", section="token-preview",
                            typed={"principal": principal, "resource": resource, "client": client or ""},
                            principal=Pick(principal, principal, principal),
                            resource=Pick(resource, resource, resource),
                            client=Pick(client or "", client, client or ""),
                            preview=found, shown=_shown, may_mint=True, picks={})
    service = visitor.request.app.state.runtime.tokens
    issued = await run_in_threadpool(partial(mint_previewed, service, visitor.tenant.id, found, caller_is_admin=True))
    entry = audit.impersonation(issued.principal_id or principal, issued.principal_name, resource,
                                user=found.shape == "user")
    await run_in_threadpool(directory.record, visitor.tenant.id, entry)
    return visitor.page("token_minted.html", title="Token minted", section="token-preview", issued=issued,
                        principal=found.principal_name, resource=resource)


@portal_page
async def decoder(visitor: Visitor) -> Response:
    require_reader(visitor)
    return visitor.page("token_decoder.html", title="Token decoder", section="token-decoder", decoded=None,
                        audience="", pretty=_pretty)


@portal_page
async def decode_token(visitor: Visitor) -> Response:
    form = await visitor.form(changes=False)
    require_reader(visitor)
    token, audience = form.get("token", ""), form.get("audience", "").strip()[:MAX_QUERY]
    if not token.strip():
        return visitor.page("token_decoder.html", 400, title="Token decoder", section="token-decoder",
                            decoded=None, audience=audience, pretty=_pretty, error="Paste a token to decode.")
    tokens, tid = visitor.request.app.state.runtime.tokens, visitor.tenant.id
    issuers = tokens.issuers(tid)
    found = await run_in_threadpool(decode, token, tokens.keyring, tid, (issuers.v1, issuers.v2), tokens.clock(),
                                    audience or None)
    return visitor.page("token_decoder.html", title="Token decoder", section="token-decoder", decoded=found,
                        audience=audience, pretty=_pretty)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(prefix + "/token-preview", token_preview, methods=["GET"]),
        Route(prefix + "/token-preview/mint", mint, methods=["POST"]),
        Route(prefix + "/token-decoder", decoder, methods=["GET"]),
        Route(prefix + "/token-decoder", decode_token, methods=["POST"]),
    ]
