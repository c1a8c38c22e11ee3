"""Signing keys from a discovery document: what to trust now, when to fetch again, and the fetch itself.

A ``KeySource`` is one discovery URL (Entra publishes one per token version). It decides, without I/O,
whether a fetch is due: at first use, every ``refresh_interval`` (12 h, as Microsoft.IdentityModel does)
so that a removed key stops being trusted, and for an unknown ``kid`` at most once per ``cooldown``
(5 min). A failed fetch (error status, timeout, garbage, no usable key) changes nothing: the last good
keys stay. ``fetch_keys`` and ``afetch_keys`` are the same fetch for sync and async callers.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt import PyJWK
from jwt.exceptions import PyJWTError

from .compact import MAX_KID

logger = logging.getLogger("tenantd.protect")

ALGORITHMS = frozenset({"RS256"})   # what Entra signs access tokens with; the key's kty must be RSA
MIN_RSA_BITS, MAX_RSA_BITS = 2048, 8192
MAX_DOCUMENT = 256 * 1024           # Entra's JWKS is ~10 KB
MAX_KEYS = 64
FIRST_LOAD_RETRY = 1.0              # while no key was ever loaded, retry this often instead of the cooldown
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


class FetchError(Exception):
    """The discovery document or the JWKS could not be used; the message names the URL, never a token."""


# Whatever goes wrong fetching keys leaves the last good ones in place (httpx.InvalidURL is no HTTPError).
_FAILURES = (FetchError, httpx.HTTPError, httpx.InvalidURL, ValueError, OSError)


def require_https(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{what} must be an https URL: {url!r}")
    return url


@dataclass(frozen=True, slots=True)
class VerifyingKey:
    """One public key and the only algorithm it verifies, both taken from the JWK (never a token header)."""

    kid: str
    algorithm: str
    modulus: str             # n and e as published: what tells one key from another
    exponent: str
    jwk: PyJWK = field(compare=False)

    def verify(self, signing_input: bytes, signature: bytes) -> bool:
        return bool(self.jwk.Algorithm.verify(signing_input, self.jwk.key, signature))


@dataclass(frozen=True, slots=True)
class KeySet:
    """What one discovery document vouches for: its ``issuer`` (maybe with ``{tenantid}``) and its keys."""

    issuer: str
    keys: Mapping[str, VerifyingKey]


def parse_discovery(doc: Any) -> tuple[str, str]:
    """``issuer`` and ``jwks_uri`` of an OpenID discovery document."""
    if not isinstance(doc, dict):
        raise FetchError("discovery document is not a JSON object")
    issuer, jwks_uri = doc.get("issuer"), doc.get("jwks_uri")
    if not isinstance(issuer, str) or not issuer or not isinstance(jwks_uri, str):
        raise FetchError("discovery document lacks issuer or jwks_uri")
    try:
        require_https(jwks_uri, "jwks_uri")
    except ValueError as exc:
        raise FetchError(str(exc)) from None
    return issuer, jwks_uri


def _key(jwk: Any) -> VerifyingKey | None:
    """A usable signing key, or None: RSA only, for signatures, public members only, 2048 bits or more."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
        return None
    kid, alg = jwk.get("kid"), jwk.get("alg", "RS256")
    if not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID or alg not in ALGORITHMS:
        return None
    if any(member in jwk for member in _PRIVATE_MEMBERS):
        return None
    n, e = jwk.get("n"), jwk.get("e")
    if not isinstance(n, str) or not isinstance(e, str):
        return None
    try:
        parsed = PyJWK({"kty": "RSA", "n": n, "e": e}, algorithm=alg)
    except (PyJWTError, TypeError, ValueError):
        return None
    if not isinstance(parsed.key, RSAPublicKey) or not MIN_RSA_BITS <= parsed.key.key_size <= MAX_RSA_BITS:
        return None
    return VerifyingKey(kid, alg, n, e, parsed)


def parse_jwks(doc: Any) -> dict[str, VerifyingKey]:
    """The usable keys of a JWKS by kid (the first of a repeated kid wins); none usable is a failure."""
    keys = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(keys, list):
        raise FetchError("JWKS has no keys array")
    found: dict[str, VerifyingKey] = {}
    for jwk in keys[:MAX_KEYS]:
        key = _key(jwk)
        if key is not None and key.kid not in found:
            found[key.kid] = key
    if not found:
        raise FetchError("JWKS has no usable RSA signing key")
    return found


