"""Grant handlers, one module each, all of the shape ``(service, tenant, request) -> IssuedToken``; those that
can also answer from memory alone (on the event loop) have a ``from_memory`` that returns None when not."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ...domain.model import Tenant
from ..request import IssuedToken, TokenRequest
from . import client_credentials, password

if TYPE_CHECKING:
    from ..service import TokenService

GRANTS: dict[str, Callable[[TokenService, Tenant, TokenRequest], IssuedToken]] = {
    "client_credentials": client_credentials.grant,
    "password": password.grant,
}
MEMORY_GRANTS: dict[str, Callable[[TokenService, Tenant, TokenRequest], IssuedToken | None]] = {
    "client_credentials": client_credentials.from_memory,
}
