"""Client authentication at the token endpoint, as Entra checks it (SECURITY.md items 16, 18 and 19).

A client proves itself with one of:

- a client secret (form or HTTP Basic), compared against every stored hash in constant time;
- a client assertion signed with one of the application's certificates (``iss`` = ``sub`` = client id),
  named by ``x5t`` (SHA-1), ``x5t#S256`` or ``kid``, signed RS256 or PS256, for exactly one audience that is
  this tenant's token endpoint or issuer (``_endpoint_audiences``), valid now and for at most an hour (with
  five minutes of clock skew either way);
- a federated assertion (workload identity): a token of another issuer that one of the client's federated
  identity credentials trusts (issuer and subject exactly, one of its audiences), checked against that
  issuer's keys. The client is an application or a user-assigned managed identity.

Only one method per request (RFC 6749 section 2.3): HTTP Basic, ``client_secret`` and a client assertion
exclude one another.

The same assertion may be presented again while it is valid (msal reuses one for about ten minutes and a
workload re-reads the same token file): Entra accepts that, so tenantd keeps no ``jti`` ledger. A federated
assertion's lifetime is its issuer's business (Entra's own managed identity tokens last a day); it must only be
valid now.
"""

from __future__ import annotations

import binascii
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography import x509

from ..domain import builtins
from ..domain.model import Application, FederatedCredential, KeyCredential, ServicePrincipal, Tenant
from . import errors, jwt
from .directory_cache import DirectoryView, NotInMemory
from .federation import FederationError
from .request import TokenRequest, client_id_of

if TYPE_CHECKING:
    from .service import TokenService

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 300
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")   # RFC 3986 unreserved: the name needs no escaping in a URL
# A federated credential for api://AzureADTokenExchange also accepts Entra's spelling of it in v2 tokens.
_AUDIENCE_ALIASES = {builtins.TOKEN_EXCHANGE_RESOURCE: {builtins.TOKEN_EXCHANGE_APP_ID}}


@dataclass(frozen=True)
class AuthenticatedClient:
    service_principal: ServicePrincipal
    auth_class: str     # appidacr / azpacr: "1" client secret, "2" certificate or federated credential
    method: str         # "secret" | "certificate" | "federated"


def authenticate(service: TokenService, tenant: Tenant, request: TokenRequest,
                 view: DirectoryView) -> AuthenticatedClient:
    """The client the request authenticates as, or the OAuthError Entra answers."""
    client_id = client_id_of(request)
    _check_one_method(request)
    app, sp = view.get(("client", tenant.id, client_id), lambda tx: (
        tx.application_by_app_id(tenant.id, client_id), tx.service_principal_by_app_id(tenant.id, client_id)))
    if sp is None or (app is None and sp.managed_identity_kind != "UserAssigned"):
        raise errors.unknown_client(client_id, tenant.id)
    form = request.form
    secret = form.get("client_secret") or (request.basic_auth[1] if request.basic_auth else "")
    if "client_assertion" not in form and "client_assertion_type" not in form:
        _check_secret(service, app, client_id, secret)
        return AuthenticatedClient(sp, "1", "secret")
    if form.get("client_assertion_type") != JWT_BEARER:
        raise errors.invalid_request(f"The client_assertion_type must be '{JWT_BEARER}'.")
    assertion = form.get("client_assertion", "")
    if not assertion:
        raise errors.invalid_request("The request body must contain the following parameter: 'client_assertion'.")
    try:
        header, claims = jwt.assertion_parts(assertion)
    except jwt.InvalidToken as exc:
        raise errors.invalid_assertion(str(exc)) from None
    if header.get("alg") not in jwt.ASSERTION_ALGORITHMS:
        raise errors.invalid_assertion(f"the signing algorithm must be one of {', '.join(jwt.ASSERTION_ALGORITHMS)}")
    if claims.get("iss") == client_id:
        if app is None:
            raise errors.unknown_certificate(client_id, _shown_thumbprint(header))
        _check_certificate(service, tenant, app, assertion, header, claims)
        return AuthenticatedClient(sp, "2", "certificate")
    owner_id = app.id if app is not None else sp.id
    trusted = view.get(("federated", owner_id), lambda tx: tuple(tx.federated_credentials(owner_id)))
    _check_federated(service, trusted, assertion, header, claims)
    return AuthenticatedClient(sp, "2", "federated")


