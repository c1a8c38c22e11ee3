"""authorization_code: a user's tokens for a code the authorize endpoint gave a client (``tokens/codes.py``).

As Entra and RFC 9700 have it (SECURITY.md items 38 and 39):

- the code is looked up by its hash; one this tenant did not issue is AADSTS70000, one past its ten minutes
  AADSTS70008;
- a code is redeemed once: the store marks it in a conditional update, so of two redemptions racing on two
  replicas one wins; any later one gets AADSTS54005 AND revokes every refresh token the first one began
  (RFC 9700 section 4.5: the code has leaked). The mark and the first refresh token are one transaction, after
  every check; a request refused once the code proved good (its consent, say) still spends the code;
- the ``client_id`` and ``redirect_uri`` must be the code's (AADSTS70000, AADSTS500112); the redirect URI the
  code went to tells the client's kind (``tokens/people_clients.py``): a confidential client authenticates, a
  spa redeems cross-origin without a credential, a public client without one;
- a code with a PKCE challenge needs its S256 verifier (AADSTS501481 when it does not match); a public or
  spa client's code must have one (AADSTS9002325).

The answer is ``tokens/user_access.py``'s, for the code's scope (or the request's, within what consent allows),
with the code's ``nonce`` in the ID token. A public client's or a spa's redemption is answered on the event loop
when everything it needs is in memory (``from_memory``); a refusal never is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from ...domain.errors import OAuthError
from ...domain.model import Tenant, User
from ...domain.sign_in_state import AuthorizationCode, RefreshToken, secret_hash
from ...store.grant_state import Busy, GrantState
from .. import errors, refresh_tokens, scopes, user_access
from ..client_auth import presented_methods
from ..directory_cache import DirectoryView, NotInMemory
from ..people_clients import PeopleClient, check_origin, client_of, identify, redirect_kind
from ..request import IssuedToken, TokenRequest, client_id_of

if TYPE_CHECKING:
    from ..service import TokenService

_CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")              # secrets.token_urlsafe(32)
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")          # RFC 7636 section 4.1
UNKNOWN_CODE = "The provided value for the input parameter 'code' is not valid."


def grant(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken:
    state, view = service.store.grant_state, service.directory_cache.view()
    code, now = _found(service, tenant, request, state)
    if code.redeemed is not None:
        _refuse_reuse(service, code.code_hash)
    client, user = _bound(service, tenant, request, view, code)
    grant_id = refresh_tokens.new_grant_id()
    try:
        decided = _decide(service, tenant, request, view, code, client, user, grant_id, now)
    except OAuthError:   # refused once the code proved good: spent all the same
        if not state.redeem_authorization_code(code.code_hash, now, grant_id):
            _refuse_reuse(service, code.code_hash)
        raise
    if not state.redeem_authorization_code(code.code_hash, now, grant_id, decided.record):
        _refuse_reuse(service, code.code_hash)   # another redemption won the race
    return user_access.answer(service, view, tenant, request, user, client, decided.access, decided.granted,
                              decided.token, id_token=decided.id_token, nonce=code.nonce)


def from_memory(service: TokenService, tenant: Tenant, request: TokenRequest) -> IssuedToken | None:
    """The answer on the event loop, when memory and SQLite without a wait give it (``Store.quick_grant_state``):
    a public client or a spa (no credential to check), the directory's version known without a wait, the client,
    the user, the resource, her roles and the signing key in memory, and a code that no one redeemed. Else None
    and nothing written: the full path (``grant``, in a worker thread) answers, every refusal among them (a
    refusal spends the code, a second redemption revokes the first one's grant)."""
    state = service.store.quick_grant_state
    view = service.directory_cache.quick_view()
    key = service.keyring.known_active(tenant.id)
    if state is None or view is None or key is None or presented_methods(request):
        return None
    memory = view.in_memory()
    try:
        code, now = _found(service, tenant, request, state)
        if code.redeemed is not None:
            return None
        client, user = _bound(service, tenant, request, memory, code)
        grant_id = refresh_tokens.new_grant_id()
        decided = _decide(service, tenant, request, memory, code, client, user, grant_id, now)
        if not state.redeem_authorization_code(code.code_hash, now, grant_id, decided.record):
            return None
    except (OAuthError, NotInMemory, Busy):
        return None
    # the code is spent: from here on the answer is given (``view`` reads what memory may lack)
    return user_access.answer(service, view, tenant, request, user, client, decided.access, decided.granted,
                              decided.token, id_token=decided.id_token, nonce=code.nonce, key=key)


def tenant_of(service: TokenService, request: TokenRequest) -> Tenant:
    """Through ``common``: the tenant the code was issued in."""
    return service.tenant(_code(request, service.store.grant_state).tenant_id)


@dataclass(frozen=True)
class _Decided:
    """What a redemption answers: the access granted, and the refresh token stored with the redemption."""

    access: scopes.AccessRequest
    granted: user_access.Granted
    id_token: bool
    token: str | None
    record: RefreshToken | None


def _found(service: TokenService, tenant: Tenant, request: TokenRequest,
           state: GrantState) -> tuple[AuthorizationCode, int]:
    """The code, this tenant's and not expired; and the time now."""
    code = _code(request, state)
    if code.tenant_id != tenant.id:
        raise errors.invalid_grant(UNKNOWN_CODE)
    now = int(service.clock())
    if now >= code.expires:
        raise errors.code_expired()
    return code, now


def _bound(service: TokenService, tenant: Tenant, request: TokenRequest, view: DirectoryView,
           code: AuthorizationCode) -> tuple[PeopleClient, User]:
    """The client and the user, when the request is the code's client at its redirect URI with its verifier."""
    client_id = client_id_of(request)
    if client_id != code.client_app_id:
        raise errors.invalid_grant(f"{UNKNOWN_CODE} It was issued to another application.")
    if request.form.get("redirect_uri", "") != code.redirect_uri:
        raise errors.OAuthError(400, "invalid_grant", 500112, "The reply address of the request does not match "
                                "the reply address provided when requesting the authorization code.")
    app, sp = client_of(view, tenant.id, client_id)
    if sp is None:
        raise errors.unknown_client(client_id, tenant.id)
    kind = redirect_kind(sp, app, code.redirect_uri)
    check_origin(request, kind)
    client = identify(service, tenant, request, view, kind)
    _check_verifier(code, request.form.get("code_verifier", ""), kind)
    user = user_access.user_of(view, tenant.id, code.user_id)
    if user is None:
        raise errors.invalid_grant(UNKNOWN_CODE)
    return client, user


def _decide(service: TokenService, tenant: Tenant, request: TokenRequest, view: DirectoryView,
            code: AuthorizationCode, client: PeopleClient, user: User, grant_id: str, now: int) -> _Decided:
    """For the code's scope (or the request's, within what consent allows), every check; no write yet."""
    access = scopes.requested(request, scope=code.scope, resource=code.resource)
    held = _granted(code)
    granted = user_access.decide(service, view, tenant, user, client, access)
    token = record = None
    if user_access.wants_refresh_token(request, held):
        lineage = refresh_tokens.Lineage(code.scope, code.resource, grant_id, code.auth_time)
        token, record = refresh_tokens.new_token(tenant.id, client.service_principal.app_id, user.id, client.kind,
                                                 lineage, now)
    return _Decided(access, granted, user_access.wants_id_token(request, held), token, record)


def _code(request: TokenRequest, state: GrantState) -> AuthorizationCode:
    raw = request.form.get("code", "")
    if not raw:
        raise errors.invalid_request("The request body must contain the following parameter: 'code'.")
    if not _CODE_SHAPE.fullmatch(raw):
        raise errors.malformed_grant("code")
    code = state.authorization_code(secret_hash(raw))
    if code is None:
        raise errors.invalid_grant(UNKNOWN_CODE)
    return code


def _granted(code: AuthorizationCode) -> scopes.AccessRequest:
    """What the user granted at the authorize endpoint (its OpenID Connect scopes decide the ID token and the
    refresh token, whatever the redemption asks)."""
    return scopes.from_resource(code.resource, code.scope) if code.resource else scopes.from_scope(code.scope)


def _refuse_reuse(service: TokenService, code_hash: str) -> NoReturn:
    """A second redemption: revoke what the first began, then refuse (after the revocation commits)."""
    with service.store.write() as tx:
        code = tx.authorization_code(code_hash)
        if code is not None and code.grant_id is not None:
            tx.revoke_grant(code.grant_id)
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
