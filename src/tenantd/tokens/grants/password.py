"""password (ROPC): a user's access token for one resource, for the user's name and password.

The client is a public client or proves itself with a credential (SECURITY.md item 48): any other client gets
AADSTS7000218, as from Entra. The public clients are the first-party ones a tenant holds (the Azure CLI).
The password is checked behind the lockouts and in the bounded pool of ``tokens/passwords.py``; a wrong
password and an unknown user get the same AADSTS50126. Then, as in Entra: a disabled account AADSTS50057,
a password the user must change first AADSTS50055, a resource that requires an assignment she lacks
AADSTS50105. The token is the one ``tenantd token --as <user>`` mints: the user's and her groups' roles;
with ``openid`` in the scope, an ID token for the client comes with it.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from ...domain import builtins
from ...domain.errors import OAuthError
from ...domain.model import Application, ServicePrincipal, Tenant
from .. import errors
from ..client_auth import authenticate, presented_methods
from ..directory_cache import DirectoryView
from ..passwords import wrong_password
from ..request import IssuedToken, TokenRequest, client_id_of
from ..resources import resolve

if TYPE_CHECKING:
    from ..service import TokenService

OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
MAX_USERNAME = 256


def grant(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken:
    view = service.directory_cache.view()
    client, auth_class = _client(service, tenant, request, view)
    username, password = _required(request, "username"), _required(request, "password")
    resource_name, scope = _resource(request)
    with service.store.read() as tx:
        user = tx.user(tenant.id, username) if len(username) <= MAX_USERNAME and "@" in username else None
        stored = tx.password_of(user.id) if user is not None else None
    service.password_checks.check(tenant.id, username[:MAX_USERNAME], request.client_ip,
                                  stored.hash if stored else None, password)
    if user is None or stored is None:   # the dummy hash matches no password: never reached
        raise wrong_password()
    if not user.account_enabled:
        raise errors.disabled_user(user.user_principal_name)
    if stored.force_change:
        raise password_expired()
    with service.store.read() as tx:
        resource = resolve(tx, tenant.id, resource_name, service.public_url)
        if resource is None:
            raise errors.unknown_resource(resource_name, tenant.id)
        roles = service.roles(tx, service.role_holders(tx, user), resource.service_principal)
    if roles is None and resource.service_principal.app_role_assignment_required:
        raise errors.user_not_assigned(user.user_principal_name, resource.service_principal.app_id)
    response = [("scope", scope)]
    if request.form.get("client_info") == "1":
        response.append(("client_info", client_info(user.id, tenant.id)))
    return service.issue_user(tenant.id, user, resource, resource_name, roles or (), client.app_id, auth_class,
                              tuple(response), with_id_token="openid" in request.form.get("scope", "").split())


def _client(service: TokenService, tenant: Tenant, request: TokenRequest,
            view: DirectoryView) -> tuple[ServicePrincipal, str]:
    """The client and its ``appidacr``: a public client as it is ("0"), any other by its credential."""
    if presented_methods(request):
        with service.throttle.guard(tenant.id, client_id_of(request), request.client_ip):
            authenticated = authenticate(service, tenant, request, view)
        client = authenticated.service_principal
        auth_class = authenticated.auth_class
    else:
        client_id = client_id_of(request)
        app, sp = view.get(("client", tenant.id, client_id), lambda tx: (
            tx.application_by_app_id(tenant.id, client_id), tx.service_principal_by_app_id(tenant.id, client_id)))
        if not isinstance(sp, ServicePrincipal):
            raise errors.unknown_client(client_id, tenant.id)
        if not is_public_client(sp, app):
            raise errors.missing_credential(client_id)
        client, auth_class = sp, "0"
    if not client.account_enabled:
        raise errors.disabled_client(client.app_id)
    return client, auth_class


def is_public_client(sp: ServicePrincipal, app: Application | None) -> bool:
    """A client that may sign people in without a credential of its own (SECURITY item 48): a built-in
    first-party public client (the Azure CLI ...) or an application that allows public client flows."""
    return sp.app_id in builtins.PUBLIC_CLIENT_APP_IDS or bool(app and app.is_fallback_public_client)


def _required(request: TokenRequest, name: str) -> str:
    value = request.form.get(name, "")
    if not value:
        raise errors.invalid_request(f"The request body must contain the following parameter: '{name}'.")
    return value


def _resource(request: TokenRequest) -> tuple[str, str]:
    """The resource (v1 ``resource``, or v2's one ``<resource>/.default`` beside OpenID Connect's scopes) and
    the scope the response grants."""
    if request.endpoint_version == 1 and "scope" not in request.form:
        resource = _required(request, "resource")
        return resource, "user_impersonation"
    scope = _required(request, "scope")
    named = [s for s in scope.split() if s not in OIDC_SCOPES]
    if len(named) != 1 or not named[0].endswith("/.default") or named[0] == "/.default":
        raise errors.scope_needs_default(scope[:256])
    return named[0].removesuffix("/.default"), named[0]


def client_info(user_id: str, tenant_id: str) -> str:
    """What msal builds its account from: base64url of ``{"uid": <object id>, "utid": <tenant id>}``."""
    raw = json.dumps({"uid": user_id, "utid": tenant_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def password_expired() -> OAuthError:
    return OAuthError(400, "invalid_grant", 50055, "The password is expired. The user must change it before "
                      "signing in (forceChangePasswordNextSignIn).")
