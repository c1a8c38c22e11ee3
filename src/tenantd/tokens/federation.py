"""The signing keys of the issuers that federated identity credentials trust.

tenantd's own tenants are issuers too (a workload signed in to one tenant can federate into another): their
keys come from the keyring, never over HTTP. Any other issuer is an OpenID Connect provider whose discovery
document and JWKS are fetched, following SECURITY.md item 19:

- https only, and the discovery document must name exactly the issuer it was fetched for;
- every address the host resolves to must be public: never link-local (cloud metadata), private, shared,
  reserved or multicast; loopback only when the operator allows it (``tenantd up`` does, for local issuers);
- the connection goes to an address that was checked (no second resolution to rebind), redirects are not
  followed, and answers are bounded in size and time;
- keys are cached for an hour; a token naming an unknown ``kid`` refetches at most once per five minutes;
  a failed fetch keeps the last good keys, and a failing issuer is not asked again for a few seconds.

Only issuers an administrator configured reach this module: a token is matched to a federated credential
(issuer, subject, audience) before any key is looked up.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..domain.claims import Issuers
from ..domain.ids import is_guid
from . import jwt

REFRESH = 3600.0           # seconds keys are trusted before they are fetched again
KID_COOLDOWN = 300.0       # at most one refetch per issuer in this time for an unknown kid
FAILURE_BACKOFF = 10.0     # an issuer whose fetch failed is not asked again for this long
TIMEOUT = 5.0
MAX_DISCOVERY = 64 * 1024
MAX_JWKS = 256 * 1024
MAX_ISSUERS = 1000

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class VerificationKey:
    kid: str | None
    key: Any            # an RSA public key


class FederationError(Exception):
    """The issuer's keys cannot be had; the message says why and is safe to show (no secret in it)."""


OwnKeys = Callable[[str], list[VerificationKey] | None]


def own_tenant_id(public_url: str, issuer: str) -> str | None:
    """The tenant id when ``issuer`` is exactly one of this server's tenant issuers (v1 or v2)."""
    base = public_url.rstrip("/") + "/"
    tid = issuer[len(base):].split("/", 1)[0] if issuer.startswith(base) else ""
    if not is_guid(tid) or tid != tid.lower():
        return None
    issuers = Issuers.for_tenant(public_url, tid)
    return tid if issuer in (issuers.v1, issuers.v2) else None


