"""client_credentials: an app-only token for one resource, for a client that authenticated with a secret,
a certificate or a federated credential (:mod:`tenantd.tokens.client_auth`). A user-assigned managed
identity signing in with a federated credential (workload identity) gets a managed identity's token. The
token carries the client's groups when the resource's ``groupMembershipClaims`` asks for them, as Entra's
app-only tokens do (``tokens/group_claims.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...domain.errors import OAuthError
from ...domain.model import Tenant
from ..app_access import app_request
from ..client_auth import AuthenticatedClient, authenticate
from ..directory_cache import DirectoryView, NotInMemory
from ..keys import SigningKey
from ..request import IssuedToken, TokenRequest, client_id_of, requested_resource

if TYPE_CHECKING:
    from ..service import TokenService


def grant(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken:
    resource_name = requested_resource(request)
    view = service.directory_cache.view()
    with service.throttle.guard(tenant.id, client_id_of(request), request.client_ip):
        authenticated = authenticate(service, tenant, request, view)
    return _token(service, tenant, resource_name, view, authenticated)


def from_memory(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken | None:
    """The token when memory alone can issue it, without a read or a wait (for the event loop): a client
    secret (an assertion's issuer may have to be fetched), a source that is not blocked, the directory's
    version known without a wait (``DirectoryCache.quick_view``), and the client, the resource, the roles
    and the signing key all in memory. Else None: the caller takes the full path (``grant``), which also
    gives every refusal and counts every failed authentication."""
    form = request.form
    if "client_assertion" in form or "client_assertion_type" in form:
        return None
    view = service.directory_cache.quick_view()
    key = service.keyring.known_active(tenant.id)
    if view is None or key is None:
        return None
    memory = view.in_memory()
    try:
        resource_name = requested_resource(request)
        if service.throttle.blocked(tenant.id, client_id_of(request), request.client_ip):
            return None
        return _token(service, tenant, resource_name, memory, authenticate(service, tenant, request, memory), key)
    except (NotInMemory, OAuthError):
        return None


def _token(service: TokenService, tenant: Tenant, resource_name: str, view: DirectoryView,
           authenticated: AuthenticatedClient, key: SigningKey | None = None) -> IssuedToken:
    client = authenticated.service_principal
    request = app_request(service, view, tenant.id, client, resource_name, authenticated.auth_class)
    return service.sign_app(request, client.display_name, key=key)
