"""FastAPI / Starlette adapter: bearer token in, ``Claims`` out, or an HTTPException carrying the RFC 6750
challenge (401 ``invalid_token``, 403 ``insufficient_scope``, 503 while no signing key could be loaded).

    bearer = BearerAuth(AsyncTokenValidator(tenant_id=..., audiences=[...]))

    @app.get("/things")                                   # FastAPI
    async def things(claims: Claims = Depends(bearer.require_roles("Things.Read.All"))): ...

    @app.get("/orders")                                   # users with the scope, or apps with the role
    async def orders(claims: Claims = Depends(bearer.require_scope_or_role(scopes="Orders.Read",
                                                                           roles="Orders.Read.All"))): ...

    async def things(request):                            # plain Starlette
        claims = await bearer.require_roles("Things.Read.All")(request)

Both frameworks render HTTPException with its headers (FastAPI as ``{"detail": ...}``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request

from .claims import Claims
from .errors import InvalidToken, MissingToken, ProtectError
from .roles import Mode, Principal, RoleRequirement
from .scopes import ScopeOrRoleRequirement, ScopeRequirement
from .validator import AsyncTokenValidator, TokenValidator

logger = logging.getLogger("tenantd.protect")


class Requirement(Protocol):
    """What a route demands of valid claims (roles, scopes, or either): ``check`` returns them or raises."""

    def check(self, claims: Claims) -> Claims: ...


def bearer_token(connection: HTTPConnection) -> str:
    """The token of the one ``Authorization: Bearer`` header (the scheme is case-insensitive)."""
    values = connection.headers.getlist("authorization")
    if not values:
        raise MissingToken()
    scheme, _, token = values[0].partition(" ")
    if scheme.lower() != "bearer":
        raise MissingToken()
    if len(values) > 1 or not token or " " in token.strip():
        raise InvalidToken("malformed Authorization header")
    return token.strip()


class BearerAuth:
    """Authenticates requests with a validator (prefer ``AsyncTokenValidator``: a sync one runs in the
    thread pool so its rare key fetches never block the event loop)."""

    def __init__(self, validator: TokenValidator | AsyncTokenValidator, realm: str = "") -> None:
        if '"' in realm or "\\" in realm:
            raise ValueError("realm must not contain quotes or backslashes")
        self.validator = validator
        self.realm = realm

    async def claims(self, connection: HTTPConnection) -> Claims:
        """Claims of the request's valid bearer token; ProtectError otherwise."""
        token = bearer_token(connection)
        if isinstance(self.validator, AsyncTokenValidator):
            return await self.validator.validate(token)
        return await run_in_threadpool(self.validator.validate, token)

    def _refuse(self, error: ProtectError) -> HTTPException:
        logger.debug("request refused: %s %s", error.status, error.reason)
        return HTTPException(error.status, error.description, headers=error.headers(self.realm))

    async def authenticate(self, request: Request) -> Claims:
        """A FastAPI dependency (and Starlette helper) for any valid token, whatever its roles."""
        try:
            return await self.claims(request)
        except ProtectError as error:
            raise self._refuse(error) from None

    def require(self, requirement: Requirement) -> Callable[[Request], Awaitable[Claims]]:
        """A dependency that returns the claims of a valid token meeting ``requirement``; 401 or 403 otherwise."""

        async def dependency(request: Request) -> Claims:
            try:
                return requirement.check(await self.claims(request))
            except ProtectError as error:
                raise self._refuse(error) from None

        return dependency

    def require_roles(self, *roles: str, mode: Mode = "any",
                      principal: Principal = "any") -> Callable[[Request], Awaitable[Claims]]:
        """Claims of a valid token holding ``roles`` (``any`` or ``all``; ``principal`` "app" or "user" also
        demands an app-only or a delegated token)."""
        return self.require(RoleRequirement(roles, mode, principal))

    def require_scopes(self, *scopes: str, mode: Mode = "any") -> Callable[[Request], Awaitable[Claims]]:
        """Claims of a user's token holding ``scopes`` (``any`` or ``all``)."""
        return self.require(ScopeRequirement(scopes, mode))

    def require_scope_or_role(self, *, scopes: tuple[str, ...] | str = (),
                              roles: tuple[str, ...] | str = ()) -> Callable[[Request], Awaitable[Claims]]:
        """Claims of a user's token holding one of ``scopes``, or of any token holding one of ``roles``."""
        return self.require(ScopeOrRoleRequirement.named(scopes, roles))
