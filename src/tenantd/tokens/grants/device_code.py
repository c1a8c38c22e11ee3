"""The device code grant (RFC 8628 section 3.4): ``urn:ietf:params:oauth:grant-type:device_code`` with
``device_code``, and v1's ``device_code`` with ``code``. The device polls until the person answers.

Each poll is recorded: before the answer, ``authorization_pending`` (AADSTS70016), or ``slow_down`` when it
comes sooner than the interval after the last; then ``authorization_declined``, ``expired_token`` after the
15 minutes, ``bad_verification_code`` for a code this tenant and client were not given; once approved, the
tokens, once (a conditional update in the store: of two polls racing, one gets them). The client must still be
a public one or present its credential (SECURITY.md item 48). Through ``common``, a code nobody has answered
yet has no tenant: its polls are answered without one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...domain.errors import OAuthError
from ...domain.model import Tenant
from ...domain.sign_in_state import DeviceCode, secret_hash
from .. import errors, refresh_tokens, scopes, user_access
from ..people_clients import identify
from ..request import IssuedToken, TokenRequest, client_id_of

if TYPE_CHECKING:
    from ..service import TokenService

GRANT_TYPES = ("urn:ietf:params:oauth:grant-type:device_code", "device_code")


def grant(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken:
    client = identify(service, tenant, request, service.directory_cache.view())
    code = poll(service, request, tenant.id)
    user = user_access.user_of(service.directory_cache.view(), tenant.id, code.user_id) if code.user_id else None
    if user is None:
        raise errors.bad_verification_code()
    granted = scopes.requested(request, scope=code.scope, resource=code.resource)
    auth_time = code.auth_time or int(service.clock())
    lineage = None
    if user_access.wants_refresh_token(request, granted):
        lineage = refresh_tokens.Lineage(code.scope, code.resource, refresh_tokens.new_grant_id(), auth_time)
    return user_access.respond(service, tenant, request, user, client, granted, lineage,
                               id_token=user_access.wants_id_token(request, granted))


def tenant_of(service: TokenService, request: TokenRequest) -> Tenant:
    """Through ``common``: the tenant of the person who answered; before anyone has, the poll's answer."""
    with service.store.read() as tx:
        code = tx.device_code(secret_hash(_device_code(request)))
    if code is None or code.tenant_id is None:
        poll(service, request, None)   # raises: nobody has answered it
    assert code is not None and code.tenant_id is not None
    return service.tenant(code.tenant_id)


def poll(service: TokenService, request: TokenRequest, tenant_id: str | None) -> DeviceCode:
    """Record the poll; the approved code, now redeemed, or the answer that polling goes on or ends."""
    code_hash, now = secret_hash(_device_code(request)), int(service.clock())
    client_id = client_id_of(request)
    refusal: OAuthError | None = None
    with service.store.write() as tx:
        code = tx.device_code(code_hash)
        if code is None or code.client_app_id != client_id or (code.tenant_id or tenant_id) != tenant_id:
            refusal = errors.bad_verification_code()
        elif now >= code.expires:
            refusal = errors.device_code_expired()
        elif code.status == "pending":
            tx.poll_device_code(code_hash, now)
            too_soon = code.last_poll is not None and now - code.last_poll < code.interval
            refusal = errors.slow_down(code.interval) if too_soon else errors.authorization_pending()
        elif code.status == "declined":
            refusal = errors.authorization_declined()
        elif not tx.redeem_device_code(code_hash):
            refusal = errors.invalid_grant("The device code was already redeemed.")
    if refusal is not None:   # raised once the poll is recorded
        raise refusal
    assert code is not None
    return code


def _device_code(request: TokenRequest) -> str:
    value = request.form.get("device_code") or request.form.get("code", "")
    if not value:
        raise errors.invalid_request("The request body must contain the following parameter: 'device_code'.")
    return value
