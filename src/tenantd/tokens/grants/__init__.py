"""Grant handlers, one module each, all of the shape ``(service, tenant, request) -> IssuedToken``; those that
can also answer from memory alone (on the event loop) have a ``from_memory`` that returns None when not, and
people's grants a ``tenant_of`` that finds the tenant a request through ``common`` or ``organizations`` signs
in to (its code's, its refresh token's, its user name's, its assertion's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ...domain.model import Tenant
from ..request import IssuedToken, TokenRequest
from . import authorization_code, client_credentials, device_code, on_behalf_of, password, refresh_token

if TYPE_CHECKING:
    from ..service import TokenService

GRANTS: dict[str, Callable[[TokenService, Tenant, TokenRequest], IssuedToken]] = {
    "client_credentials": client_credentials.grant,
    "password": password.grant,
    "authorization_code": authorization_code.grant,
    "refresh_token": refresh_token.grant,
    **{grant_type: device_code.grant for grant_type in device_code.GRANT_TYPES},
    on_behalf_of.GRANT_TYPE: on_behalf_of.grant,
}
MEMORY_GRANTS: dict[str, Callable[[TokenService, Tenant, TokenRequest], IssuedToken | None]] = {
    "client_credentials": client_credentials.from_memory,
    "refresh_token": refresh_token.from_memory,
    "authorization_code": authorization_code.from_memory,
    on_behalf_of.GRANT_TYPE: on_behalf_of.from_memory,
}
TENANT_FINDERS: dict[str, Callable[[TokenService, TokenRequest], Tenant]] = {
    "password": password.tenant_of,
    "authorization_code": authorization_code.tenant_of,
    "refresh_token": refresh_token.tenant_of,
    **{grant_type: device_code.tenant_of for grant_type in device_code.GRANT_TYPES},
    on_behalf_of.GRANT_TYPE: on_behalf_of.tenant_of,
}
