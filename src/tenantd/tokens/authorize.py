"""Validating an authorize request (``/{tenant}/oauth2/v2.0/authorize``, v1's ``/{tenant}/oauth2/authorize``):
plain parameters in, an :class:`AuthorizeRequest` or an :class:`AuthorizeRefusal` out.

The order is Entra's, and decides where an error goes. Until the client and its redirect URI are known,
nothing can be sent back: an unknown tenant (AADSTS90002), client (700016) or redirect URI (50011) is shown
on the page and never redirected (SECURITY.md item 40). From then on an error the client can act on goes
back to the redirect URI, with ``state``.

Redirect URIs match exactly, by platform (web, spa, publicClient); a public client's loopback URI
(``http://localhost``, ``127.0.0.1``, ``[::1]``) matches with any port (RFC 8252 section 7.3). A request
without ``redirect_uri`` gets the application's first one. The platform decides PKCE: a public client or a
single-page application must send an S256 challenge (item 39); ``plain`` is refused for everyone.

``response_type`` is ``code``, or, for an application whose ``web.implicitGrantSettings`` enable ID token
issuance, ``id_token`` or ``code id_token`` (AADSTS700054 otherwise). These need a ``nonce`` (AADSTS90014),
and default to the fragment response mode; ``query`` is refused for them (AADSTS70007), as a token never
travels in a query string. ``token`` is refused: tenantd's authorization endpoint issues no access token
(AADSTS700051 while the application has not enabled it, as Entra says).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..domain.errors import OAuthError
from ..domain.model import Tenant
from ..domain.sign_in_rules import LOOPBACK_HOSTS
from . import sign_in_errors as page_errors
from .interactive import Client, find_client
from .service import TokenService

DEFERRED_TENANTS = ("common", "organizations")   # the person's own tenant, once she is known
PROMPTS = ("login", "none", "consent", "select_account")
RESPONSE_MODES = ("query", "fragment", "form_post")
RESPONSE_TYPES = (frozenset({"code"}), frozenset({"id_token"}), frozenset({"code", "id_token"}))
TOKEN_TYPES = frozenset({"id_token", "token"})   # what the answer itself carries a token for
S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}\Z")   # base64url of a SHA-256, unpadded
# Longest accepted value of each parameter (what the stored code and the page state can hold).
LIMITS = {"client_id": 64, "redirect_uri": 512, "scope": 2048, "resource": 600, "state": 2048, "nonce": 512,
          "login_hint": 256, "domain_hint": 256, "code_challenge": 128, "prompt": 32, "response_type": 64,
          "response_mode": 32, "code_challenge_method": 16, "max_age": 10}
MAX_PARAMETERS = 64


@dataclass(frozen=True)
class Reply:
    """Where and how the answer goes back to the client."""

    redirect_uri: str
    response_mode: str
    state: str | None
    extra: tuple[tuple[str, str], ...] = ()   # sent before ``state`` with every error (admin_consent=True)


@dataclass(frozen=True)
class AuthorizeRequest:
    tenant: Tenant | None            # None: common or organizations (the person's tenant decides)
    endpoint_version: int
    client: Client
    reply: Reply
    platform: str                    # web, spa or publicClient: the redirect URI's
    response_types: frozenset[str]   # one of RESPONSE_TYPES
    scope: str
    resource: str | None             # v1
    nonce: str | None
    prompt: str | None
    login_hint: str | None
    domain_hint: str | None
    max_age: int | None
    code_challenge: str | None
    code_challenge_method: str | None
    client_info: bool                # the client asked for ``client_info`` in the answer (msal does)
    admin_consent: bool = False      # the admin consent endpoint's request: no code, consent for everyone


class AuthorizeRefusal(Exception):
    """An authorize request refused: ``reply`` None means the error is shown, never redirected."""

    def __init__(self, error: OAuthError, reply: Reply | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.reply = reply


def parameters(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A request's parameters, each once; a repeated one could smuggle a second redirect URI past a check,
    so it is shown as an error."""
    found: dict[str, str] = {}
    for count, (key, value) in enumerate(pairs):
        if count >= MAX_PARAMETERS:
            raise AuthorizeRefusal(page_errors.invalid_parameter("query", "too many parameters"), None)
        if key in found:
            raise AuthorizeRefusal(page_errors.repeated_parameter(key), None)
        found[key] = value
    return found


