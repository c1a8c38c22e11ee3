"""Authorization by app role: what a valid token must also carry. A failure here is 403, never 401."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .claims import Claims
from .errors import Forbidden

Mode = Literal["any", "all"]
Principal = Literal["any", "app", "user"]


@dataclass(frozen=True)
class RoleRequirement:
    """App roles a token must hold (``any`` one of them or ``all``), compared exactly (case included),
    and who may hold them: ``app`` only app-only tokens, ``user`` only delegated ones, ``any`` both."""

    roles: tuple[str, ...]
    mode: Mode = "any"
    principal: Principal = "any"

    def __post_init__(self) -> None:
        if isinstance(self.roles, str):   # one role passed as a string would otherwise be read letter by letter
            object.__setattr__(self, "roles", (self.roles,))
        if not self.roles or not all(isinstance(r, str) and r for r in self.roles):
            raise ValueError("name at least one role, as non-empty strings")
        if self.mode not in ("any", "all"):
            raise ValueError("mode is 'any' or 'all'")
        if self.principal not in ("any", "app", "user"):
            raise ValueError("principal is 'any', 'app' or 'user'")

    def check(self, claims: Claims) -> Claims:
        if self.principal == "app" and not claims.is_app_only:
            raise Forbidden("The endpoint accepts only application tokens.")
        if self.principal == "user" and claims.is_app_only:
            raise Forbidden("The endpoint accepts only delegated (user) tokens.")
        held = set(claims.roles)
        granted = any if self.mode == "any" else all
        if not granted(role in held for role in self.roles):
            raise Forbidden()
        return claims


def require_roles(claims: Claims, *roles: str, mode: Mode = "any", principal: Principal = "any") -> Claims:
    """``claims`` if they hold the roles, else Forbidden."""
    return RoleRequirement(roles, mode, principal).check(claims)
