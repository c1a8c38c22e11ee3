"""The answer to every people's grant (authorization code, refresh token, device code, password): a user's
access token for ONE resource through a client, with what comes beside it.

Given who signed in through which client and what the request asks for (:mod:`tenantd.tokens.scopes`):

- the resource must be in the tenant (AADSTS500011); ``scp`` is what :mod:`tenantd.tokens.consent` grants
  (her own consent and every user's counting);
  ``roles`` are the user's and her direct groups' assignments, and a resource that requires an assignment
  she lacks refuses her (AADSTS50105); ``wids`` are her directory roles (:mod:`tenantd.tokens.directory_roles`);
  ``groups`` are hers through nested groups too, as the resource's ``groupMembershipClaims`` asks (the ID
  token's as the client's asks: :mod:`tenantd.tokens.group_claims`);
- v2's response carries ``scope`` (the granted scopes as full names, OpenID Connect's included), an ID token
  with ``openid``, a refresh token with ``offline_access``; v1's (``resource=``) always carries both, as
  Entra's v1 endpoint does for a user, and ``scope`` as the ``scp`` values;
- ``client_info`` (msal's account key) when the request asks for it with ``client_info=1``.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from ..domain.claims import IdTokenFacts
from ..domain.model import Tenant, User
from . import consent, errors, refresh_tokens
from .group_claims import groups_for
from .people_clients import PeopleClient, client_of
from .refresh_tokens import Lineage
from .request import IssuedToken, TokenRequest
from .scopes import AccessRequest, response_scope

if TYPE_CHECKING:
    from .service import TokenService


def respond(service: TokenService, tenant: Tenant, request: TokenRequest, user: User, client: PeopleClient,
            access: AccessRequest, lineage: Lineage | None, *, id_token: bool, nonce: str | None = None) -> IssuedToken:
    """The token response for ``user`` signed in through ``client``; a refresh token continuing ``lineage``
    when there is one (None: no refresh token)."""
    if not user.account_enabled:
        raise errors.disabled_user(user.user_principal_name)
    view = service.directory_cache.view()
    resource = service.resource(view, tenant.id, access.resource)
    if resource is None:
        raise errors.unknown_resource(access.resource, tenant.id)
    resource_app, _ = client_of(view, tenant.id, resource.service_principal.app_id)
    scopes = consent.granted_scopes(client.service_principal, resource, resource_app, access.scopes, view=view,
                                    user_id=user.id)
    with service.store.read() as tx:
        roles = service.roles(tx, service.role_holders(tx, user), resource.service_principal)
    if roles is None and resource.service_principal.app_role_assignment_required:
        raise errors.user_not_assigned(user.user_principal_name, resource.service_principal.app_id)
    v2 = request.endpoint_version == 2
    response: list[tuple[str, str]] = [
        ("scope", response_scope(access, scopes, offline=lineage is not None) if v2 else " ".join(scopes))]
    if lineage is not None:
        token = refresh_tokens.issue(service.store, tenant.id, client.service_principal.app_id, user.id, client.kind,
                                     lineage, int(service.clock()))
        response.append(("refresh_token", token))
    if request.form.get("client_info") == "1":
        response.append(("client_info", client_info(user.id, tenant.id)))
    facts = None
    if id_token:
        facts = IdTokenFacts(request.endpoint_version, nonce, request.client_ip,
                             groups=groups_for(view, tenant.id, client.service_principal, user.id))
    return service.issue_user(tenant.id, user, resource, access.resource, roles or (), scopes,
                              client.service_principal.app_id, client.auth_class, tuple(response), facts, view,
                              groups=groups_for(view, tenant.id, resource.service_principal, user.id))


def wants_refresh_token(request: TokenRequest, granted: AccessRequest) -> bool:
    """A new sign-in's refresh token: with ``offline_access`` among the granted scopes, or always from the v1
    endpoint (whose clients, ADAL among them, rely on one)."""
    return request.endpoint_version == 1 or granted.offline


def wants_id_token(request: TokenRequest, granted: AccessRequest) -> bool:
    """An ID token: with ``openid`` among the granted scopes, or always from the v1 endpoint."""
    return request.endpoint_version == 1 or granted.openid


def client_info(user_id: str, tenant_id: str) -> str:
    """What msal builds its account from: base64url of ``{"uid": <object id>, "utid": <tenant id>}``."""
    raw = json.dumps({"uid": user_id, "utid": tenant_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
