"""password (ROPC): a user's tokens for her name and password.

The client is a public client or proves itself with a credential (SECURITY.md item 48): any other client gets
AADSTS7000218, as from Entra (``tokens/people_clients.py``). The password is checked behind the lockouts and
in the bounded pool of ``tokens/passwords.py``; a wrong password and an unknown user get the same AADSTS50126.
Then, as in Entra: a disabled account AADSTS50057, a password the user must change first AADSTS50055. The
answer is ``tokens/user_access.py``'s. Through ``common`` or ``organizations`` the user name's domain names
the tenant; a domain no tenant holds is an unknown user (the same AADSTS50126, in the same time).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ...domain.errors import OAuthError
from ...domain.model import Tenant
from .. import errors, refresh_tokens, scopes, user_access
from ..passwords import wrong_password
from ..people_clients import identify
from ..request import IssuedToken, TokenRequest

if TYPE_CHECKING:
    from ..service import TokenService

MAX_USERNAME = 256
# The lockout counters' tenant for names whose domain no tenant holds (asked through ``common``).
NO_TENANT = str(uuid.uuid5(uuid.UUID("6f1b9ad2-3c56-4c1e-9a57-0f5d1f3e8b10"), "no tenant"))


def grant(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken:
    view = service.directory_cache.view()
    client = identify(service, tenant, request, view)
    username, password = _required(request, "username"), _required(request, "password")
    access = scopes.requested(request)
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
    lineage = None
    if user_access.wants_refresh_token(request, access):
        lineage = refresh_tokens.Lineage(request.form.get("scope", ""), _v1_resource(request),
                                         refresh_tokens.new_grant_id(), int(service.clock()))
    return user_access.respond(service, tenant, request, user, client, access, lineage,
                               id_token=user_access.wants_id_token(request, access))


def tenant_of(service: TokenService, request: TokenRequest) -> Tenant:
    """Through ``common``: the tenant holding the user name's domain. A name no tenant holds costs what a wrong
    password costs and gets its answer."""
    username = request.form.get("username", "")[:MAX_USERNAME]
    domain = username.rpartition("@")[2]
    with service.store.read() as tx:
        found = tx.domain(domain) if domain else None
        tenant = tx.tenant(found.tenant_id) if found is not None else None
    if tenant is None:
        service.password_checks.check(NO_TENANT, username, request.client_ip, None,
                                      request.form.get("password", ""))
        raise wrong_password()
    return tenant


def _v1_resource(request: TokenRequest) -> str | None:
    """The v1 ``resource`` the refresh token keeps (None for a v2 ``scope``)."""
    if request.endpoint_version != 1:
        return None
    return request.form.get("resource") or None


def _required(request: TokenRequest, name: str) -> str:
    value = request.form.get(name, "")
    if not value:
        raise errors.invalid_request(f"The request body must contain the following parameter: '{name}'.")
    return value


def password_expired() -> OAuthError:
    return OAuthError(400, "invalid_grant", 50055, "The password is expired. The user must change it before "
                      "signing in (forceChangePasswordNextSignIn).")
