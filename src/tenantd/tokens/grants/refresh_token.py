"""refresh_token: a user's tokens for a refresh token (``tokens/refresh_tokens.py``), with a new refresh token.

The token must be this tenant's and the client's it was issued to (AADSTS70000); a confidential client's needs
the client's credential, a spa's comes cross-origin without one (``tokens/people_clients.py``). The request's
``scope`` may name another resource than the sign-in did (msal asks so for each API it calls): the access token
is for that one, when consent allows it. A token past its 90 days unused is AADSTS700082, a spa's past its 24
hours AADSTS700084; a revoked one no longer exists (AADSTS70000), and one revoked while it was redeemed
gives no successor (the new token is inserted only while the old one exists, in one statement).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...domain.model import Tenant
from .. import errors, refresh_tokens, scopes, user_access
from ..people_clients import check_origin, identify
from ..request import IssuedToken, TokenRequest, client_id_of

if TYPE_CHECKING:
    from ..service import TokenService

NOT_VALID = refresh_tokens.NOT_VALID


def grant(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken:
    record = refresh_tokens.redeem(service.store, _token(request), int(service.clock()),
                                   reuse_detection=service.refresh_reuse_detection)
    if record.tenant_id != tenant.id:
        raise errors.invalid_grant(NOT_VALID)
    if client_id_of(request) != record.client_app_id:
        raise errors.invalid_grant(f"{NOT_VALID} It was issued to another application.")
    check_origin(request, record.client_kind)
    client = identify(service, tenant, request, service.directory_cache.view(), record.client_kind)
    user = user_access.user_of(service, tenant.id, record.user_id)
    if user is None:
        raise errors.invalid_grant(NOT_VALID)
    access = scopes.requested(request, scope=record.scope, resource=record.resource)
    return user_access.respond(service, tenant, request, user, client, access, refresh_tokens.lineage_of(record),
                               id_token=user_access.wants_id_token(request, access))


def tenant_of(service: TokenService, request: TokenRequest) -> Tenant:
    """Through ``common``: the tenant the refresh token was issued in."""
    record = refresh_tokens.find(service.store, _token(request))
    if record is None:
        raise errors.invalid_grant(NOT_VALID)
    return service.tenant(record.tenant_id)


def _token(request: TokenRequest) -> str:
    token = request.form.get("refresh_token", "")
    if not token:
        raise errors.invalid_request("The request body must contain the following parameter: 'refresh_token'.")
    return token
