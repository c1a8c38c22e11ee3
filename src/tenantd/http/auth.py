"""Bearer authorization for tenantd's own APIs: a token this server issued, with the role the call needs; for
Microsoft Graph also a signed-in user's token, whose call is decided by what she may do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

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
    object_id: str                          # the token's oid: the app's service principal, or the signed-in user
    roles: frozenset[str]
    scopes: frozenset[str] = frozenset()    # a signed-in user's token: its scp
    user_id: str | None = None              # the signed-in user, for a delegated call
    user_name: str | None = None            # her userPrincipalName, as the token names her

    @property
    def actor(self) -> Actor:
        if self.user_id is not None:   # a person, as the audit log shows her (the app she called through aside)
            return Actor(None, self.user_id, self.tenant_id, through_app=self.app_id)
        return Actor(self.app_id, self.object_id or None, self.tenant_id)


class Decision(Protocol):
    """What a Graph call asks of a signed-in user (http/graph/acts.py): it refuses the call (Forbidden) unless
    her token's scopes and what she may do in the directory allow it."""

    async def decide(self, request: Request, caller: Caller, permissions: tuple[str, ...]) -> None: ...


def graph_audiences(public_url: str) -> set[str]:
    names = public_names(public_url)
    return {*builtins.GRAPH_IDENTIFIER_URIS, builtins.GRAPH_APP_ID, *names, *(name + "/" for name in names)}


ADMIN_AUDIENCES = {builtins.TENANTD_RESOURCE, builtins.TENANTD_APP_ID}


async def verified_claims(request: Request, audiences: set[str]) -> dict[str, Any]:
    """The claims of the request's bearer token, verified once per request (``/me`` verifies it before the call
    it stands for does); 401 without a valid one."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Access token is empty.")
    key = (token.strip(), frozenset(audiences))
    cached = getattr(request.state, "bearer", None)
    if cached is not None and cached[0] == key:
        claims: dict[str, Any] = cached[1]
        return claims
    service: TokenService = request.app.state.runtime.tokens
    try:
        claims = await run_in_threadpool(verify_bearer, service, key[0], audiences)
    except BearerRejected as exc:
        raise Unauthorized(str(exc)) from None
    request.state.bearer = (key, claims)
    return claims


async def authorize(request: Request, audiences: set[str], any_of: Iterable[str], *,
                    delegated: bool = False) -> Caller:
    """The verified caller, holding at least one of the roles ``any_of``; 401 / 403 otherwise. With
    ``delegated``, a signed-in user's token is a caller too, whose scopes the call then weighs."""
    claims = await verified_claims(request, audiences)
    app_id = str(claims.get("appid") or claims.get("azp") or "")
    object_id = str(claims.get("oid", ""))
    if delegated and claims.get("idtyp") == "user":
        scp, upn = claims.get("scp"), claims.get("upn")
        caller = Caller(tenant_id=claims["tid"], app_id=app_id, object_id=object_id, roles=frozenset(),
                        scopes=frozenset(scp.split()) if isinstance(scp, str) else frozenset(),
                        user_id=object_id.lower(), user_name=upn if isinstance(upn, str) else None)
        request.state.caller = caller   # whom directory(request) acts for, once the call is decided
        return caller
    roles = claims.get("roles")
    held = frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else frozenset()
    needed = set(any_of)
    if not held & needed:
        raise Forbidden("Insufficient privileges to complete the operation. The call needs one of these "
                        f"application permissions: {', '.join(sorted(needed))}.")
    caller = Caller(tenant_id=claims["tid"], app_id=app_id, object_id=object_id, roles=held)
    request.state.caller = caller   # set once, here: whom directory(request) acts for
    return caller


def directory(request: Request) -> Directory:
    """The directory acting for the request's verified caller, so that its changes are audited as theirs.
    A request reaches it only after :func:`authorize`, and a signed-in user's only after her call was decided
    (:func:`graph_caller`): a handler that forgot either fails loudly."""
    caller = getattr(request.state, "caller", None)
    if not isinstance(caller, Caller):
        raise RuntimeError("The directory was reached before the caller was authorized.")
    if caller.user_id is not None and getattr(request.state, "decided", None) is not caller:
        raise RuntimeError("The directory was reached for a signed-in user before her call was decided.")
    found: Directory = request.app.state.runtime.directory
    return found.as_actor(caller.actor)


async def graph_caller(request: Request, *roles: str, action: Decision | None = None) -> Caller:
    """The caller of a Microsoft Graph call: an app holding one of ``roles``, or a signed-in user whom
    ``action`` allows the call (a call without one is refused to every signed-in user)."""
    caller = await authorize(request, graph_audiences(request.app.state.runtime.public_url), roles, delegated=True)
    if caller.user_id is not None:
        if action is None:
            raise Forbidden("Insufficient privileges to complete the operation. The call is not available with "
                            "delegated permissions.")
        await action.decide(request, caller, roles)
        request.state.decided = caller
    return caller


async def admin_caller(request: Request, *roles: str) -> Caller:
    return await authorize(request, ADMIN_AUDIENCES, roles)
