"""Impersonation: a token minted as another principal of the caller's tenant, without its credential.

``Tenantd.Impersonate`` lets a caller act as the tenant's workloads and users, to run and test them. A
principal that holds a directory role (Global Administrator ...) or a role on an API that manages the
directory (Microsoft Graph, Azure AD Graph, tenantd's admin API), itself or through a group, is out of its
reach: acting as it would hand the caller power over the whole tenant. Only a caller that also holds
``Tenantd.Admin``, which has that power already, may act as it.
"""

from __future__ import annotations

from ..directory import holds_directory_roles, privileged_principal
from ..domain.claims import UserTokenRequest
from ..domain.errors import GraphError, OAuthError
from ..domain.model import ServicePrincipal, User
from ..store import Tx
from . import errors, signins
from .app_access import app_request
from .group_claims import groups_for
from .managed_identity import MI_TOKEN_LIFETIME
from .preview import Preview
from .request import IssuedToken
from .resources import resolve
from .service import TokenService


def issue_as(service: TokenService, tenant_id: str, principal_id: str, resource_name: str, *,
             caller_is_admin: bool = False) -> IssuedToken:
    """A token for a service principal, managed identity or user of ``tenant_id``, with exactly its assigned
    roles and the groups the resource asks for (managed identities get their platform claims, ``appidacr`` 2
    and ``xms_mirid``). A principal with
    directory roles needs ``caller_is_admin``. Minted or refused, it is in the sign-in log."""
    try:
        issued = _mint_as(service, tenant_id, principal_id, resource_name, caller_is_admin)
    except OAuthError as exc:
        service.record(signins.refused(tenant_id, "impersonation", service.clock(), exc.description,
                                       code=exc.aadsts, resource=resource_name))
        raise
    except GraphError as exc:
        service.record(signins.refused(tenant_id, "impersonation", service.clock(), exc.message,
                                       resource=resource_name))
        raise
    service.record(signins.issued(tenant_id, "impersonation", issued, service.clock()))
    return issued


def mint_previewed(service: TokenService, tenant_id: str, previewed: Preview, *,
                   caller_is_admin: bool = False) -> IssuedToken:
    """The token a preview showed, signed: the same claims but the minting time and the opaque values. It is
    impersonation, with its limits (a principal with directory roles needs ``caller_is_admin``) and its
    sign-in log entry."""
    request = previewed.request
    if request is None:
        raise ValueError("A refused preview has no token to mint.")
    subject = request.user_object_id if isinstance(request, UserTokenRequest) else request.client_object_id
    with service.store.read() as tx:
        principal = tx.service_principal(tenant_id, subject) or tx.user(tenant_id, subject)
        assert principal is not None   # the preview read it
        _within_reach(service, tx, principal, caller_is_admin)
    if isinstance(request, UserTokenRequest):
        issued = service.sign_user(request)
    else:
        managed = previewed.shape == "managed"
        issued = service.sign_app(request, previewed.principal_name, lifetime=MI_TOKEN_LIFETIME if managed
                                  else None)
    service.record(signins.issued(tenant_id, "impersonation", issued, service.clock()))
    return issued


def _within_reach(service: TokenService, tx: Tx, principal: ServicePrincipal | User, caller_is_admin: bool) -> None:
    if caller_is_admin:
        return
    if holds_directory_roles(tx, principal.tenant_id, service.role_holders(tx, principal)):
        name = principal.user_principal_name if isinstance(principal, User) else principal.display_name
        raise privileged_principal([name])


def _mint_as(service: TokenService, tenant_id: str, principal_id: str, resource_name: str,
             caller_is_admin: bool) -> IssuedToken:
    with service.store.read() as tx:
        client = tx.service_principal(tenant_id, principal_id)
        if client is None:
            user = tx.user(tenant_id, principal_id)
            if user is None:
                raise errors.OAuthError(400, "invalid_request", 700016, f"No service principal, managed "
                                        f"identity or user '{principal_id}' in this tenant.")
            _within_reach(service, tx, user, caller_is_admin)
            return _mint_user(service, tx, user, resource_name)
        _within_reach(service, tx, client, caller_is_admin)
    request = app_request(service, service.directory_cache.view(), tenant_id, client, resource_name,
                          "2" if client.service_principal_type == "ManagedIdentity" else "1")
    return service.sign_app(request, client.display_name)


def _mint_user(service: TokenService, tx: Tx, user: User, resource_name: str) -> IssuedToken:
    """A user's token as if the user had signed in to Azure CLI (no password involved)."""
    resource = resolve(tx, user.tenant_id, resource_name, service.public_url)
    if resource is None:
        raise errors.unknown_resource(resource_name, user.tenant_id)
    if not user.account_enabled:
        raise errors.disabled_user(user.user_principal_name)
    roles = service.roles(tx, service.role_holders(tx, user), resource.service_principal)
    if roles is None and resource.service_principal.app_role_assignment_required:
        raise errors.user_not_assigned(user.user_principal_name, resource.service_principal.app_id)
    groups = groups_for(service.directory_cache.view(), user.tenant_id, resource.service_principal, user.id)
    return service.sign_user(service.user_token_request(user, resource, resource_name, roles or (), groups=groups))