def validate(service: TokenService, tenant_key: str, endpoint_version: int,
             params: Mapping[str, str]) -> AuthorizeRequest:
    tenant, client, redirect_uri, platform = _client_and_redirect(service, tenant_key, params)
    state = params.get("state")
    default = default_response_mode(params.get("response_type", ""))
    mode = params.get("response_mode") or default
    allowed = mode in RESPONSE_MODES and not (mode == "query" and default == "fragment")
    reply = Reply(redirect_uri, mode if allowed else default,
                  state if state is None or len(state) <= LIMITS["state"] else None)
    try:
        return _validated(tenant, endpoint_version, client, reply, platform, params)
    except OAuthError as exc:
        raise AuthorizeRefusal(exc, reply) from None


def validate_admin_consent(service: TokenService, tenant_key: str, endpoint_version: int,
                           params: Mapping[str, str]) -> AuthorizeRequest:
    """A request to the admin consent endpoint (``/{tenant}/v2.0/adminconsent``, v1's ``/{tenant}/adminconsent``):
    the client and its redirect URI found as for an authorize request (an error until both are known is
    shown), then v2's ``scope`` (v1 asks for what the client's ``requiredResourceAccess`` lists). Every answer
    goes back in the query with ``admin_consent=True``; nothing else of an authorize request applies."""
    tenant, client, redirect_uri, platform = _client_and_redirect(service, tenant_key, params)
    state = params.get("state")
    reply = Reply(redirect_uri, "query", state if state is None or len(state) <= LIMITS["state"] else None,
                  (("admin_consent", "True"),))
    scope = " ".join(params.get("scope", "").split())
    try:
        for name in ("scope", "state"):
            if len(params.get(name, "")) > LIMITS[name]:
                raise page_errors.invalid_parameter(name, f"longer than {LIMITS[name]} characters")
        if endpoint_version == 2 and not scope:
            raise page_errors.missing_scope()
    except OAuthError as exc:
        raise AuthorizeRefusal(exc, reply) from None
    return AuthorizeRequest(
        tenant=tenant, endpoint_version=endpoint_version, client=client, reply=reply, platform=platform,
        response_types=frozenset(), scope=scope, resource=None, nonce=None, prompt=None, login_hint=None,
        domain_hint=None, max_age=None, code_challenge=None, code_challenge_method=None, client_info=False,
        admin_consent=True)


def _client_and_redirect(service: TokenService, tenant_key: str,
                         params: Mapping[str, str]) -> tuple[Tenant | None, Client, str, str]:
    """The tenant, the client and where its answer goes (with the redirect URI's platform), or the error shown."""
    tenant = _tenant(service, tenant_key)
    client_id = params.get("client_id", "")
    if not client_id:
        raise AuthorizeRefusal(page_errors.missing("client_id"), None)
    client = find_client(service, tenant, client_id[:LIMITS["client_id"]])
    if client is None:
        raise AuthorizeRefusal(page_errors.unknown_tenant_application(client_id, tenant_key), None)
    redirect_uri, platform = _redirect(client, params.get("redirect_uri"))
    return tenant, client, redirect_uri, platform


def _tenant(service: TokenService, key: str) -> Tenant | None:
    if key.lower() in DEFERRED_TENANTS:
        return None
    try:
        return service.tenant(key)
    except OAuthError as exc:
        raise AuthorizeRefusal(exc, None) from None


def _redirect(client: Client, requested: str | None) -> tuple[str, str]:
    if not requested:
        registered = [*((u, "web") for u in client.web_redirect_uris), *((u, "spa") for u in client.spa_redirect_uris),
                      *((u, "publicClient") for u in client.public_client_redirect_uris)]
        if not registered:
            raise AuthorizeRefusal(page_errors.no_redirect_uri(client.app_id), None)
        return registered[0]
    platform = redirect_platform(client, requested) if len(requested) <= LIMITS["redirect_uri"] else None
    if platform is None:
        raise AuthorizeRefusal(page_errors.unknown_redirect_uri(requested, client.app_id), None)
    return requested, platform