def address_allowed(address: Address, allow_loopback: bool) -> bool:
    """Whether an issuer may be fetched from ``address``; IPv4 embedded in IPv6 is judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [a for a in (address.ipv4_mapped, address.sixtofour, *(address.teredo or ())) if a is not None]
        if address in ipaddress.IPv6Network("64:ff9b::/96"):
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if embedded:
            return all(address_allowed(a, allow_loopback) for a in embedded)
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_link_local
                                      or address.is_private or address.is_unspecified)


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise FederationError(f"the issuer's host '{host[:100]}' does not resolve") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass
class _Entry:
    keys: list[VerificationKey]
    fetched: float
    attempted: float


class Federation:
    """Issuer keys with the cache and fetch rules above; safe to share between threads."""

    def __init__(self, own_keys: OwnKeys, *, allow_loopback: bool = False, resolve: Resolver = _resolve,
                 timeout: float = TIMEOUT, clock: Callable[[], float] = time.monotonic) -> None:
        self.own_keys = own_keys
        self.allow_loopback = allow_loopback
        self._resolve = resolve
        self._timeout = timeout
        self._clock = clock
        # The system's trust store (OpenSSL honours SSL_CERT_FILE / SSL_CERT_DIR, as everywhere else).
        self._tls = ssl.create_default_context()
        self._cache: dict[str, _Entry] = {}
        self._failed: dict[str, tuple[float, str]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def keys(self, issuer: str, kid: str | None) -> list[VerificationKey]:
        """The keys to verify a token of ``issuer`` with; FederationError when there are none to be had."""
        own = self.own_keys(issuer)
        if own is not None:
            return own
        entry = self._cache.get(issuer)
        if entry is None or self._due(entry, kid):
            with self._lock(issuer):
                entry = self._cache.get(issuer)
                if entry is None or self._due(entry, kid):
                    entry = self._refresh(issuer, entry)
        return entry.keys

    def _due(self, entry: _Entry, kid: str | None) -> bool:
        """Stale keys are refetched; an unknown kid refetches once per cooldown."""
        now = self._clock()
        if now - entry.fetched >= REFRESH:
            return True
        return kid is not None and all(k.kid != kid for k in entry.keys) and now - entry.attempted >= KID_COOLDOWN

    def _lock(self, issuer: str) -> threading.Lock:
        with self._guard:
            if len(self._locks) > MAX_ISSUERS:
                self._locks.clear()
            return self._locks.setdefault(issuer, threading.Lock())

    def _refresh(self, issuer: str, entry: _Entry | None) -> _Entry:
        now = self._clock()
        failed = self._failed.get(issuer)
        if failed is not None and now - failed[0] < FAILURE_BACKOFF:
            if entry is not None:
                return entry
            raise FederationError(failed[1])
        try:
            keys = self._fetch(issuer)
        except FederationError as exc:
            self._failed[issuer] = (now, str(exc))
            if entry is None:
                raise
            entry.attempted = now   # keep the last good keys
            return entry
        self._failed.pop(issuer, None)
        fresh = _Entry(keys, now, now)
        with self._guard:
            if len(self._cache) >= MAX_ISSUERS:
                self._cache.clear()
            self._cache[issuer] = fresh
        return fresh

    def _fetch(self, issuer: str) -> list[VerificationKey]:
        discovery = self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", MAX_DISCOVERY)
        if discovery.get("issuer") != issuer:
            raise FederationError("the issuer's discovery document names another issuer")
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise FederationError("the issuer's discovery document has no jwks_uri")
        try:
            found = jwt.jwks_keys(self._get_json(jwks_uri, MAX_JWKS))
        except jwt.InvalidToken:
            found = []
        if not found:
            raise FederationError("the issuer publishes no usable RSA signing key")
        return [VerificationKey(kid, key) for kid, key in found]

    def check_url(self, url: str) -> tuple[str, str, int, str]:
        """(host, checked address, port, path and query) of an https URL the rules allow, before any request."""
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
            raise FederationError(f"'{url[:200]}' is not an https URL")
        try:
            port = parts.port or 443
        except ValueError:
            raise FederationError(f"'{url[:200]}' has an invalid port") from None
        host = parts.hostname
        try:
            literal: Address | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        addresses = [str(literal)] if literal is not None else self._resolve(host, port)
        if not addresses:
            raise FederationError(f"the issuer's host '{host[:100]}' does not resolve")
        for text in addresses:
            if not address_allowed(ipaddress.ip_address(text.split("%", 1)[0]), self.allow_loopback):
                raise FederationError(f"the issuer's host '{host[:100]}' has the address {text}, which tenantd "
                                      "does not fetch from (link-local, private, reserved, or loopback where "
                                      "loopback issuers are not allowed)")
        target = addresses[0].split("%", 1)[0]
        path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        return host, target, port, path

    def _get_json(self, url: str, limit: int) -> dict[str, Any]:
        host, target, port, path = self.check_url(url)
        netloc = f"[{target}]:{port}" if ":" in target else f"{target}:{port}"
        default_port = port == 443
        host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
        extensions = {} if _is_literal(host) else {"sni_hostname": host}
        body = bytearray()
        try:
            with httpx.Client(verify=self._tls, timeout=self._timeout, follow_redirects=False,
                              trust_env=False) as client, client.stream(
                    "GET", f"https://{netloc}{path}", headers={"Host": host_header, "Accept": "application/json"},
                    extensions=extensions) as response:
                if response.status_code != 200:
                    raise FederationError(f"{url[:200]} answered HTTP {response.status_code}")
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise FederationError(f"{url[:200]} answered more than {limit} bytes")
        except httpx.HTTPError as exc:
            raise FederationError(f"{url[:200]} could not be fetched ({type(exc).__name__})") from None
        try:
            document = json.loads(body)
        except ValueError:
            raise FederationError(f"{url[:200]} did not answer JSON") from None
        if not isinstance(document, dict):
            raise FederationError(f"{url[:200]} did not answer a JSON object")
        return document


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
