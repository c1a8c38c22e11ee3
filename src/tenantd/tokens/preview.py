"""Token preview: what a token for a principal to a resource would carry now, or which AADSTS error the token
endpoint would answer instead, without signing anything.

The claims come from the code that mints them: an app-only token's from ``app_access.app_request`` (the
client_credentials grant's, the managed identity endpoints' and impersonation's decision), a user's from
``user_access.decide`` and ``user_access.token_request`` (every people's grant's), both written by
``domain/claims.py``. Only ``iat``/``nbf``/``exp`` (minting time) and the opaque ``aio``, ``rh`` and ``uti``
differ from a token minted at the same moment. ``preview_explain`` says where each claim comes from.

Shapes: ``app`` (a service principal by client credentials with a secret: ``appidacr`` 1), ``managed``
(a managed identity through its platform endpoint: ``appidacr`` 2, a 24 hour token, no assignment check) and
``user`` (a user signed in through a client: delegated, ``scp`` as consented, by the password, code or refresh
token grant alike).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..domain import aadsts, builtins
from ..domain.claims import AppTokenRequest, UserTokenRequest, app_only_claims, user_claims
from ..domain.errors import OAuthError
from ..domain.model import ServicePrincipal
from . import errors, user_access
from .app_access import app_request
from .assertion_errors import unknown_user
from .directory_cache import DirectoryView
from .managed_identity import MI_TOKEN_LIFETIME
from .people_clients import PeopleClient, client_of, is_public_client
from .preview_explain import Explainer
from .scopes import AccessRequest, from_scope

if TYPE_CHECKING:
    from .service import TokenService


@dataclass(frozen=True)
class Refusal:
    """What the token endpoint would answer instead of a token, and why in words."""

    aadsts: int | None     # None: a managed identity endpoint's own refusal ("Identity not found")
    error: str
    description: str
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {"aadsts": self.aadsts, "error": self.error, "description": self.description,
                "explanation": self.explanation}


@dataclass(frozen=True)
class Preview:
    """A previewed token: its shape, version, claims in Entra's order with a sentence each, or a refusal."""

    shape: str                                   # "app", "managed" or "user"
    version: int | None                          # 1 or 2 (the resource's requestedAccessTokenVersion)
    claims: dict[str, Any] = field(default_factory=dict)
    explanations: dict[str, str] = field(default_factory=dict)
    refusal: Refusal | None = None
    request: AppTokenRequest | UserTokenRequest | None = None   # what a mint signs (None when refused)
    principal_name: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"shape": self.shape, "version": self.version, "issued": self.refusal is None,
                "claims": [{"name": name, "value": value, "explanation": self.explanations.get(name, "")}
                           for name, value in self.claims.items()],
                "refusal": self.refusal.to_json() if self.refusal else None}


def refusal_of(exc: OAuthError) -> Refusal:
    return Refusal(exc.aadsts, exc.error, exc.description, aadsts.explain(exc.aadsts))


def preview(service: TokenService, tenant_id: str, principal: str, resource: str, client_app_id: str | None = None,
            scopes: tuple[str, ...] | None = None, host: str | None = None) -> Preview:
    """The token ``principal`` would get for ``resource``: a service principal or managed identity (object
    id or appId) gets the app-only shape (a managed identity as asked from ``host``, a resource id, when
    given), a user (object id or userPrincipalName) the delegated one through ``client_app_id`` (by default
    the Azure CLI, a public client)."""
    if _service_principal(service, tenant_id, principal) is not None:
        return preview_app(service, tenant_id, principal, resource, host)
    with service.store.read() as tx:
        user = tx.user(tenant_id, principal) if len(principal) <= 256 else None
    if user is None:
        return Preview("app", None, refusal=refusal_of(OAuthError(
            400, "invalid_request", 700016, f"No service principal, managed identity or user "
            f"'{principal[:64]}' in this tenant.")))
    return preview_user(service, tenant_id, principal, client_app_id or builtins.AZURE_CLI_APP_ID, resource, scopes)


