"""The token service: discovery, JWKS and token requests, answered as plain data for an adapter to render."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..domain import builtins
from ..domain.claims import (
    AppTokenRequest,
    IdTokenFacts,
    Issuers,
    UserTokenRequest,
    app_only_claims,
    id_token_claims,
    user_claims,
)
from ..domain.errors import OAuthError, Unavailable
from ..domain.ids import is_guid
from ..domain.model import Application, ServicePrincipal, Tenant, User
from ..store import Store, Tx
from . import directory_roles, discovery, errors, jwt, sign_in_errors, signins
from .directory_cache import DirectoryCache, DirectoryView
from .federation import Federation, VerificationKey, own_tenant_id
from .keys import Keyring, SigningKey
from .passwords import PasswordChecks
from .request import IssuedToken, TokenRequest
from .resources import Resource, resolve
from .secrets import SecretHasher
from .throttle import FailureThrottle

APP_TOKEN_LIFETIME = (3600, 5400)   # Entra access tokens live a random 60-90 minutes
TENANT_CACHE = 1024
ID_TOKEN_LIFETIME = 3600


Grant = Callable[["TokenService", Tenant, TokenRequest], IssuedToken]
MemoryGrant = Callable[["TokenService", Tenant, TokenRequest], IssuedToken | None]
TenantFinder = Callable[["TokenService", TokenRequest], Tenant]


class TokenService:
    def __init__(self, store: Store, keyring: Keyring, hasher: SecretHasher, public_url: str,
                 grants: dict[str, Grant], clock: Callable[[], float] = time.time,
                 sign_ins: signins.SignInLog | None = None, *, allow_loopback_issuers: bool = False,
                 throttle: FailureThrottle | None = None,
                 app_token_lifetime: tuple[int, int] = APP_TOKEN_LIFETIME,
                 memory_grants: dict[str, MemoryGrant] | None = None,
                 password_checks: PasswordChecks | None = None,
                 tenant_finders: dict[str, TenantFinder] | None = None,
                 refresh_reuse_detection: bool = False) -> None:
        self.store = store
        # Users' passwords, checked in a bounded pool behind their lockouts (see tokens/passwords.py).
        self.password_checks = password_checks or PasswordChecks(store, clock=clock)
        self.app_token_lifetime = app_token_lifetime  # seconds, (shortest, longest): each token a random pick
        # Failed client authentications per client and source (on by default; see tokens/throttle.py).
        self.throttle = throttle or FailureThrottle(store, clock=clock)
        self.sign_ins = sign_ins
        self.grants = grants
        self.memory_grants = memory_grants or {}   # grant type -> its answer from memory alone, if it has one
        # grant type -> the tenant a request through ``common`` or ``organizations`` signs in to (its code's ...)
        self.tenant_finders = tenant_finders or {}
        self.refresh_reuse_detection = refresh_reuse_detection   # see tokens/refresh_tokens.py
        self.keyring = keyring
        self.hasher = hasher
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self._tenants: dict[str, Tenant] = {}   # id or name as requested -> tenant
        self.directory_cache = DirectoryCache(store)   # clients, resources and roles on the token path
        # Issuers federated credentials trust: this server's tenants, else fetched (loopback if allowed).
        self.federation = Federation(self.own_issuer_keys, allow_loopback=allow_loopback_issuers)

    def own_issuer_keys(self, issuer: str) -> list[VerificationKey] | None:
        """Keys of one of this server's tenant issuers, from the keyring; None for any other issuer. An issuer
        under this server's URL that names no tenant of it has no keys (and is never fetched)."""
        if not issuer.startswith(self.public_url + "/"):
            return None
        tenant_id = own_tenant_id(self.public_url, issuer)
        with self.store.read() as tx:
            if tenant_id is None or tx.tenant(tenant_id) is None:
                return []
        return [VerificationKey(k.kid, k.private_key.public_key()) for k in self.keyring.published(tenant_id)]

    # -- tenant documents --------------------------------------------------------------------------------
    def tenant(self, key: str) -> Tenant:
        """The tenant a request names by id or name. Tenants are never renamed or removed, so one found is
        kept (an unknown key is looked up every time: a tenant may be created meanwhile)."""
        if not key or len(key) > 256:
            raise errors.invalid_tenant(key[:64])
        tenant = self._tenants.get(key)
        if tenant is not None:
            return tenant
        with self.store.read() as tx:
            tenant = tx.tenant(key)
        if tenant is None:
            raise errors.invalid_tenant(key)
        if len(self._tenants) < TENANT_CACHE:
            self._tenants[key] = tenant
        return tenant

    def request_tenant(self, request: TokenRequest) -> Tenant:
        """The tenant a token request signs in to: the one its path names, or, through ``common`` and
        ``organizations``, the one its grant implies (a code's, a refresh token's, the user name's domain's);
        a grant that implies none (client credentials) gets AADSTS50059, as from Entra."""
        if not discovery.is_multi_tenant(request.tenant):
            return self.tenant(request.tenant)
        finder = self.tenant_finders.get(request.form.get("grant_type", ""))
        if finder is None:
            raise errors.no_tenant_in_request()
        return finder(self, request)

    def issuers(self, tenant_id: str) -> Issuers:
        return Issuers.for_tenant(self.public_url, tenant_id)

    def discovery(self, tenant_key: str, version: int) -> dict[str, Any]:
        return discovery.document(self, tenant_key, version)

    def jwks(self, tenant_key: str) -> dict[str, Any]:
        return discovery.key_set(self, tenant_key)

    def instance_discovery(self, authorization_endpoint: str | None) -> dict[str, Any]:
        host = self.public_url.split("://", 1)[1]
        tenant = "common"
        if authorization_endpoint:
            parts = authorization_endpoint.split("/")
            tenant = parts[3] if len(parts) > 3 and parts[3] else "common"
        return {
            "tenant_discovery_endpoint": f"{self.public_url}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }

    # -- tokens ---------------------------------------------------------------------------------------
    def token(self, request: TokenRequest) -> dict[str, Any]:
        """Answer a token request: the response body in the endpoint version's shape. Issued or refused,
        a request to a tenant that exists is a sign-in; a device's poll before the person answered is not."""
        tenant = self.request_tenant(request)
        try:
            if discovery.is_multi_tenant(request.tenant):
                self._refuse_single_tenant_client(tenant, request)
            issued = self._grant(tenant, request)
        except OAuthError as exc:
            client = self._named_client(tenant, request) if exc.aadsts != errors.STILL_PENDING else None
            if client is not None:
                self.record(signins.refused_request(tenant.id, request, exc, self.clock(), client))
            raise
        return self._issued(tenant, request, issued)

    def _named_client(self, tenant: Tenant, request: TokenRequest) -> ServicePrincipal | None:
        """The service principal of the client a refused request names; None when the tenant knows no such
        client. Entra logs no sign-in of a client it does not know, nor does tenantd: a caller inventing
        client ids must not be able to fill the log."""
        try:
            _, sp = self._client_objects(tenant, request)
        except Unavailable:   # nothing could be written either
            return None
        return sp

    def _client_objects(self, tenant: Tenant, request: TokenRequest) -> tuple[Application | None,
                                                                                ServicePrincipal | None]:
        """The application and service principal of the client a request names in ``tenant`` (read through
        the directory cache, under the key client authentication uses, so a known client costs no read)."""
        client_id = request.form.get("client_id") or (request.basic_auth[0] if request.basic_auth else "")
        if not is_guid(client_id):
            return None, None
        client_id = client_id.lower()
        app, sp = self.directory_cache.view().get(("client", tenant.id, client_id), lambda tx: (
            tx.application_by_app_id(tenant.id, client_id), tx.service_principal_by_app_id(tenant.id, client_id)))
        return app, sp if isinstance(sp, ServicePrincipal) else None

    def _refuse_single_tenant_client(self, tenant: Tenant, request: TokenRequest) -> None:
        """AADSTS50194: an application of one organization (AzureADMyOrg) is not used through ``common`` or
        ``organizations``; the tenant its grant implies holds it, when it is one of the tenant's own."""
        app, _ = self._client_objects(tenant, request)
        if app is not None and not app.multi_tenant:
            raise sign_in_errors.single_tenant_at_common(app.app_id, app.display_name)

    def token_from_memory(self, request: TokenRequest) -> dict[str, Any] | None:
        """``token``'s answer when memory (and, for people's grants, SQLite without a wait) gives it, fast enough
        for an event loop (see the grant's ``from_memory``); else None, and the caller asks ``token``, which
        also gives every refusal."""
        tenant = self._tenants.get(request.tenant)
        from_memory = self.memory_grants.get(request.form.get("grant_type", ""))
        if tenant is None or from_memory is None:
            return None
        issued = from_memory(self, tenant, request)
        return None if issued is None else self._issued(tenant, request, issued)

    def _issued(self, tenant: Tenant, request: TokenRequest, issued: IssuedToken) -> dict[str, Any]:
        """Log the sign-in; the response body in the endpoint version's shape."""
        self.record(signins.issued(tenant.id, signins.grant_kind(request.form["grant_type"]), issued, self.clock(),
                                   request.client_ip))
        body: dict[str, Any]
        if request.endpoint_version == 2:
            body = {"token_type": "Bearer", "expires_in": issued.expires_in, "ext_expires_in": issued.expires_in,
                    "access_token": issued.access_token}
        else:
            body = {"token_type": "Bearer", "expires_in": str(issued.expires_in),
                    "ext_expires_in": str(issued.expires_in), "expires_on": str(issued.expires_on),
                    "not_before": str(issued.not_before), "resource": issued.resource,
                    "access_token": issued.access_token}
        body.update(issued.response)
        return body

    def _grant(self, tenant: Tenant, request: TokenRequest) -> IssuedToken:
        grant_type = request.form.get("grant_type", "")
        if not grant_type:
            raise errors.invalid_request("The request body must contain the following parameter: 'grant_type'.")
        grant = self.grants.get(grant_type)
        if grant is None:
            raise errors.unsupported_grant_type(grant_type[:64])
        return grant(self, tenant, request)

    def record(self, entry: signins.SignIn) -> None:
        """Queue a sign-in for the log (nothing is kept when this service has no log)."""
        if self.sign_ins is not None:
            self.sign_ins.record(entry)

    @staticmethod
    def role_holders(tx: Tx, principal: ServicePrincipal | User) -> list[str]:
        """Whose assignments count for ``principal``: a user's own and its direct groups'. Entra expands
        neither nested groups nor service principals in groups for app roles."""
        if isinstance(principal, User):
            return [principal.id, *tx.groups_of(principal.id)]
        return [principal.id]

    def roles(self, tx: Tx, principal_ids: list[str], resource: ServicePrincipal) -> tuple[str, ...] | None:
        """Values of the enabled roles assigned to any of ``principal_ids``; None when nothing is assigned."""
        assigned = set(tx.assigned_role_ids(principal_ids, resource.id))
        if not assigned:
            return None
        return tuple(r.value for r in resource.app_roles if r.id in assigned and r.is_enabled and r.value)

    def user_roles(self, view: DirectoryView, user: User, resource: ServicePrincipal) -> tuple[str, ...] | None:
        """``roles`` of a user (hers and her direct groups'), through the directory cache."""
        return view.get(("user roles", user.id, resource.id),
                        lambda tx: (self.roles(tx, self.role_holders(tx, user), resource),))[0]   # kept even when None

    def resource(self, view: DirectoryView, tenant_id: str, name: str) -> Resource | None:
        """The resource a client names (``resources.resolve``), through the directory cache."""
        return view.get(resource_key(tenant_id, name), lambda tx: resolve(tx, tenant_id, name, self.public_url))

    def assigned_roles(self, view: DirectoryView, principal_id: str,
                       resource: ServicePrincipal) -> tuple[str, ...] | None:
        """``roles`` of one service principal, through the directory cache."""
        return view.get(roles_key(principal_id, resource.id),
                        lambda tx: (self.roles(tx, [principal_id], resource),))[0]   # kept even when None

    def app_token_request(self, tenant_id: str, client: ServicePrincipal, resource: Resource, audience: str,
                          auth_class: str, roles: tuple[str, ...], extra: tuple[tuple[str, str], ...] = (),
                          groups: tuple[str, ...] | None = None) -> AppTokenRequest:
        """What an app-only token for ``client`` on ``resource`` says (``domain/claims.py`` writes its claims)."""
        return AppTokenRequest(
            tenant_id=tenant_id, client_app_id=client.app_id, client_object_id=client.id,
            client_auth_class=auth_class, resource_app_id=resource.service_principal.app_id,
            audience_as_requested=audience, version=resource.token_version, roles=roles, extra=extra, groups=groups,
        )

    def sign_app(self, request: AppTokenRequest, principal_name: str, lifetime: int | None = None,
                 key: SigningKey | None = None) -> IssuedToken:
        """The app-only token ``request`` describes, signed by ``key``, by default the tenant's active key."""
        now = int(self.clock())
        life = lifetime or random.randint(*self.app_token_lifetime)  # noqa: S311 - a lifetime, not a secret
        claims = app_only_claims(request, self.issuers(request.tenant_id), now, life)
        token = jwt.sign(claims, key or self.keyring.active(request.tenant_id), with_x5t=request.version == 1)
        return IssuedToken(token, life, now + life, now, request.audience_as_requested, app_id=request.client_app_id,
                           principal_id=request.client_object_id, principal_name=principal_name,
                           resource_id=request.resource_app_id, roles=request.roles)

    def user_token_request(self, user: User, resource: Resource, audience: str, roles: tuple[str, ...],
                           scopes: tuple[str, ...] = builtins.USER_TOKEN_SCOPES,
                           client_app_id: str = builtins.AZURE_CLI_APP_ID, client_auth_class: str = "0",
                           view: DirectoryView | None = None,
                           groups: tuple[str, ...] | None = None) -> UserTokenRequest:
        """What ``user``'s access token through a client app (by default the Azure CLI) says: ``roles``,
        ``scp``, her directory roles (``wids``, read through ``view``, the request's look at the directory
        cache) and the ``groups`` the resource asks for."""
        view = view or self.directory_cache.view()
        return UserTokenRequest(
            tenant_id=user.tenant_id, user_object_id=user.id, user_principal_name=user.user_principal_name,
            display_name=user.display_name, client_app_id=client_app_id, client_auth_class=client_auth_class,
            resource_app_id=resource.service_principal.app_id, audience_as_requested=audience,
            version=resource.token_version, roles=roles, scopes=scopes, wids=directory_roles.wids(view, user.id),
            groups=groups,
        )

    def sign_user(self, request: UserTokenRequest, response: tuple[tuple[str, str], ...] = (),
                  id_token: IdTokenFacts | None = None, view: DirectoryView | None = None,
                  key: SigningKey | None = None) -> IssuedToken:
        """The user's access token ``request`` describes; ``response`` is added to the token response, and with
        ``id_token`` an ID token for the client. Signed by ``key``, by default the tenant's active key."""
        now = int(self.clock())
        life = random.randint(*self.app_token_lifetime)  # noqa: S311 - a lifetime, not a secret
        tenant_id = request.tenant_id
        issuers = self.issuers(tenant_id)
        key = key or self.keyring.active(tenant_id)
        token = jwt.sign(user_claims(request, issuers, now, life), key, with_x5t=request.version == 1)
        if id_token is not None:
            view = view or self.directory_cache.view()
            facts = replace(id_token, directory_roles=directory_roles.in_id_tokens(view, tenant_id,
                                                                                   request.client_app_id))
            signed = jwt.sign(id_token_claims(request, issuers, now, ID_TOKEN_LIFETIME, facts), key,
                              with_x5t=False)
            response = (*response, ("id_token", signed))
        return IssuedToken(token, life, now + life, now, request.audience_as_requested, app_id=request.client_app_id,
                           principal_id=request.user_object_id, principal_name=request.user_principal_name,
                           resource_id=request.resource_app_id, roles=request.roles, response=response)

    def issue_id_token(self, tenant_id: str, user: User, client_app_id: str, facts: IdTokenFacts) -> str:
        """An ID token alone, for the client ``user`` signed in to (the authorization endpoint's answer): the
        client is its audience, as the resource of nothing."""
        view = self.directory_cache.view()
        request = UserTokenRequest(
            tenant_id=tenant_id, user_object_id=user.id, user_principal_name=user.user_principal_name,
            display_name=user.display_name, client_app_id=client_app_id, resource_app_id=client_app_id,
            audience_as_requested=client_app_id, version=facts.version, roles=(), scopes=(),
            wids=directory_roles.wids(view, user.id))
        facts = replace(facts, directory_roles=directory_roles.in_id_tokens(view, tenant_id, client_app_id))
        claims = id_token_claims(request, self.issuers(tenant_id), int(self.clock()), ID_TOKEN_LIFETIME, facts)
        return jwt.sign(claims, self.keyring.active(tenant_id), with_x5t=False)


def resource_key(tenant_id: str, name: str) -> tuple[str, str, str]:
    """The directory cache's key of a resource as named (a ``Resource``)."""
    return ("resource", tenant_id, name)


def roles_key(principal_id: str, resource_id: str) -> tuple[str, str, str]:
    """The directory cache's key of a principal's roles on a resource (``(roles or None,)``)."""
    return ("roles", principal_id, resource_id)


class BearerRejected(Exception):
    """A bearer token presented to tenantd's own APIs is not acceptable; the message is safe to show."""


def verify_bearer(service: TokenService, token: str, audiences: set[str]) -> dict[str, Any]:
    """Claims of a token this server issued for one of its own APIs (Graph, admin), or BearerRejected."""
    try:
        header, unverified = jwt.unverified_parts(token)
    except Exception:
        raise BearerRejected("The access token is malformed.") from None
    tid = unverified.get("tid")
    if not isinstance(tid, str) or not is_guid(tid):
        raise BearerRejected("The access token has no valid tenant.")
    with service.store.read() as tx:
        tenant = tx.tenant(tid)
    if tenant is None:
        raise BearerRejected("The access token's tenant does not exist.")
    issuers = service.issuers(tenant.id)
    try:
        keys = service.keyring.verifying(tenant.id, header.get("kid"))
        claims = jwt.verify(token, keys, issuers=(issuers.v1, issuers.v2), audiences=audiences)
    except jwt.InvalidToken as exc:
        raise BearerRejected(f"The access token is invalid: {exc}.") from None
    if claims.get("idtyp") not in ("app", "user"):   # every access token says which; an ID token never does
        raise BearerRejected("The token is not an access token.")
    return claims
