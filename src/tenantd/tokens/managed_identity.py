"""Managed identity token requests, whatever platform protocol carried them (IMDS, App Service, MSI 2017,
Cloud Shell): find the host by its secret, pick the identity, and answer from a cache as IMDS does.

The cache is checked against the identity's current roles (and the groups the resource asks for) on every hit
(read through the directory cache,
which reads the directory again after any change), so a role assigned or revoked shows in the very next
token on every worker and replica. ``stale_cache`` keeps serving cached tokens regardless, as Azure does for
up to 24 h, for users who want to rehearse that. ``from_memory`` answers a hit without a thread or a wait
when the directory's version is known without one (``DirectoryCache.quick_view``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Literal

from ..domain.errors import OAuthError
from ..domain.model import Host, ServicePrincipal
from ..metrics import instruments
from ..store import Tx
from . import jwt, signins
from .app_access import app_request
from .directory_cache import DirectoryView, NotInMemory
from .group_claims import groups_for
from .request import IssuedToken
from .service import TokenService, resource_key, roles_key

MI_TOKEN_LIFETIME = 24 * 3600
REFRESH_MARGIN = 5 * 60
CACHE_LIMIT = 10_000

SelectorKind = Literal["client_id", "object_id", "resource_id"]


@dataclass(frozen=True)
class Selector:
    kind: SelectorKind
    value: str


class IdentityError(Exception):
    """A refused managed identity request; the adapter renders it in its platform's shape."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass(frozen=True)
class IdentityToken:
    issued: IssuedToken
    client_id: str
    roles: tuple[str, ...]
    groups: tuple[str, ...] | None = None

    @cached_property
    def kid(self) -> str:
        """The signing key, so a cached token signed by a key revoked since is not handed out."""
        return str(jwt.unverified_parts(self.issued.access_token)[0].get("kid", ""))


