"""Bearer authorization for tenantd's own APIs: a token this server issued, with the role the call needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..directory import Directory
from ..domain import builtins
from ..domain.audit import Actor
from ..domain.errors import Forbidden, Unauthorized
from ..tokens.resources import public_names
from ..tokens.service import BearerRejected, TokenService, verify_bearer


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    app_id: str
    object_id: str
    roles: frozenset[str]

    @property
    def actor(self) -> Actor:
        return Actor(self.app_id, self.object_id or None, self.tenant_id)


def graph_audiences(public_url: str) -> set[str]:
    names = public_names(public_url)
    return {*builtins.GRAPH_IDENTIFIER_URIS, builtins.GRAPH_APP_ID, *names, *(name + "/" for name in names)}


ADMIN_AUDIENCES = {builtins.TENANTD_RESOURCE, builtins.TENANTD_APP_ID}


async def authorize(request: Request, audiences: set[str], any_of: Iterable[str]) -> Caller:
    """The verified caller, holding at least one of the roles ``any_of``; 401 / 403 otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Access token is empty.")
    service: TokenService = request.app.state.runtime.tokens
    try:
        claims = await run_in_threadpool(verify_bearer, service, token.strip(), audiences)
    except BearerRejected as exc:
        raise Unauthorized(str(exc)) from None
    roles = claims.get("roles")
    held = frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else frozenset()
    needed = set(any_of)
    if not held & needed:
        raise Forbidden("Insufficient privileges to complete the operation. The call needs one of these "
                        f"application permissions: {', '.join(sorted(needed))}.")
    app_id = claims.get("appid") or claims.get("azp") or ""
    caller = Caller(tenant_id=claims["tid"], app_id=str(app_id), object_id=str(claims.get("oid", "")), roles=held)
    request.state.caller = caller   # set once, here: whom directory(request) acts for
    return caller


def directory(request: Request) -> Directory:
    """The directory acting for the request's verified caller, so that its changes are audited as theirs.
    A request reaches it only after :func:`authorize`: a handler that forgot to authorize fails loudly."""
    caller = getattr(request.state, "caller", None)
    if not isinstance(caller, Caller):
        raise RuntimeError("The directory was reached before the caller was authorized.")
    found: Directory = request.app.state.runtime.directory
    return found.as_actor(caller.actor)


async def graph_caller(request: Request, *roles: str) -> Caller:
    return await authorize(request, graph_audiences(request.app.state.runtime.public_url), roles)


async def admin_caller(request: Request, *roles: str) -> Caller:
    return await authorize(request, ADMIN_AUDIENCES, roles)
