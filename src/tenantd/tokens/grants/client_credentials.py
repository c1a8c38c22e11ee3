"""client_credentials with a client secret (form or HTTP Basic): an app-only token for one resource."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ...domain.model import Application, Tenant
from .. import errors
from ..request import IssuedToken, TokenRequest, client_id_of, requested_resource
from ..resources import resolve

if TYPE_CHECKING:
    from ..service import TokenService


def grant(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken:
    client_id = client_id_of(request)
    resource_name = requested_resource(request)
    with service.store.read() as tx:
        app = tx.application_by_app_id(tenant.id, client_id)
        client = tx.service_principal_by_app_id(tenant.id, client_id)
        if app is None or client is None:
            raise errors.unknown_client(client_id, tenant.id)
        _authenticate(service, app, request)
        if not client.account_enabled:
            raise errors.disabled_client(client_id)
        resource = resolve(tx, tenant.id, resource_name, service.public_url)
        if resource is None:
            raise errors.unknown_resource(resource_name, tenant.id)
        roles = service.roles(tx, [client.id], resource.service_principal)
    if roles is None and resource.service_principal.app_role_assignment_required:
        raise errors.assignment_required(client_id, resource.service_principal.app_id)
    return service.issue(tenant.id, client, resource, resource_name, "1", roles or ())


def _authenticate(service: TokenService, app: Application, request: TokenRequest) -> None:
    """Check the client secret against every stored hash; an expired match is its own error."""
    secret = request.form.get("client_secret") or (request.basic_auth[1] if request.basic_auth else "")
    if not secret:
        raise errors.missing_credential(app.app_id)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    matched = [c for c in app.password_credentials if service.hasher.matches(secret, c.secret_hash)]
    if not matched:
        raise errors.invalid_secret(app.app_id)
    if not any(c.start <= now < c.end for c in matched):
        raise errors.expired_secret(app.app_id, matched[0].key_id)
