"""Authorization by delegated scope, and by scope OR app permission per route, as Microsoft.Identity.Web's
``RequiredScope`` and ``RequiredScopeOrAppPermission`` decide it. A failure here is 403, never 401.

- A scope counts only in a delegated token's ``scp`` (compared exactly, case included: Entra sends the values
  as the API declares them).
- An app permission is a value of ``roles``, whoever holds it: an application (app-only token) or a user
  assigned the role.
"""

from __future__ import annotations

from dataclasses import dataclass

from .claims import Claims
from .errors import Forbidden
from .roles import Mode

NO_SCOPE = "The access token does not grant the required scope."
NO_SCOPE_OR_ROLE = "The access token grants neither a required scope nor a required app permission."


def _names(values: tuple[str, ...] | str, what: str) -> tuple[str, ...]:
    names = (values,) if isinstance(values, str) else tuple(values)   # one name as a string, not its letters
    if not all(isinstance(n, str) and n and " " not in n for n in names):
        raise ValueError(f"{what} are non-empty strings without spaces")
    return names


@dataclass(frozen=True)
class ScopeRequirement:
    """Delegated scopes a token must hold (``any`` one of them or ``all``); an app-only token never does."""

    scopes: tuple[str, ...]
    mode: Mode = "any"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scopes", _names(self.scopes, "scopes"))
        if not self.scopes:
            raise ValueError("name at least one scope")
        if self.mode not in ("any", "all"):
            raise ValueError("mode is 'any' or 'all'")

    def check(self, claims: Claims) -> Claims:
        if claims.is_app_only:
            raise Forbidden("The endpoint accepts only delegated (user) tokens.")
        held = set(claims.scopes)
        granted = any if self.mode == "any" else all
        if not granted(scope in held for scope in self.scopes):
            raise Forbidden(NO_SCOPE)
        return claims


@dataclass(frozen=True)
class ScopeOrRoleRequirement:
    """One route for users and applications: a delegated token holding any of ``scopes``, or any token
    holding any of ``roles`` (app permissions)."""

    scopes: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "scopes", _names(self.scopes, "scopes"))
        object.__setattr__(self, "roles", _names(self.roles, "roles"))
        if not self.scopes and not self.roles:
            raise ValueError("name at least one scope or app permission")

    @classmethod
    def named(cls, scopes: tuple[str, ...] | str = (), roles: tuple[str, ...] | str = ()) -> ScopeOrRoleRequirement:
        """The requirement for names given one as a string or several as a tuple."""
        return cls(_names(scopes, "scopes"), _names(roles, "roles"))

    def check(self, claims: Claims) -> Claims:
        scoped = not claims.is_app_only and not set(claims.scopes).isdisjoint(self.scopes)
        if scoped or not set(claims.roles).isdisjoint(self.roles):
            return claims
        raise Forbidden(NO_SCOPE_OR_ROLE)


def require_scopes(claims: Claims, *scopes: str, mode: Mode = "any") -> Claims:
    """``claims`` if they are a user's and hold the scopes, else Forbidden."""
    return ScopeRequirement(scopes, mode).check(claims)


def require_scope_or_role(claims: Claims, *, scopes: tuple[str, ...] | str = (),
                          roles: tuple[str, ...] | str = ()) -> Claims:
    """``claims`` if a user's token holds one of ``scopes`` or the token holds one of ``roles``, else Forbidden."""
    return ScopeOrRoleRequirement.named(scopes, roles).check(claims)