class KeySource:
    """One discovery URL, its last good ``KeySet`` and the timing of fetches. Holds no I/O and no lock:
    the validator serialises fetches per source."""

    def __init__(self, discovery_url: str, *, refresh_interval: float, cooldown: float,
                 clock: Callable[[], float], on_change: Callable[[], None] = lambda: None) -> None:
        self.discovery_url = require_https(discovery_url, "discovery URL")
        self.on_change = on_change
        self.refresh_interval = refresh_interval
        self.cooldown = cooldown
        self.clock = clock
        self.current: KeySet | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None

    def _waiting(self, now: float) -> bool:
        """A fetch was attempted too recently to try again (a clock that went back never blocks)."""
        if self._attempted_at is None:
            return False
        pause = self.cooldown if self.current is not None else min(self.cooldown, FIRST_LOAD_RETRY)
        return 0 <= now - self._attempted_at < pause

    def refresh_due(self) -> bool:
        """Never loaded, or loaded longer ago than the refresh interval, and not just attempted."""
        now = self.clock()
        stale = self.current is None or not 0 <= now - self._fetched_at < self.refresh_interval
        return stale and not self._waiting(now)

    def may_fetch_for(self, kid: str) -> bool:
        """An unknown kid may cause one fetch per cooldown, however many tokens carry unknown kids."""
        current = self.current
        return (current is None or kid not in current.keys) and not self._waiting(self.clock())

    def attempting(self) -> None:
        self._attempted_at = self.clock()

    def loaded(self, keyset: KeySet) -> None:
        """Trust ``keyset`` from now on; ``on_change`` runs when it differs from the last one in any key."""
        changed = keyset != self.current
        self.current = keyset
        self._fetched_at = self.clock()
        if changed:
            logger.info("signing keys from %s: %s", self.discovery_url, ", ".join(sorted(keyset.keys)))
            self.on_change()


@dataclass(frozen=True)
class HttpSettings:
    verify: ssl.SSLContext | bool
    timeout: float

    def client_options(self) -> dict[str, Any]:
        return {"verify": self.verify, "timeout": self.timeout, "follow_redirects": False}


def _check_status(url: str, response: httpx.Response) -> None:
    if response.status_code != 200:
        raise FetchError(f"{url} answered {response.status_code}")


def _decode_document(url: str, body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise FetchError(f"{url} did not answer JSON") from None


def _get_json(client: httpx.Client, url: str, deadline: float) -> Any:
    body = bytearray()
    with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
        _check_status(url, response)
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_DOCUMENT or time.monotonic() > deadline:
                raise FetchError(f"{url} answered too much or too slowly")
        return _decode_document(url, bytes(body))


async def _aget_json(client: httpx.AsyncClient, url: str, deadline: float) -> Any:
    body = bytearray()
    async with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
        _check_status(url, response)
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_DOCUMENT or time.monotonic() > deadline:
                raise FetchError(f"{url} answered too much or too slowly")
        return _decode_document(url, bytes(body))


def fetch_keys(source: KeySource, http: HttpSettings) -> None:
    """Fetch the discovery document and its JWKS; on any failure keep what ``source`` had."""
    source.attempting()
    deadline = time.monotonic() + 2 * http.timeout
    try:
        with httpx.Client(**http.client_options()) as client:
            issuer, jwks_uri = parse_discovery(_get_json(client, source.discovery_url, deadline))
            keys = parse_jwks(_get_json(client, jwks_uri, deadline))
    except _FAILURES as exc:
        logger.warning("keeping the last good signing keys: %s: %s", type(exc).__name__, exc)
        return
    source.loaded(KeySet(issuer, keys))


async def afetch_keys(source: KeySource, http: HttpSettings) -> None:
    """``fetch_keys`` for the event loop."""
    source.attempting()
    deadline = time.monotonic() + 2 * http.timeout
    try:
        async with httpx.AsyncClient(**http.client_options()) as client:
            issuer, jwks_uri = parse_discovery(await _aget_json(client, source.discovery_url, deadline))
            keys = parse_jwks(await _aget_json(client, jwks_uri, deadline))
    except _FAILURES as exc:
        logger.warning("keeping the last good signing keys: %s: %s", type(exc).__name__, exc)
        return
    source.loaded(KeySet(issuer, keys))
