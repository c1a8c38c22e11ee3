"""Where the logout endpoint may send the browser after signing out (SECURITY.md item 40): only to a redirect
URI registered on the application the request names, by ``client_id`` or by the audience of an
``id_token_hint`` this server signed. Anything else shows "You signed out" and redirects nowhere, so the
endpoint is no open redirect."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from ..domain.errors import OAuthError
from ..domain.ids import is_guid
from . import jwt
from .authorize import DEFERRED_TENANTS, redirect_platform
from .interactive import find_client
from .service import TokenService

MAX_HINT = 16 * 1024


def after_sign_out(service: TokenService, tenant_key: str, params: Mapping[str, str]) -> str | None:
    """The URL to send the browser to, or None to show the signed-out page."""
    target = params.get("post_logout_redirect_uri", "")
    client_id = params.get("client_id") or _audience(service, params.get("id_token_hint", ""))
    if not target or len(target) > 512 or not client_id:
        return None
    try:
        tenant = None if tenant_key.lower() in DEFERRED_TENANTS else service.tenant(tenant_key)
    except OAuthError:
        return None
    client = find_client(service, tenant, client_id)
    if client is None or redirect_platform(client, target) is None:
        return None
    state = params.get("state")
    if state is None or len(state) > 2048:
        return target
    return f"{target}{'&' if '?' in target else '?'}{urlencode({'state': state})}"


def _audience(service: TokenService, token: str) -> str | None:
    """The client an ID token of this server was issued to. Its signature must verify with one of the
    tenant's keys; an expired one is still a fine hint of who signs out, as in Entra."""
    if not token or len(token) > MAX_HINT:
        return None
    try:
        header, claims = jwt.unverified_parts(token)
        tenant_id, kid, audience = claims.get("tid"), header.get("kid"), claims.get("aud")
        if not (is_guid(tenant_id) and isinstance(kid, str) and is_guid(audience)):
            return None
        keys = [k for k in service.keyring.verifying(str(tenant_id), kid) if k.kid == kid]
        if not keys:
            return None
        jwt.verify_assertion(token, keys[0].private_key.public_key(), "RS256")
    except Exception:   # any malformed hint is no hint
        return None
    return str(audience)
