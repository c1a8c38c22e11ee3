"""The device authorization endpoint (RFC 8628 section 3.1): ``POST /{tenant}/oauth2/v2.0/devicecode``
(``client_id``, ``scope``) and v1's ``/{tenant}/oauth2/devicecode`` (``client_id``, ``resource``).

The device gets a ``device_code`` (256 random bits; only its hash is stored) to poll the token endpoint with
(``grants/device_code.py``) and shows the person a ``user_code`` to enter at ``{public_url}/devicelogin``. User
codes are nine characters of an alphabet without vowels (no words) and without 0 and 1 (nothing to misread as
O or I): 28^9, about 43 bits, for a code that lives 15 minutes and whose guessing the page throttles (SECURITY
item 47). Only a client allowed public client flows, or one presenting its credential, may start (item 48).

Through ``common`` or ``organizations`` the code has no tenant until a person answers it: hers. An
application of one organization (AzureADMyOrg) asks at its tenant's endpoint only (AADSTS50194).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from ..domain import builtins
from ..domain.model import Tenant
from ..domain.sign_in_state import DeviceCode, secret_hash
from ..store.sql import DuplicateKey
from . import errors, scopes, sign_in_errors
from .discovery import is_multi_tenant
from .people_clients import identify
from .request import TokenRequest, client_id_of

if TYPE_CHECKING:
    from .service import TokenService

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ23456789"
USER_CODE_LENGTH = 9
LIFETIME = 900       # seconds, as Entra's
INTERVAL = 5         # seconds between polls
_ATTEMPTS = 5        # user codes drawn before giving up on a collision


def new_user_code() -> str:
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def start(service: TokenService, request: TokenRequest) -> dict[str, Any]:
    """A new device authorization: the answer in the endpoint version's shape."""
    if is_multi_tenant(request.tenant):
        home, tenant_id = _home_tenant(service, client_id_of(request)), None
    else:
        home = service.tenant(request.tenant)
        tenant_id = home.id
    client = identify(service, home, request, service.directory_cache.view())
    scopes.requested(request)   # what no grant could answer is refused now, not at the first poll
    form, v1 = request.form, request.endpoint_version == 1
    device_code, now = secrets.token_urlsafe(32), int(service.clock())
    for _ in range(_ATTEMPTS):
        user_code = new_user_code()
        record = DeviceCode(
            device_code_hash=secret_hash(device_code), user_code=user_code, tenant_id=tenant_id,
            client_app_id=client.service_principal.app_id, scope=form.get("scope", ""),
            resource=(form.get("resource") or None) if v1 else None, endpoint_version=request.endpoint_version,
            created=now, expires=now + LIFETIME, interval=INTERVAL)
        try:
            with service.store.write() as tx:
                tx.insert_device_code(record)
            break
        except DuplicateKey:
            continue
    else:
        raise errors.OAuthError(503, "temporarily_unavailable", 90033, "No free user code was found; retry.")
    uri = f"{service.public_url}/devicelogin"
    message = (f"To sign in, use a web browser to open the page {uri} and enter the code {user_code} to "
               "authenticate.")
    if v1:
        return {"user_code": user_code, "device_code": device_code, "verification_url": uri,
                "expires_in": str(LIFETIME), "interval": str(INTERVAL), "message": message}
    return {"user_code": user_code, "device_code": device_code, "verification_uri": uri, "expires_in": LIFETIME,
            "interval": INTERVAL, "message": message}


def _home_tenant(service: TokenService, client_id: str) -> Tenant:
    """The tenant a client asking through ``common`` is checked in: its application's, which must admit every
    organization's people (AADSTS50194 otherwise), or for Microsoft's public clients (in every tenant) the
    default tenant."""
    with service.store.read() as tx:
        if client_id in builtins.PUBLIC_CLIENT_APP_IDS:
            tenant_id = tx.setting("default_tenant")
        else:
            tenant_id = tx.app_id_tenant(client_id)
            app = tx.application_by_app_id(tenant_id, client_id) if tenant_id is not None else None
            if app is not None and not app.multi_tenant:
                raise sign_in_errors.single_tenant_at_common(app.app_id, app.display_name)
    if tenant_id is None:
        raise errors.unknown_client(client_id, "common")
    return service.tenant(tenant_id)
