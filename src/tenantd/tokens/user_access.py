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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..domain.claims import IdTokenFacts, UserTokenRequest
from ..domain.model import Tenant, User
from . import consent, errors, refresh_tokens
from .directory_cache import DirectoryView
from .group_claims import groups_for
from .keys import SigningKey
from .people_clients import PeopleClient, client_of
from .refresh_tokens import Lineage
from .request import IssuedToken, TokenRequest
from .resources import Resource
from .scopes import AccessRequest, response_scope

if TYPE_CHECKING:
    from .service import TokenService


@dataclass(frozen=True)
class Granted:
    """What a user gets on the resource a request names, every check passed: its ``scp`` and ``roles``."""

    resource: Resource
    scopes: tuple[str, ...]
    roles: tuple[str, ...] | None


def respond(service: TokenService, tenant: Tenant, request: TokenRequest, user: User, client: PeopleClient,
            access: AccessRequest, lineage: Lineage | None, *, id_token: bool, nonce: str | None = None) -> IssuedToken:
    """The token response for ``user`` signed in through ``client``; a refresh token continuing ``lineage``
    when there is one (None: no refresh token)."""
    view = service.directory_cache.view()
    granted = decide(service, view, tenant, user, client, access)
    token = None
    if lineage is not None:
        token = refresh_tokens.issue(service.store, tenant.id, client.service_principal.app_id, user.id, client.kind,
                                     lineage, int(service.clock()))
    return answer(service, view, tenant, request, user, client, access, granted, token, id_token=id_token,
                  nonce=nonce)


def decide(service: TokenService, view: DirectoryView, tenant: Tenant, user: User, client: PeopleClient,
           access: AccessRequest) -> Granted:
    """Every check of the user's access, reading only through ``view`` and writing nothing (the event loop
    runs it too, on a view that never reads)."""
    if not user.account_enabled:
        raise errors.disabled_user(user.user_principal_name)
    resource = service.resource(view, tenant.id, access.resource)
    if resource is None:
        raise errors.unknown_resource(access.resource, tenant.id)
    resource_app, _ = client_of(view, tenant.id, resource.service_principal.app_id)
    scopes = consent.granted_scopes(client.service_principal, resource, resource_app, access.scopes, view=view,
                                    user_id=user.id)
    roles = service.user_roles(view, user, resource.service_principal)
    if roles is None and resource.service_principal.app_role_assignment_required:
        raise errors.user_not_assigned(user.user_principal_name, resource.service_principal.app_id)
    return Granted(resource, scopes, roles)


def answer(service: TokenService, view: DirectoryView, tenant: Tenant, request: TokenRequest, user: User,
           client: PeopleClient, access: AccessRequest, granted: Granted, refresh_token: str | None, *,
           id_token: bool, nonce: str | None = None, key: SigningKey | None = None) -> IssuedToken:
    """The response for what ``decide`` granted, with ``refresh_token`` when one was stored; signed by ``key``
    (the tenant's active key by default). ``view`` may read, on the event loop too: once the grant is written
    the answer is given, and what it still takes from the directory (groups, directory roles) is in memory but
    after a change that raced the request."""
    scopes = granted.scopes
    v2 = request.endpoint_version == 2
    response: list[tuple[str, str]] = [
        ("scope", response_scope(access, scopes, offline=refresh_token is not None) if v2 else " ".join(scopes))]
    if refresh_token is not None:
        response.append(("refresh_token", refresh_token))
    if request.form.get("client_info") == "1":
        response.append(("client_info", client_info(user.id, tenant.id)))
    facts = None
    if id_token:
        facts = IdTokenFacts(request.endpoint_version, nonce, request.client_ip,
                             groups=groups_for(view, tenant.id, client.service_principal, user.id))
    return service.sign_user(token_request(service, view, user, client, access, granted), tuple(response), facts,
                             view, key=key)


def token_request(service: TokenService, view: DirectoryView, user: User, client: PeopleClient,
                  access: AccessRequest, granted: Granted) -> UserTokenRequest:
    """What the access token for what ``decide`` granted carries (the token preview's too)."""
    resource = granted.resource
    return service.user_token_request(user, resource, access.resource, granted.roles or (), granted.scopes,
                                      client.service_principal.app_id, client.auth_class, view,
                                      groups=groups_for(view, user.tenant_id, resource.service_principal, user.id))


def user_of(view: DirectoryView, tenant_id: str, user_id: str) -> User | None:
    """The user a code, device code or refresh token was issued for, through the directory cache (a change
    to her, a disabled account say, is a new directory version and shows in the next token)."""
    return view.get(("user", tenant_id, user_id), lambda tx: tx.user(tenant_id, user_id))


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