def authenticate_from_memory(service: TokenService, tenant: Tenant, request: TokenRequest,
                             view: DirectoryView) -> AuthenticatedClient:
    """``authenticate`` on the event loop, on a view that never reads: a client secret only, from a source the
    failed-authentication throttle does not block. NotInMemory when only the full path can tell (a client
    assertion, whose issuer may have to be fetched; a blocked source, whose refusal the throttle gives); a
    refusal is raised uncounted, for the full path (behind ``FailureThrottle.guard``) to give and count."""
    form = request.form
    if "client_assertion" in form or "client_assertion_type" in form:
        raise NotInMemory("client assertion")
    if service.throttle.blocked(tenant.id, client_id_of(request), request.client_ip):
        raise NotInMemory("throttled source")
    return authenticate(service, tenant, request, view)


def presented_methods(request: TokenRequest) -> list[str]:
    """The ways a request authenticates its client; a parameter without a value is absent (RFC 6749 section
    3.1)."""
    form = request.form
    return [name for name, given in (
        ("HTTP Basic", request.basic_auth is not None),
        ("client_secret", bool(form.get("client_secret"))),
        ("client_assertion", "client_assertion" in form or "client_assertion_type" in form),
    ) if given]


def _check_one_method(request: TokenRequest) -> None:
    """Refuse a request that authenticates in more than one way."""
    presented = presented_methods(request)
    if len(presented) > 1:
        raise errors.several_client_credentials(presented)


def _check_secret(service: TokenService, app: Application | None, client_id: str, secret: str) -> None:
    """Check the secret against every stored hash; an expired match is its own error."""
    if not secret:
        raise errors.missing_credential(client_id)
    matched = [c for c in (app.password_credentials if app else ()) if service.hasher.matches(secret, c.secret_hash)]
    if not matched:
        raise errors.invalid_secret(client_id)
    now = _iso(service.clock())
    if not any(c.start <= now < c.end for c in matched):
        raise errors.expired_secret(client_id, matched[0].key_id)


# -- certificates --------------------------------------------------------------------------------------------
def _check_certificate(service: TokenService, tenant: Tenant, app: Application,
                       assertion: str, header: dict[str, Any], claims: dict[str, Any]) -> None:
    credential = _credential_for(app.key_credentials, header)
    if credential is None:
        raise errors.unknown_certificate(app.app_id, _shown_thumbprint(header))
    now = service.clock()
    if not credential.start <= _iso(now) < credential.end:
        raise errors.invalid_signature(f"The key used is expired or not yet valid. Key id: {credential.key_id}")
    public_key = x509.load_der_x509_certificate(credential.certificate).public_key()
    try:
        jwt.verify_assertion(assertion, public_key, str(header["alg"]))
    except jwt.InvalidToken:
        raise errors.invalid_signature("The signature does not verify with the registered certificate "
                                       f"(key id {credential.key_id}).") from None
    _check_endpoint_audience(service, tenant, claims.get("aud"))
    if claims.get("sub") != app.app_id:
        raise errors.assertion_subject(app.app_id)
    _check_times(claims, now, MAX_ASSERTION_LIFETIME)


def _credential_for(keys: tuple[KeyCredential, ...], header: dict[str, Any]) -> KeyCredential | None:
    """The certificate the header names by ``x5t#S256``, ``x5t`` (padded or not) or ``kid``."""
    sha256, sha1, kid = (header.get(name) for name in ("x5t#S256", "x5t", "kid"))
    if isinstance(sha256, str):
        return next((k for k in keys if k.thumbprint_sha256 == sha256.rstrip("=")), None)
    if isinstance(sha1, str):
        return next((k for k in keys if k.thumbprint_sha1 == sha1.rstrip("=")), None)
    if isinstance(kid, str):
        wanted = kid.rstrip("=").lower()
        return next((k for k in keys if wanted in (k.key_id, k.thumbprint_sha1.lower(), _hex(k.thumbprint_sha1))),
                    None)
    return None


def _check_endpoint_audience(service: TokenService, tenant: Tenant, audience: object) -> None:
    """One audience, this tenant's own (draft-ietf-oauth-rfc7523bis): a list naming another server besides
    us would let that server replay the assertion here, so a list is taken only when it holds one value."""
    if isinstance(audience, list):
        if len(audience) > 1:
            raise errors.too_many_audiences(len(audience))
        audience = audience[0] if audience else None
    if not isinstance(audience, str) or audience not in _endpoint_audiences(service, tenant):
        raise errors.assertion_audience(str(audience))