def preview_app(service: TokenService, tenant_id: str, principal: str, resource: str,
                host: str | None = None) -> Preview:
    """The app-only token the service principal or managed identity ``principal`` (object id or appId) would
    get for ``resource`` (an App ID URI, appId or Graph's URL; ``/.default`` allowed); a managed identity's
    as its endpoint on ``host`` (a resource id) answers: a user-assigned one then carries ``xms_az_rid``."""
    resource = resource.removesuffix("/.default")
    view = service.directory_cache.view()
    client = _service_principal(service, tenant_id, principal)
    if client is None:
        return Preview("app", None, refusal=refusal_of(errors.unknown_client(principal[:64], tenant_id)))
    managed = client.service_principal_type == "ManagedIdentity"
    shape = "managed" if managed else "app"
    if managed and not client.account_enabled:
        return Preview(shape, None, refusal=Refusal(None, "invalid_request", "Identity not found",
                                                    "The managed identity is disabled: its endpoint answers "
                                                    "400 'Identity not found', as Azure's does."))
    try:
        request = app_request(service, view, tenant_id, client, resource, "2" if managed else "1",
                              require_assignment=not managed, host_resource_id=host if managed else None)
    except OAuthError as exc:
        return Preview(shape, None, refusal=refusal_of(exc))
    lifetime = MI_TOKEN_LIFETIME if managed else service.app_token_lifetime[0]
    claims = app_only_claims(request, service.issuers(tenant_id), int(service.clock()), lifetime)
    explain = Explainer(service, view, tenant_id, request.resource_app_id)
    return Preview(shape, request.version, claims, explain.app(claims, client, request, managed), None, request,
                   client.display_name)


def preview_user(service: TokenService, tenant_id: str, user_key: str, client_app_id: str, resource: str,
                 scopes: tuple[str, ...] | None = None) -> Preview:
    """The access token ``user_key`` (object id or userPrincipalName) would get through the client
    ``client_app_id`` for ``resource`` with ``scopes`` (scope values; None: ``.default``, everything held)."""
    view = service.directory_cache.view()
    with service.store.read() as tx:
        user = tx.user(tenant_id, user_key) if len(user_key) <= 256 else None
    if user is None:
        return Preview("user", None, refusal=refusal_of(unknown_user(user_key, tenant_id)))
    try:
        client = _people_client(view, tenant_id, client_app_id)
        access = _access(resource, scopes)
        granted = user_access.decide(service, view, service.tenant(tenant_id), user, client, access)
    except OAuthError as exc:
        return Preview("user", None, refusal=refusal_of(exc))
    request = user_access.token_request(service, view, user, client, access, granted)
    claims = user_claims(request, service.issuers(tenant_id), int(service.clock()), service.app_token_lifetime[0])
    explain = Explainer(service, view, tenant_id, request.resource_app_id)
    return Preview("user", request.version, claims, explain.user(claims, user, client, request), None, request,
                   user.user_principal_name)


def _service_principal(service: TokenService, tenant_id: str, key: str) -> ServicePrincipal | None:
    key = key.lower()
    if len(key) > 64:
        return None
    with service.store.read() as tx:
        return tx.service_principal(tenant_id, key) or tx.service_principal_by_app_id(tenant_id, key)


def _people_client(view: DirectoryView, tenant_id: str, client_app_id: str) -> PeopleClient:
    """The client as a sign-in would find it: a public one signs in without a credential ("0"), any other
    with its secret ("1")."""
    app, sp = client_of(view, tenant_id, client_app_id.lower())
    if sp is None:
        raise errors.unknown_client(client_app_id[:64], tenant_id)
    if not sp.account_enabled:
        raise errors.disabled_client(client_app_id)
    public = is_public_client(sp, app)
    return PeopleClient(sp, app, "0" if public else "1", "public" if public else "confidential")


def _access(resource: str, scopes: tuple[str, ...] | None) -> AccessRequest:
    """What a client asking for ``scopes`` of ``resource`` (None: ``.default``) asks for, as v2's ``scope``."""
    base = resource.removesuffix("/.default").rstrip("/")
    return from_scope(" ".join(f"{base}/{s}" for s in (scopes or (".default",))))
