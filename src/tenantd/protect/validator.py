"""Access token validation for an API, against Entra ID or tenantd, configured by tenant, audience and authority.

Both validators share every check; they differ only in how a due key fetch is made (a thread lock and
httpx.Client, or an asyncio lock and httpx.AsyncClient). The order of checks: any due key refresh; a token
accepted before (lifetime checked again); else size and syntax, header, issuer (which picks the discovery
document and so the keys), kid, signature with the key's own algorithm, lifetime, audience, access token shape.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import compact
from .accepted import AcceptedTokens
from .claims import Claims, access_token_claims
from .errors import EXPIRED, NOT_YET_VALID, WRONG_AUDIENCE, InvalidToken, KeysUnavailable
from .jwks import ALGORITHMS, HttpSettings, KeySet, KeySource, VerifyingKey, afetch_keys, fetch_keys, require_https

ENTRA = "https://login.microsoftonline.com"
MULTI_TENANT = frozenset({"common", "organizations", "consumers"})
TENANT_TEMPLATE = "{tenantid}"
DEFAULT_LEEWAY = 300.0            # 5 minutes, Microsoft.IdentityModel's clock skew: the same tokens pass as in .NET
REFRESH_INTERVAL = 12 * 3600.0
REFRESH_COOLDOWN = 300.0
_MAX_NUMERIC_DATE = 2**53   # the largest integer a float holds exactly; a date some 285 million years from now
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,127}")


def _number(value: Any) -> float | None:
    """A NumericDate: int or float, never bool or text (the JSON parser already refused NaN and Infinity),
    and never an integer too large to compare with a float (hundreds of digits: no date)."""
    if type(value) not in (int, float) or (type(value) is int and abs(value) > _MAX_NUMERIC_DATE):
        return None
    return value


def _ssl(verify: bool | str | os.PathLike[str] | ssl.SSLContext) -> bool | ssl.SSLContext:
    if isinstance(verify, bool | ssl.SSLContext):
        return verify
    return ssl.create_default_context(cafile=os.fspath(verify))


class _Validator:
    """Settings and the checks shared by ``TokenValidator`` and ``AsyncTokenValidator``.

    - ``tenant_id``: the tenant's id (or ``common``/``organizations`` with ``allowed_tenants``).
    - ``audiences``: what ``aud`` may be: the API's App ID URI (v1 tokens carry the resource as the client
      named it) and/or its appId (v2 tokens). A list ``aud`` is refused unless ``allow_audience_list``.
    - ``authority``: ``https://login.microsoftonline.com`` or tenantd's URL; the discovery documents of the
      token ``versions`` are derived from it, or given as ``discovery_urls``. https only.
    - ``allowed_tenants``: for a multi-tenant issuer (``{tenantid}``), the ``tid`` values accepted.
    - ``leeway`` seconds of clock skew for ``exp`` and ``nbf``; ``clock`` returns epoch seconds and also
      times the key refreshes (``refresh_interval``, ``refresh_cooldown``).
    - ``verify``: True, a CA file, or an ``ssl.SSLContext`` for the https fetches (tenantd has its own CA).
    - ``cache_size``: accepted tokens remembered (see accepted.py); 0 validates every token in full.
    """

    def __init__(self, *, tenant_id: str, audiences: str | Iterable[str], authority: str = ENTRA,
                 versions: Iterable[int] = (1, 2), discovery_urls: Iterable[str] | None = None,
                 allowed_tenants: Iterable[str] = (), allow_audience_list: bool = False,
                 leeway: float = DEFAULT_LEEWAY, max_token_size: int = compact.MAX_TOKEN,
                 refresh_interval: float = REFRESH_INTERVAL, refresh_cooldown: float = REFRESH_COOLDOWN,
                 verify: bool | str | os.PathLike[str] | ssl.SSLContext = True, timeout: float = 10.0,
                 cache_size: int = 1024, clock: Callable[[], float] = time.time) -> None:
        if not isinstance(tenant_id, str) or not _TENANT.fullmatch(tenant_id):
            raise ValueError("tenant_id must be a tenant id or domain")
        self.audiences = frozenset((audiences,) if isinstance(audiences, str) else audiences)
        if not self.audiences or not all(isinstance(a, str) and a for a in self.audiences):
            raise ValueError("name at least one audience (App ID URI and/or appId)")
        tenants = tuple(allowed_tenants)
        self.allowed_tenants = frozenset(t.lower() for t in tenants) or frozenset({tenant_id.lower()})
        if tenant_id.lower() in MULTI_TENANT and not tenants:
            raise ValueError(f"a {tenant_id!r} validator needs allowed_tenants")
        if leeway < 0 or max_token_size <= 0 or refresh_cooldown < 0 or refresh_interval <= 0:
            raise ValueError("leeway, sizes and intervals must be positive")
        if discovery_urls is None:
            base = require_https(authority, "authority").rstrip("/")
            if not set(versions) or not set(versions) <= {1, 2}:
                raise ValueError("versions are 1 and/or 2")
            discovery_urls = [f"{base}/{tenant_id}/v2.0/.well-known/openid-configuration" if v == 2 else
                              f"{base}/{tenant_id}/.well-known/openid-configuration" for v in sorted(set(versions))]
        self.accepted = AcceptedTokens(cache_size)
        self.sources = [KeySource(url, refresh_interval=refresh_interval, cooldown=refresh_cooldown, clock=clock,
                                  on_change=self.accepted.clear) for url in discovery_urls]
        if not self.sources:
            raise ValueError("no discovery URL")
        self.allow_audience_list = allow_audience_list
        self.leeway = float(leeway)
        self.max_token_size = max_token_size
        self.clock = clock
        self._http = HttpSettings(_ssl(verify), timeout)
        self._locks = [type(self)._new_lock() for _ in self.sources]

    _new_lock: Callable[[], Any]

    # -- before keys ------------------------------------------------------------------------------------
    def _parse(self, token: object) -> compact.Jws:
        jws = compact.parse(token, self.max_token_size)
        if jws.alg not in ALGORITHMS:
            raise InvalidToken("algorithm not accepted")
        return jws

    def _remembered(self, token: object) -> Claims | None:
        """The claims of a token accepted before, if its lifetime still holds (InvalidToken if not)."""
        if type(token) is not str or len(token) > self.max_token_size:
            return None
        claims = self.accepted.get(token)
        if claims is not None:
            try:
                self._check_lifetime(claims.raw)
            except InvalidToken:
                self.accepted.discard(token)
                raise
        return claims

    def _stale(self) -> list[int]:
        """Sources to fetch before validating: never loaded, or due for the periodic refresh."""
        return [i for i, s in enumerate(self.sources) if s.current is None or s.refresh_due()]

    def _issuer_matches(self, issuer: str, payload: dict[str, Any]) -> bool:
        iss = payload.get("iss")
        if TENANT_TEMPLATE not in issuer:
            return iss == issuer
        tid = payload.get("tid")
        return isinstance(tid, str) and tid in self.allowed_tenants and iss == issuer.replace(TENANT_TEMPLATE, tid)

    def _source(self, jws: compact.Jws) -> tuple[int, KeySet]:
        """The discovery document whose issuer the token names, compared exactly."""
        unloaded = False
        for i, source in enumerate(self.sources):
            keyset = source.current
            if keyset is None:
                unloaded = True
            elif self._issuer_matches(keyset.issuer, jws.payload):
                return i, keyset
        if unloaded:
            raise KeysUnavailable()
        raise InvalidToken("issuer not accepted")

    # -- with the key ----------------------------------------------------------------------------------
    def _accept(self, jws: compact.Jws, key: VerifyingKey | None) -> Claims:
        if key is None:
            raise InvalidToken("unknown kid")
        if jws.alg != key.algorithm:
            raise InvalidToken("alg is not the key's algorithm")
        if not key.verify(jws.signing_input, jws.signature):
            raise InvalidToken("bad signature")
        payload = jws.payload
        exp = self._check_lifetime(payload)
        return access_token_claims(payload, self._audience(payload.get("aud")), exp)

    def _check_lifetime(self, payload: Mapping[str, Any]) -> float:
        """``exp``, if the clock is within ``exp`` and ``nbf`` (with the leeway) and both are numbers."""
        now = self.clock()
        exp = _number(payload.get("exp"))
        if exp is None:
            raise InvalidToken("exp missing or not a number")
        if now > exp + self.leeway:
            raise InvalidToken("expired", EXPIRED)
        if "nbf" in payload:
            nbf = _number(payload["nbf"])
            if nbf is None:
                raise InvalidToken("nbf not a number")
            if now + self.leeway < nbf:
                raise InvalidToken("not yet valid", NOT_YET_VALID)
        if "iat" in payload and _number(payload["iat"]) is None:
            raise InvalidToken("iat not a number")
        return exp

    def _audience(self, aud: Any) -> str:
        if isinstance(aud, str) and aud in self.audiences:
            return aud
        if isinstance(aud, list) and self.allow_audience_list and all(isinstance(a, str) for a in aud):
            for candidate in aud:
                if candidate in self.audiences:
                    return str(candidate)
        raise InvalidToken("audience not accepted", WRONG_AUDIENCE)

    def _missing(self) -> list[str]:
        return [s.discovery_url for s in self.sources if s.current is None]


class TokenValidator(_Validator):
    """Validates access tokens; thread safe. ``validate`` returns ``Claims`` or raises ``InvalidToken``
    (401) or ``KeysUnavailable`` (503 while no key could ever be loaded). Roles are checked apart: see
    ``require_roles``."""

    _new_lock = threading.Lock

    def validate(self, token: str) -> Claims:
        for i in self._stale():
            self._fetch(i, self.sources[i].refresh_due)
        if (remembered := self._remembered(token)) is not None:
            return remembered
        jws = self._parse(token)
        i, keyset = self._source(jws)
        key = keyset.keys.get(jws.kid)
        source = self.sources[i]
        if key is None:   # decided under the lock: one fetch per cooldown however many threads ask
            self._fetch(i, lambda: source.may_fetch_for(jws.kid))
            key = source.current.keys.get(jws.kid) if source.current else None
        return self.accepted.add(token, self._accept(jws, key))

    def load(self) -> None:
        """Fetch every discovery document and JWKS now (e.g. at start-up); KeysUnavailable if one has no keys."""
        for i in range(len(self.sources)):
            self._fetch(i, lambda: True)
        if missing := self._missing():
            raise KeysUnavailable(reason=f"no signing keys from {', '.join(missing)}")

    def _fetch(self, i: int, still_needed: Callable[[], bool]) -> None:
        with self._locks[i]:
            if still_needed():   # another thread may have fetched while this one waited
                fetch_keys(self.sources[i], self._http)


class AsyncTokenValidator(_Validator):
    """``TokenValidator`` for an event loop: the same checks, fetches through httpx.AsyncClient. Use one
    instance per event loop (its fetch locks are asyncio locks)."""

    _new_lock = asyncio.Lock

    async def validate(self, token: str) -> Claims:
        for i in self._stale():
            await self._fetch(i, self.sources[i].refresh_due)
        if (remembered := self._remembered(token)) is not None:
            return remembered
        jws = self._parse(token)
        i, keyset = self._source(jws)
        key = keyset.keys.get(jws.kid)
        source = self.sources[i]
        if key is None:
            await self._fetch(i, lambda: source.may_fetch_for(jws.kid))
            key = source.current.keys.get(jws.kid) if source.current else None
        return self.accepted.add(token, self._accept(jws, key))

    async def load(self) -> None:
        """``TokenValidator.load`` for an event loop."""
        for i in range(len(self.sources)):
            await self._fetch(i, lambda: True)
        if missing := self._missing():
            raise KeysUnavailable(reason=f"no signing keys from {', '.join(missing)}")

    async def _fetch(self, i: int, still_needed: Callable[[], bool]) -> None:
        async with self._locks[i]:
            if still_needed():
                await afetch_keys(self.sources[i], self._http)
