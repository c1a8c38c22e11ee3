"""refresh_token: a user's tokens for a refresh token (``tokens/refresh_tokens.py``), with a new refresh token.

The token must be this tenant's and the client's it was issued to (AADSTS70000); a confidential client's needs
the client's credential, a spa's comes cross-origin without one (``tokens/people_clients.py``). The request's
``scope`` may name another resource than the sign-in did (msal asks so for each API it calls): the access token
is for that one, when consent allows it. A token past its 90 days unused is AADSTS700082, a spa's past its 24
hours AADSTS700084; a revoked one no longer exists (AADSTS70000), and one revoked while it is redeemed gives no
successor (the new token is inserted only while the old one exists, in one statement). A public client's or a
spa's refresh is answered on the event loop when everything it needs is in memory (``from_memory``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...domain.errors import OAuthError
from ...domain.model import Tenant
from ...store.grant_state import Busy, GrantState
from .. import errors, refresh_tokens, scopes, user_access
from ..client_auth import presented_methods
from ..directory_cache import DirectoryView, NotInMemory
from ..keys import SigningKey
from ..people_clients import check_origin, identify
from ..request import IssuedToken, TokenRequest, client_id_of

if TYPE_CHECKING:
    from ..service import TokenService

NOT_VALID = refresh_tokens.NOT_VALID


def grant(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken:
    view = service.directory_cache.view()
    return _refreshed(service, tenant, request, view, view, service.store.grant_state,
                      reuse_detection=service.refresh_reuse_detection)


def from_memory(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken | None:
    """The answer on the event loop, when memory and SQLite without a wait give it (``Store.quick_grant_state``):
    a public client or a spa (no credential to check), the directory's version known without a wait, the client,
    the user, the resource, her roles and the signing key in memory, reuse detection off (its writes may wait).
    Else None: the full path (``grant``, in a worker thread) answers, every refusal among them."""
    state = service.store.quick_grant_state
    view = service.directory_cache.quick_view()
    key = service.keyring.known_active(tenant.id)
    if state is None or view is None or key is None or service.refresh_reuse_detection or presented_methods(request):
        return None
    try:
        return _refreshed(service, tenant, request, view.in_memory(), view, state, reuse_detection=False, key=key)
    except (OAuthError, NotInMemory, Busy):
        return None


def _refreshed(service: TokenService, tenant: Tenant, request: TokenRequest, view: DirectoryView,
               answering: DirectoryView, state: GrantState, *, reuse_detection: bool,
               key: SigningKey | None = None) -> IssuedToken:
    """The refresh; ``view`` for every check (on the event loop, one that never reads), ``answering`` for the
    answer once the successor is written (``user_access.answer``)."""
    record = refresh_tokens.redeem(service.store, _token(request), int(service.clock()),
                                   reuse_detection=reuse_detection, state=state)
    if record.tenant_id != tenant.id:
        raise errors.invalid_grant(NOT_VALID)
    if client_id_of(request) != record.client_app_id:
        raise errors.invalid_grant(f"{NOT_VALID} It was issued to another application.")
    check_origin(request, record.client_kind)
    client = identify(service, tenant, request, view, record.client_kind)
    user = user_access.user_of(view, tenant.id, record.user_id)
    if user is None:
        raise errors.invalid_grant(NOT_VALID)
    access = scopes.requested(request, scope=record.scope, resource=record.resource)
    granted = user_access.decide(service, view, tenant, user, client, access)
    token = refresh_tokens.issue(service.store, tenant.id, client.service_principal.app_id, user.id, client.kind,
                                 refresh_tokens.lineage_of(record), int(service.clock()), state=state)
    return user_access.answer(service, answering, tenant, request, user, client, access, granted, token,
                              id_token=user_access.wants_id_token(request, access), key=key)


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
