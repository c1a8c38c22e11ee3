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

from ...domain.model import Tenant
from .. import assertion_errors, errors, refresh_tokens, scopes, user_access, user_assertions
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
    token = _assertion(request)
    view = service.directory_cache.view()   # users are directory rows: a change to one shows at once
    client = identify(service, tenant, request, view, "confidential")
    assertion = user_assertions.verify(service, tenant, token, client.service_principal.app_id)
    if not _is_audience(assertion.audience, client):
        raise assertion_errors.wrong_audience(assertion.audience, client.service_principal.app_id,
                                              client.service_principal.display_name)
    access = scopes.requested(request)
    user = view.get(("user", tenant.id, assertion.user_id), lambda tx: tx.user(tenant.id, assertion.user_id))
    if user is None:
        raise assertion_errors.unknown_user(assertion.user_id, tenant.id)
    user_assertions.not_revoked(assertion, user.sign_in_sessions_valid_from)
    lineage = None
    if user_access.wants_refresh_token(request, access):
        resource = request.form.get("resource") if request.endpoint_version == 1 else None
        lineage = refresh_tokens.Lineage(request.form.get("scope", ""), resource or None,
                                         refresh_tokens.new_grant_id(), assertion.issued_at)
    return user_access.respond(service, tenant, request, user, client, access, lineage,
                               id_token=user_access.wants_id_token(request, access))


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
