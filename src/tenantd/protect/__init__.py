"""Access token validation for APIs, the same against Entra ID and tenantd: only the configuration differs.

    validator = TokenValidator(tenant_id="<tenant id>", audiences=["api://things", "<api appId>"])
    claims = validator.validate(token)           # Claims, or InvalidToken (401) / KeysUnavailable (503)
    require_roles(claims, "Things.Read.All")     # or Forbidden (403)
    require_scopes(claims, "Things.Read")        # a user's delegated scope
    require_scope_or_role(claims, scopes="Things.Read", roles="Things.Read.All")   # either, per route
    GroupResolver(graph_token).groups(claims)    # group ids, from Graph when the token has too many to list

Against tenantd add its URL and CA: ``authority="https://localhost:8443", verify="<ca_cert of server.json>"``.
The FastAPI and Starlette adapter lives in ``tenantd.protect.starlette`` (it needs Starlette installed).
"""

from .claims import Claims
from .errors import Forbidden, InvalidToken, KeysUnavailable, MissingToken, ProtectError, Unauthorized
from .groups import GroupResolver, GroupsUnavailable
from .roles import RoleRequirement, require_roles
from .scopes import ScopeOrRoleRequirement, ScopeRequirement, require_scope_or_role, require_scopes
from .validator import AsyncTokenValidator, TokenValidator

__all__ = [
    "AsyncTokenValidator",
    "Claims",
    "Forbidden",
    "GroupResolver",
    "GroupsUnavailable",
    "InvalidToken",
    "KeysUnavailable",
    "MissingToken",
    "ProtectError",
    "RoleRequirement",
    "ScopeOrRoleRequirement",
    "ScopeRequirement",
    "TokenValidator",
    "Unauthorized",
    "require_roles",
    "require_scope_or_role",
    "require_scopes",
]
