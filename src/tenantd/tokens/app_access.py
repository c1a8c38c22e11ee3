"""What an app-only token carries, decided in one place for every path that mints one (the token endpoint's
client_credentials, the managed identity endpoints, impersonation) and for the token preview, which shows it
without signing: the client must be enabled, the resource in the tenant (AADSTS500011), ``roles`` are the
client's own assignments, a resource that requires an assignment the client lacks refuses it (AADSTS501051),
``groups`` as the resource's ``groupMembershipClaims`` asks, and a managed identity carries its platform
claims (``xms_mirid``, and for a user-assigned one on a host ``xms_az_rid``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..domain.claims import AppTokenRequest
from ..domain.model import ServicePrincipal
from . import errors
from .directory_cache import DirectoryView
from .group_claims import groups_for

if TYPE_CHECKING:
    from .service import TokenService


def managed_identity_claims(client: ServicePrincipal,
                            host_resource_id: str | None = None) -> tuple[tuple[str, str], ...]:
    """A managed identity's platform claims: ``xms_mirid`` (its resource id, else its host's), and
    ``xms_az_rid`` (the host asking) for a user-assigned identity asked through a host. None for other clients."""
    if client.service_principal_type != "ManagedIdentity":
        return ()
    mirid = client.managed_identity_resource_id or host_resource_id
    extra = [("xms_mirid", mirid)] if mirid else []
    if host_resource_id and client.managed_identity_kind == "UserAssigned":
        extra.append(("xms_az_rid", host_resource_id))
    return tuple(extra)


def app_request(service: TokenService, view: DirectoryView, tenant_id: str, client: ServicePrincipal,
                resource_name: str, auth_class: str, *, require_assignment: bool = True,
                host_resource_id: str | None = None) -> AppTokenRequest:
    """What ``client``'s token for the resource it names carries, read through ``view``; the OAuthError the
    token endpoint answers when it gets none. ``require_assignment`` False: the resource's
    ``appRoleAssignmentRequired`` is not checked (the managed identity endpoints do not)."""
    if not client.account_enabled:
        raise errors.disabled_client(client.app_id)
    resource = service.resource(view, tenant_id, resource_name)
    if resource is None:
        raise errors.unknown_resource(resource_name, tenant_id)
    roles = service.assigned_roles(view, client.id, resource.service_principal)
    if roles is None and require_assignment and resource.service_principal.app_role_assignment_required:
        raise errors.assignment_required(client.app_id, resource.service_principal.app_id)
    groups = groups_for(view, tenant_id, resource.service_principal, client.id)
    return service.app_token_request(tenant_id, client, resource, resource_name, auth_class, roles or (),
                                     managed_identity_claims(client, host_resource_id), groups)
