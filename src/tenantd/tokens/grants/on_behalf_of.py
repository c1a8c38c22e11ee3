"""urn:ietf:params:oauth:grant-type:jwt-bearer with ``requested_token_use=on_behalf_of`` (OBO): a middle tier
that received a user's access token (the ``assertion``) asks for a token for the same user to call a
downstream API, named by the v2 ``scope`` or the v1 ``resource``.

As Entra does it (SECURITY.md item 49):

- the middle tier proves itself first, with a secret, a certificate or a federated credential as for client
  credentials (:mod:`tenantd.tokens.client_auth`, behind the failed-authentication throttle); a client that
  presents none gets AADSTS7000218, a disabled one AADSTS7000112;
- the assertion is an access token this tenant issued to a user (:mod:`tenantd.tokens.user_assertions`), and
  its ``aud`` is the middle tier itself: its appId (a v2 token, or a v1 token asked for by appId) or one of its
  identifierUris (a v1 token asked for by URI). Any other audience is AADSTS500131, which is also what a
  client presenting an assertion another middle tier received gets;
- the user still exists (AADSTS50034) and is enabled (AADSTS50057), and the assertion was issued after her
  sessions were last revoked (``revokeSignInSessions``; AADSTS50173 otherwise);
- the answer is :mod:`tenantd.tokens.user_access`'s for the middle tier as the client: ``scp`` only what the
  middle tier holds on the downstream resource (:mod:`tenantd.tokens.consent`), never the assertion's own
  scopes, and AADSTS65001 for a scope it does not hold; ``roles`` the user's on the downstream resource, and
  AADSTS50105 when it requires an assignment she lacks; ``oid`` hers, ``sub`` hers for the middle tier,
  ``appid``/``azp`` the middle tier's; a refresh token with ``offline_access`` (v1: always), bound to the
  middle tier and beginning its own lineage; an ID token with ``openid`` (v1: always), for the middle tier;
- through ``common`` or ``organizations``, the tenant is the assertion's (its ``tid``, verified with that
  tenant's keys).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...domain.errors import OAuthError
from ...domain.model import Tenant
from ...store.grant_state import Busy, GrantState
from .. import assertion_errors, errors, refresh_tokens, scopes, user_access, user_assertions
from ..directory_cache import DirectoryView, NotInMemory
from ..keys import SigningKey
from ..people_clients import PeopleClient, identify
from ..request import IssuedToken, TokenRequest

if TYPE_CHECKING:
    from ..service import TokenService

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ON_BEHALF_OF = "on_behalf_of"


def grant(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken:
    use = request.form.get("requested_token_use", "")
    if use != ON_BEHALF_OF:
        raise assertion_errors.requested_token_use(use)
    view = service.directory_cache.view()   # users are directory rows: a change to one shows at once
    return _exchanged(service, tenant, request, view, view, service.store.grant_state)


def from_memory(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken | None:
    """The answer on the event loop, when memory (and, for a refresh token, SQLite without a wait:
    ``Store.quick_grant_state``) gives it: a client secret checked as client credentials check it
    (``client_auth.authenticate_from_memory``), the directory's version known without a wait, the tenant's keys,
    the middle tier, the user, the resource, her roles and the consent in memory. Every check is the full path's,
    on a view that never reads: the user's revoked sessions and a deleted grant are directory changes, so the
    first request after one finds nothing in memory. Else None and nothing written: the full path (``grant``, in
    a worker thread) answers, every refusal among them."""
    if request.form.get("requested_token_use") != ON_BEHALF_OF:
        return None
    view = service.directory_cache.quick_view()
    key = service.keyring.known_active(tenant.id)
    if view is None or key is None:
        return None
    try:
        return _exchanged(service, tenant, request, view.in_memory(), view, service.store.quick_grant_state,
                          key=key)
    except (OAuthError, NotInMemory, Busy):
        return None


def _exchanged(service: TokenService, tenant: Tenant, request: TokenRequest, view: DirectoryView,
               answering: DirectoryView, state: GrantState | None, *, key: SigningKey | None = None) -> IssuedToken:
    """The exchange; ``view`` for every check, ``answering`` for the answer once a refresh token is written
    (``user_access.answer``). With ``key`` (on the event loop) ``view`` never reads, and ``state`` None (no
    connection that does not wait) leaves a refresh token to the full path."""
    on_loop = key is not None
    token = _assertion(request)
    client = identify(service, tenant, request, view, "confidential", from_memory=on_loop)
    assertion = user_assertions.verify(service, tenant, token, client.service_principal.app_id, from_memory=on_loop)
    if not _is_audience(assertion.audience, client):
        raise assertion_errors.wrong_audience(assertion.audience, client.service_principal.app_id,
                                              client.service_principal.display_name)
    access = scopes.requested(request)
    user = user_access.user_of(view, tenant.id, assertion.user_id)
    if user is None:
        raise assertion_errors.unknown_user(assertion.user_id, tenant.id)
    user_assertions.not_revoked(assertion, user.sign_in_sessions_valid_from)
    granted = user_access.decide(service, view, tenant, user, client, access)
    refresh_token = None
    if user_access.wants_refresh_token(request, access):
        if state is None:
            raise NotInMemory("a refresh token to write")
        resource = request.form.get("resource") if request.endpoint_version == 1 else None
        lineage = refresh_tokens.Lineage(request.form.get("scope", ""), resource or None,
                                         refresh_tokens.new_grant_id(), assertion.issued_at)
        refresh_token = refresh_tokens.issue(service.store, tenant.id, client.service_principal.app_id, user.id,
                                             client.kind, lineage, int(service.clock()), state=state)
    else:
        answering = view   # nothing written: the answer reads no more than the checks did
    return user_access.answer(service, answering, tenant, request, user, client, access, granted, refresh_token,
                              id_token=user_access.wants_id_token(request, access), key=key)


def tenant_of(service: TokenService, request: TokenRequest) -> Tenant:
    """Through ``common``: the tenant the assertion names, whose keys must then verify it."""
    tenant_id = user_assertions.tenant_hint(_assertion(request))
    if tenant_id is None:
        raise assertion_errors.invalid("it names no tenant ('tid')")
    return service.tenant(tenant_id)


def _is_audience(audience: str, client: PeopleClient) -> bool:
    """Whether ``audience`` names the middle tier: its appId, or one of its identifierUris (compared as
    resources are resolved: without regard to case)."""
    key = audience.lower()
    app = client.application
    return key == client.service_principal.app_id or (app is not None and
                                                      key in {uri.lower() for uri in app.identifier_uris})


def _assertion(request: TokenRequest) -> str:
    token = request.form.get("assertion", "")
    if not token:
        raise errors.invalid_request("The request body must contain the following parameter: 'assertion'.")
    return token
