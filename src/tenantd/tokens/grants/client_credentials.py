"""client_credentials: an app-only token for one resource, for a client that authenticated with a secret,
a certificate or a federated credential (:mod:`tenantd.tokens.client_auth`). A user-assigned managed
identity signing in with a federated credential (workload identity) gets a managed identity's token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...domain.model import Tenant
from .. import errors
from ..client_auth import authenticate
from ..request import IssuedToken, TokenRequest, client_id_of, requested_resource

if TYPE_CHECKING:
    from ..service import TokenService


def grant(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken:
    resource_name = requested_resource(request)
    view = service.directory_cache.view()
    with service.throttle.guard(tenant.id, client_id_of(request), request.client_ip):
        authenticated = authenticate(service, tenant, request, view)
    client = authenticated.service_principal
    if not client.account_enabled:
        raise errors.disabled_client(client.app_id)
    resource = service.resource(view, tenant.id, resource_name)
    if resource is None:
        raise errors.unknown_resource(resource_name, tenant.id)
    roles = service.assigned_roles(view, client.id, resource.service_principal)
    if roles is None and resource.service_principal.app_role_assignment_required:
        raise errors.assignment_required(client.app_id, resource.service_principal.app_id)
    extra: tuple[tuple[str, str], ...] = ()
    if client.service_principal_type == "ManagedIdentity" and client.managed_identity_resource_id:
        extra = (("xms_mirid", client.managed_identity_resource_id),)
    return service.issue(tenant.id, client, resource, resource_name, authenticated.auth_class, roles or (), extra)
