"""authorization_code: a user's tokens for a code the authorize endpoint gave a client (``tokens/codes.py``).

As Entra and RFC 9700 have it (SECURITY.md items 38 and 39):

- the code is looked up by its hash; one this tenant did not issue is AADSTS70000, one past its ten minutes
  AADSTS70008;
- a code is redeemed once: the store marks it in a conditional update, so of two redemptions racing on two
  replicas one wins; any later one gets AADSTS54005 AND revokes every refresh token the first one began
  (RFC 9700 section 4.5: the code has leaked), the one it may still be writing too;
- the ``client_id`` and ``redirect_uri`` must be the code's (AADSTS70000, AADSTS500112); the redirect URI the
  code went to tells the client's kind (``tokens/people_clients.py``): a confidential client authenticates, a
  spa redeems cross-origin without a credential, a public client without one;
- a code with a PKCE challenge needs its S256 verifier (AADSTS501481 when it does not match); a public or
  spa client's code must have one (AADSTS9002325).

The answer is ``tokens/user_access.py``'s, for the code's scope (or the request's, within what consent allows),
with the code's ``nonce`` in the ID token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import TYPE_CHECKING, NoReturn

from ...domain.model import Tenant
from ...domain.sign_in_state import AuthorizationCode, secret_hash
from .. import errors, refresh_tokens, scopes, user_access
from ..people_clients import check_origin, client_of, identify, redirect_kind
from ..request import IssuedToken, TokenRequest, client_id_of

if TYPE_CHECKING:
    from ..service import TokenService

_CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")              # secrets.token_urlsafe(32)
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")          # RFC 7636 section 4.1
UNKNOWN_CODE = "The provided value for the input parameter 'code' is not valid."


def grant(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken:
    code = _code(service, request)
    if code.tenant_id != tenant.id:
        raise errors.invalid_grant(UNKNOWN_CODE)
    now = int(service.clock())
    if now >= code.expires:
        raise errors.code_expired()
    if code.redeemed is not None:
        _refuse_reuse(service, code.code_hash)
    client_id = client_id_of(request)
    if client_id != code.client_app_id:
        raise errors.invalid_grant(f"{UNKNOWN_CODE} It was issued to another application.")
    if request.form.get("redirect_uri", "") != code.redirect_uri:
        raise errors.OAuthError(400, "invalid_grant", 500112, "The reply address of the request does not match "
                                "the reply address provided when requesting the authorization code.")
    view = service.directory_cache.view()
    app, sp = client_of(view, tenant.id, client_id)
    if sp is None:
        raise errors.unknown_client(client_id, tenant.id)
    kind = redirect_kind(sp, app, code.redirect_uri)
    check_origin(request, kind)
    client = identify(service, tenant, request, view, kind)
    _check_verifier(code, request.form.get("code_verifier", ""), kind)
    user = user_access.user_of(service, tenant.id, code.user_id)
    if user is None:
        raise errors.invalid_grant(UNKNOWN_CODE)
    grant_id = refresh_tokens.new_grant_id()
    if not service.store.grant_state.redeem_authorization_code(code.code_hash, now, grant_id):
        _refuse_reuse(service, code.code_hash)   # another redemption won the race
    granted = scopes.requested(request, scope=code.scope, resource=code.resource)
    held = _granted(code)
    lineage = None
    if user_access.wants_refresh_token(request, held):
        lineage = refresh_tokens.Lineage(code.scope, code.resource, grant_id, code.auth_time, code=code.code_hash)
    return user_access.respond(service, tenant, request, user, client, granted, lineage,
                               id_token=user_access.wants_id_token(request, held), nonce=code.nonce)


def tenant_of(service: TokenService, request: TokenRequest) -> Tenant:
    """Through ``common``: the tenant the code was issued in."""
    return service.tenant(_code(service, request).tenant_id)


def _code(service: TokenService, request: TokenRequest) -> AuthorizationCode:
    raw = request.form.get("code", "")
    if not raw:
        raise errors.invalid_request("The request body must contain the following parameter: 'code'.")
    if not _CODE_SHAPE.fullmatch(raw):
        raise errors.malformed_grant("code")
    code = service.store.grant_state.authorization_code(secret_hash(raw))
    if code is None:
        raise errors.invalid_grant(UNKNOWN_CODE)
    return code


def _granted(code: AuthorizationCode) -> scopes.AccessRequest:
    """What the user granted at the authorize endpoint (its OpenID Connect scopes decide the ID token and the
    refresh token, whatever the redemption asks)."""
    return scopes.from_resource(code.resource, code.scope) if code.resource else scopes.from_scope(code.scope)


def _refuse_reuse(service: TokenService, code_hash: str) -> NoReturn:
    """A second redemption: revoke what the first began, then refuse (after the revocation commits). The code
    then names no grant, so a refresh token the first has yet to write is refused too."""
    with service.store.write() as tx:
        code = tx.authorization_code(code_hash)
        if code is not None and code.grant_id is not None:
            tx.revoke_grant(code.grant_id)
            tx.close_code_grant(code_hash)
    raise errors.code_redeemed()


def _check_verifier(code: AuthorizationCode, verifier: str, kind: str) -> None:
    """PKCE (RFC 7636), S256 only; a public or spa client's code must carry a challenge."""
    if code.code_challenge is None:
        if kind in ("public", "spa"):
            raise errors.pkce_required()
        return
    if not verifier:
        raise errors.invalid_request("The request body must contain the following parameter: 'code_verifier'.")
    if code.code_challenge_method != "S256" or not _VERIFIER.fullmatch(verifier):
        raise errors.verifier_mismatch()
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    if not hmac.compare_digest(computed, code.code_challenge):
        raise errors.verifier_mismatch()
