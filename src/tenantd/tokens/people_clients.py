"""The client a person signs in through, and how it proves itself (SECURITY.md items 38, 46 and 48).

A client is one of three kinds, which its refresh tokens keep (revocation and lifetime follow the kind):

- ``public``: it holds no secret. For the password and device code grants, a built-in first-party public
  client (the Azure CLI ...) or an application that allows public client flows (``isFallbackPublicClient``);
  for an authorization code, a code sent to a mobile and desktop (``publicClient``) redirect URI, or to a
  first-party public client's loopback one;
- ``spa``: a code sent to one of the application's ``spa`` redirect URIs. As in Entra, it is redeemed from a
  browser (with an ``Origin`` header) and never with a credential, and its refresh tokens end 24 hours after
  the sign-in; no other kind may be redeemed cross-origin;
- ``confidential``: any other, which proves itself with its credential (:mod:`tenantd.tokens.client_auth`);
  without one, AADSTS7000218.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..domain import builtins
from ..domain.model import Application, ServicePrincipal, Tenant
from ..domain.sign_in_rules import LOOPBACK_HOSTS
from . import errors
from .client_auth import authenticate, authenticate_from_memory, presented_methods
from .directory_cache import DirectoryView
from .request import TokenRequest, client_id_of

if TYPE_CHECKING:
    from .service import TokenService


@dataclass(frozen=True)
class PeopleClient:
    """A client signing a person in: its service principal and application (none for a built-in), its
    ``appidacr`` ("0" public, "1" secret, "2" certificate or federated credential) and its kind."""

    service_principal: ServicePrincipal
    application: Application | None
    auth_class: str
    kind: str


def identify(service: TokenService, tenant: Tenant, request: TokenRequest, view: DirectoryView,
             kind: str | None = None, *, from_memory: bool = False) -> PeopleClient:
    """The request's client. ``kind`` is what the code or refresh token was issued to; without one (the
    password and device code grants), a client that allows public client flows is public and any other must
    present its credential. ``from_memory``: on the event loop, its credential checked as
    ``client_auth.authenticate_from_memory`` checks it (a refusal is then the full path's to count)."""
    client_id = client_id_of(request)
    if presented_methods(request):
        if kind == "spa":
            raise errors.public_client_credential(client_id)
        if from_memory:
            authenticated = authenticate_from_memory(service, tenant, request, view)
        else:
            with service.throttle.guard(tenant.id, client_id, request.client_ip):
                authenticated = authenticate(service, tenant, request, view)
        app, _ = client_of(view, tenant.id, client_id)
        found = PeopleClient(authenticated.service_principal, app, authenticated.auth_class, kind or "confidential")
    else:
        app, sp = client_of(view, tenant.id, client_id)
        if sp is None:
            raise errors.unknown_client(client_id, tenant.id)
        if kind == "confidential" or (kind is None and not is_public_client(sp, app)):
            raise errors.missing_credential(client_id)
        found = PeopleClient(sp, app, "0", kind or "public")
    if not found.service_principal.account_enabled:
        raise errors.disabled_client(client_id)
    return found


def client_of(view: DirectoryView, tenant_id: str, app_id: str) -> tuple[Application | None, ServicePrincipal | None]:
    """An application and its service principal by appId, through the directory cache (the key client
    authentication reads them under)."""
    app, sp = view.get(("client", tenant_id, app_id), lambda tx: (
        tx.application_by_app_id(tenant_id, app_id), tx.service_principal_by_app_id(tenant_id, app_id)))
    return app, sp if isinstance(sp, ServicePrincipal) else None


def is_public_client(sp: ServicePrincipal, app: Application | None) -> bool:
    """A client that may sign people in without a credential of its own (SECURITY item 48): a built-in
    first-party public client (the Azure CLI ...) or an application that allows public client flows."""
    return sp.app_id in builtins.PUBLIC_CLIENT_APP_IDS or bool(app and app.is_fallback_public_client)


def redirect_kind(sp: ServicePrincipal, app: Application | None, redirect_uri: str) -> str:
    """The kind of client a code sent to ``redirect_uri`` was issued to (see the module's docstring)."""
    if app is None:
        return "public" if sp.app_id in builtins.PUBLIC_CLIENT_APP_IDS else "confidential"
    if redirect_uri in app.spa_redirect_uris:
        return "spa"
    if any(_same_public_uri(redirect_uri, registered) for registered in app.public_client_redirect_uris):
        return "public"
    return "confidential"


def _same_public_uri(given: str, registered: str) -> bool:
    """Equal, or the same loopback URI on another port (RFC 8252: a native app picks its port)."""
    if given == registered:
        return True
    try:
        a, b = urlsplit(given), urlsplit(registered)
        if a.hostname not in LOOPBACK_HOSTS or b.hostname not in LOOPBACK_HOSTS:
            return False
        return (a.scheme, a.hostname, a.path, a.query) == (b.scheme, b.hostname, b.path, b.query)
    except ValueError:
        return False


def check_origin(request: TokenRequest, kind: str) -> None:
    """A spa's tokens are redeemed cross-origin (from its browser) and only a spa's are (Entra's rule)."""
    if kind == "spa" and not request.origin:
        raise errors.spa_needs_origin()
    if kind != "spa" and request.origin:
        raise errors.cross_origin_not_spa(request.origin)