def redirect_platform(client: Client, requested: str) -> str | None:
    """The platform under which ``client`` registered ``requested`` (the strictest, when several did); None
    when it did not. A public client's loopback URI matches with any port."""
    for platform, uris in (("spa", client.spa_redirect_uris), ("publicClient", client.public_client_redirect_uris),
                           ("web", client.web_redirect_uris)):
        if requested in uris:
            return platform
    if any(loopback_match(uri, requested) for uri in client.public_client_redirect_uris):
        return "publicClient"
    return None


def loopback_match(registered: str, requested: str) -> bool:
    """RFC 8252 section 7.3: ``http`` on the same loopback host, path and query, with any port."""
    try:
        want, got = urlsplit(registered), urlsplit(requested)
        got.port   # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return False
    return (want.scheme == got.scheme == "http" and want.hostname in LOOPBACK_HOSTS
            and want.hostname == got.hostname and "@" not in got.netloc and not got.fragment
            and (want.path or "/") == (got.path or "/") and want.query == got.query)


def default_response_mode(response_type: str) -> str:
    """The query for a code alone; the fragment once the answer carries a token."""
    return "fragment" if TOKEN_TYPES & set(response_type.split()) else "query"


def _validated(tenant: Tenant | None, version: int, client: Client, reply: Reply, platform: str,
               params: Mapping[str, str]) -> AuthorizeRequest:
    for name, limit in LIMITS.items():
        if len(params.get(name, "")) > limit:
            raise page_errors.invalid_parameter(name, f"longer than {limit} characters")
    types = _response_types(params.get("response_type", ""), client)
    requested_mode = params.get("response_mode") or reply.response_mode
    if reply.response_mode != requested_mode:
        raise (page_errors.query_with_token() if requested_mode == "query"
               else page_errors.unsupported_response_mode(requested_mode))
    nonce = params.get("nonce") or None
    if "id_token" in types and nonce is None:
        raise page_errors.nonce_required()
    scope, resource = params.get("scope", ""), params.get("resource") or None
    if version == 2 and resource is not None:
        raise page_errors.resource_on_v2()
    if version == 2 and not scope.strip():
        raise page_errors.missing_scope()
    prompt = params.get("prompt") or None
    if prompt is not None and prompt not in PROMPTS:
        raise page_errors.invalid_parameter("prompt", f"'{prompt}' is not one of {', '.join(PROMPTS)}")
    challenge, method = _pkce(platform, params) if "code" in types else (None, None)
    return AuthorizeRequest(
        tenant=tenant, endpoint_version=version, client=client, reply=reply, platform=platform, response_types=types,
        scope=" ".join(scope.split()), resource=resource, nonce=nonce, prompt=prompt,
        login_hint=params.get("login_hint") or None, domain_hint=params.get("domain_hint") or None,
        max_age=_max_age(params.get("max_age")), code_challenge=challenge, code_challenge_method=method,
        client_info=params.get("client_info") == "1",
    )


def _response_types(value: str, client: Client) -> frozenset[str]:
    types = frozenset(value.split())
    if not types:
        raise page_errors.missing("response_type")
    if "token" in types:
        if not client.implicit.enable_access_token_issuance:
            raise page_errors.response_type_not_enabled("token", 700051)
        raise page_errors.no_access_token_from_authorize()
    if "id_token" in types and not client.implicit.enable_id_token_issuance:
        raise page_errors.response_type_not_enabled("id_token", 700054)
    if types not in RESPONSE_TYPES:
        raise page_errors.unsupported_response_type(value)
    return types


def _pkce(platform: str, params: Mapping[str, str]) -> tuple[str | None, str | None]:
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if challenge is None:
        if platform in ("spa", "publicClient"):
            raise page_errors.pkce_required()
        if method is not None:
            raise page_errors.missing("code_challenge")
        return None, None
    if method != "S256":
        raise page_errors.pkce_method(method or "plain")
    if not S256_CHALLENGE.match(challenge):
        raise page_errors.pkce_size()
    return challenge, method


def _max_age(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit():
        raise page_errors.invalid_parameter("max_age", "a number of seconds is required")
    return int(value)