def _endpoint_audiences(service: TokenService, tenant: Tenant) -> set[str]:
    """Exactly what clients put in ``aud``: the tenant's v2 and v1 token endpoints as discovery spells them
    (msal, azure-identity) or by the tenant's name where it is a plain path segment (azure-identity and
    msal-node given a name as the tenant), and its v2 issuer. The id also in upper case: a GUID's case carries
    no meaning and people copy tenant ids either way into azure-identity, whose async credentials put the
    tenant in ``aud`` as they were given it. No other spelling: not the v1 issuer, not a trailing slash."""
    names = [tenant.id, tenant.id.upper()] + ([tenant.name] if _PATH_SEGMENT.fullmatch(tenant.name) else [])
    accepted = {service.issuers(tenant.id).v2}
    for name in names:
        accepted |= {f"{service.public_url}/{name}/oauth2/v2.0/token", f"{service.public_url}/{name}/oauth2/token"}
    return accepted


# -- federated credentials ------------------------------------------------------------------------------------
def _check_federated(service: TokenService, trusted: Sequence[FederatedCredential], assertion: str,
                     header: dict[str, Any], claims: dict[str, Any]) -> None:
    issuer, subject, audience = claims.get("iss"), claims.get("sub"), claims.get("aud")
    match = next((c for c in trusted if c.issuer == issuer and c.subject == subject
                  and _any_of(audience, _accepted_audiences(c))), None)
    if match is None or not isinstance(issuer, str):
        raise errors.no_federated_match(str(issuer), str(subject), str(audience))
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        keys = service.federation.keys(issuer, kid)
    except FederationError as exc:
        raise errors.federation_failed(str(exc)) from None
    candidates = [k for k in keys if kid is None or k.kid == kid]
    if not any(_verifies(assertion, k.key, str(header["alg"])) for k in candidates):
        reason = "The key was not found." if not candidates else "The signature does not verify."
        raise errors.invalid_signature(f"{reason} Issuer: '{issuer[:600]}'")
    _check_times(claims, service.clock(), None)


def _accepted_audiences(credential: FederatedCredential) -> set[str]:
    accepted = set(credential.audiences)
    for audience in credential.audiences:
        accepted |= _AUDIENCE_ALIASES.get(audience, set())
    return accepted


def _verifies(assertion: str, key: Any, algorithm: str) -> bool:
    try:
        jwt.verify_assertion(assertion, key, algorithm)
    except jwt.InvalidToken:
        return False
    return True


# -- shared rules ---------------------------------------------------------------------------------------------
def _check_times(claims: dict[str, Any], now: float, max_lifetime: int | None) -> None:
    """``exp`` required, ``nbf`` and ``iat`` optional; NumericDates may be floats (msal writes them so)."""
    exp, nbf, iat = (_numeric(claims, name) for name in ("exp", "nbf", "iat"))
    if exp is None:
        raise errors.invalid_assertion("the assertion has no 'exp'")
    start = nbf if nbf is not None else iat
    window = (f"Current time: {_iso(now)}, assertion valid from {_iso(start) if start is not None else 'now'}, "
              f"expiry time of assertion {_iso(exp)}")
    if now > exp + CLOCK_SKEW:
        raise errors.assertion_time(window)
    if any(moment is not None and moment > now + CLOCK_SKEW for moment in (nbf, iat)):
        raise errors.assertion_time(window)
    if max_lifetime is not None and exp - (start if start is not None else now) > max_lifetime + CLOCK_SKEW:
        raise errors.assertion_time(f"{window}; a client assertion may be valid for at most {max_lifetime} seconds")


def _numeric(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise errors.invalid_assertion(f"'{name}' is not a NumericDate")
    return float(value)


def _any_of(claim: object, accepted: set[str]) -> bool:
    """An ``aud`` (a string, or a list of strings) that names one of ``accepted``."""
    values = [claim] if isinstance(claim, str) else claim if isinstance(claim, list) else []
    return any(isinstance(v, str) and v in accepted for v in values)


def _iso(moment: float) -> str:
    try:
        return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return "out of range"


def _hex(b64url: str) -> str:
    """The hex of a base64url text; empty for text that is not base64 (non-ASCII text is a ValueError)."""
    try:
        return binascii.a2b_base64(b64url.replace("-", "+").replace("_", "/") + "=" * (-len(b64url) % 4)).hex()
    except ValueError:   # binascii.Error too
        return ""


def _shown_thumbprint(header: dict[str, Any]) -> str:
    """The thumbprint the client named, in the upper-case hex Entra shows."""
    for name in ("x5t", "x5t#S256", "kid"):
        value = header.get(name)
        if isinstance(value, str):
            return (_hex(value.rstrip("=")) or value).upper()
    return ""