class ManagedIdentityTokens:
    def __init__(self, service: TokenService, lifetime: int = MI_TOKEN_LIFETIME, stale_cache: bool = False) -> None:
        self.service = service
        self.lifetime = lifetime
        self.stale_cache = stale_cache
        self._cache: dict[tuple[str, str, str, str], IdentityToken] = {}
        self._lock = threading.Lock()

    def host_for(self, secret: str, view: DirectoryView | None = None) -> Host | None:
        """The host a secret was issued to, while the secret is valid.

        The secret (an identity header, MSI secret or IMDS path prefix) is never compared as text: its HMAC
        with the server's pepper is looked up. The lookup's timing can tell at most how many leading bytes of
        HMAC(pepper, guess) match a stored one, which says nothing about the next guess while the pepper is
        secret: as good as a constant-time comparison, and an index lookup (or a dict's, once cached)."""
        if not secret or len(secret) > 256:
            return None
        digest = self.service.hasher(secret)
        return self._live((view or self.view()).get(_host_key(digest), lambda tx: _host_of(tx, digest)))

    def _live(self, found: tuple[float, Host] | None) -> Host | None:
        """The host of a host credential found (its end, its host) while the credential is valid."""
        if found is None:
            return None
        expires, host = found
        return host if expires > self.service.clock() else None

    def view(self) -> DirectoryView:
        """The directory as of now, for a request's host lookup and token to share."""
        return self.service.directory_cache.view()

    def host_and_view(self, secret: str) -> tuple[Host | None, DirectoryView]:
        view = self.view()
        return self.host_for(secret, view), view

    def token(self, host: Host, resource_name: str, selector: Selector | None,
              client_ip: str | None = None, view: DirectoryView | None = None) -> IdentityToken:
        """A token for one of ``host``'s identities. A fresh token or a refusal is a sign-in; a cache hit is
        not, as in Azure. Refusals IMDS makes itself ("Identity not found") have no AADSTS code."""
        try:
            return self._token(host, resource_name, selector, client_ip, view or self.view())
        except IdentityError as exc:
            self.service.record(signins.refused(host.tenant_id, "managed_identity", self.service.clock(),
                                                exc.description, client=_picked(host, selector),
                                                resource=resource_name, client_ip=client_ip))
            raise

    def _token(self, host: Host, resource_name: str, selector: Selector | None,
               client_ip: str | None, view: DirectoryView) -> IdentityToken:
        identity = pick_identity(host, selector)
        if not identity.account_enabled:
            raise IdentityError(400, "invalid_request", "Identity not found")
        try:
            request = app_request(self.service, view, host.tenant_id, identity, resource_name, "2",
                                  require_assignment=False, host_resource_id=host.resource_id)
        except OAuthError as exc:   # an unknown resource: IMDS says invalid_resource
            raise IdentityError(400, "invalid_resource", str(exc)) from None
        roles, groups = request.roles, request.groups
        key = (host.tenant_id, host.resource_id, identity.id, resource_name)  # xms_az_rid names the host
        cached = self._fresh(key, roles, groups)
        if cached and self.service.keyring.is_published(host.tenant_id, cached.kid):
            instruments().identity_cache_outcome(hit=True)
            return cached
        instruments().identity_cache_outcome(hit=False)
        fresh = IdentityToken(self.service.sign_app(request, identity.display_name, lifetime=self.lifetime),
                              identity.app_id, roles, groups)
        self.service.record(signins.issued(host.tenant_id, "managed_identity", fresh.issued, self.service.clock(),
                                           client_ip))
        with self._lock:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = fresh
        return fresh

    def from_memory(self, secret: str, resource_name: str,
                    selector: Selector | None) -> tuple[Host, IdentityToken] | None:
        """The host and its cached token when memory alone can answer, without a wait: the directory's version
        known without one (``DirectoryCache.quick_view``), and the host, the resource, the roles and a good
        token all in memory. Else None: the caller takes the full path
        (``host_and_view``, ``token``), which also gives every refusal."""
        view = self.service.directory_cache.quick_view()
        if view is None or not secret or len(secret) > 256:
            return None
        host = self._live(view.cached(_host_key(self.service.hasher(secret))))
        if host is None:
            return None
        try:
            identity = pick_identity(host, selector)
        except IdentityError:
            return None
        resource = view.cached(resource_key(host.tenant_id, resource_name))
        roles = resource and view.cached(roles_key(identity.id, resource.service_principal.id))
        if not identity.account_enabled or not roles:
            return None
        try:
            groups = groups_for(view.in_memory(), host.tenant_id, resource.service_principal, identity.id)
        except NotInMemory:
            return None
        cached = self._fresh((host.tenant_id, host.resource_id, identity.id, resource_name), roles[0] or (), groups)
        if cached is None or not self.service.keyring.known_published(host.tenant_id, cached.kid):
            return None
        instruments().identity_cache_outcome(hit=True)
        return host, cached

    def _fresh(self, key: tuple[str, str, str, str], roles: tuple[str, ...],
               groups: tuple[str, ...] | None) -> IdentityToken | None:
        """The cached token for ``key`` while it is not near its end and holds ``roles`` and ``groups`` (any
        when the cache is stale by choice)."""
        cached = self._cache.get(key)
        if (cached and cached.issued.expires_on - REFRESH_MARGIN > int(self.service.clock())
                and (self.stale_cache or (cached.roles, cached.groups) == (roles, groups))):
            return cached
        return None


def _host_key(digest: bytes) -> tuple[str, bytes]:
    """The directory cache's key of a host credential (``(its end, the Host)``)."""
    return ("host", digest)


def _host_of(tx: Tx, digest: bytes) -> tuple[float, Host] | None:
    """A host credential's end (a POSIX time) and its host, in one transaction."""
    found = tx.host_credential(digest)
    if found is None:
        return None
    tenant_id, resource_id, expires = found
    return datetime.fromisoformat(expires).timestamp(), tx.host(tenant_id, resource_id)


def _picked(host: Host, selector: Selector | None) -> ServicePrincipal | None:
    """The identity a refused request named, when the host has it (for the sign-in log)."""
    try:
        return pick_identity(host, selector)
    except IdentityError:
        return None


def pick_identity(host: Host, selector: Selector | None) -> ServicePrincipal:
    """The host's system-assigned identity, or the attached one the selector names; else "Identity not found"."""
    if selector is None:
        if host.system_identity is None:
            raise IdentityError(400, "invalid_request", "Identity not found")
        return host.system_identity
    value = selector.value.lower()
    for identity in host.identities:
        if ((selector.kind == "client_id" and identity.app_id == value)
                or (selector.kind == "object_id" and identity.id == value)
                or (selector.kind == "resource_id"
                    and (identity.managed_identity_resource_id or "").lower() == value)):
            return identity
    raise IdentityError(400, "invalid_request", "Identity not found")
