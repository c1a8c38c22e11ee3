"""A caller's group ids, from the ``groups`` claim or, past Entra's limit of 200 in a JWT, from Microsoft Graph.

An overage token carries ``_claim_names`` / ``_claim_sources`` instead of ``groups``. The endpoint in the
source points at the retired Azure AD Graph, so it is ignored: the groups come from Microsoft Graph's
``getMemberObjects`` at ``graph_url`` (``https://graph.microsoft.com`` against Entra; tenantd's HTTPS address
against tenantd), called with a token the API gets for Graph itself (e.g. its managed identity's, holding
``GroupMember.Read.All``)::

    resolver = GroupResolver(lambda: credential.get_token("https://graph.microsoft.com/.default").token)
    group_ids = resolver.groups(claims)          # or: await resolver.agroups(claims)
"""

from __future__ import annotations

import os
import ssl
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from .claims import Claims
from .jwks import require_https

MAX_PAGES = 100   # getMemberObjects answers in one page; a nextLink chain longer than this is refused


class GroupsUnavailable(Exception):
    """Graph could not say which groups the caller is in; the message names the URL and status, never a token."""


def has_overage(claims: Claims) -> bool:
    """Whether the token names its groups elsewhere instead of carrying them."""
    names = claims.raw.get("_claim_names")
    return isinstance(names, Mapping) and "groups" in names


def claimed_groups(claims: Claims) -> tuple[str, ...]:
    """The ids of the ``groups`` claim (none when absent or not a list of strings)."""
    value = claims.raw.get("groups")
    return tuple(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else ()


class GroupResolver:
    """The caller's group ids: the claim's, or Graph's answer for an overage token (see the module)."""

    def __init__(self, graph_token: Callable[[], str], graph_url: str = "https://graph.microsoft.com", *,
                 security_enabled_only: bool = False, verify: bool | str | os.PathLike[str] | ssl.SSLContext = True,
                 timeout: float = 10.0) -> None:
        self.graph_token = graph_token
        self.graph_url = require_https(graph_url, "graph_url").rstrip("/")
        self.security_enabled_only = security_enabled_only
        self.verify = verify if isinstance(verify, bool | ssl.SSLContext) else ssl.create_default_context(
            cafile=os.fspath(verify))
        self.timeout = timeout

    def groups(self, claims: Claims) -> tuple[str, ...]:
        if not has_overage(claims):
            return claimed_groups(claims)
        url, body = self._request(claims)
        with httpx.Client(verify=self.verify, timeout=self.timeout) as client:
            values: list[str] = []
            for _ in range(MAX_PAGES):
                page = self._page(client.post(url, json=body, headers=self._headers()) if body else
                                  client.get(url, headers=self._headers()), url)
                values += page[0]
                if page[1] is None:
                    return tuple(values)
                url, body = page[1], None
        raise GroupsUnavailable(f"{url}: too many pages")

    async def agroups(self, claims: Claims) -> tuple[str, ...]:
        if not has_overage(claims):
            return claimed_groups(claims)
        url, body = self._request(claims)
        async with httpx.AsyncClient(verify=self.verify, timeout=self.timeout) as client:
            values: list[str] = []
            for _ in range(MAX_PAGES):
                response = await (client.post(url, json=body, headers=self._headers()) if body else
                                  client.get(url, headers=self._headers()))
                page = self._page(response, url)
                values += page[0]
                if page[1] is None:
                    return tuple(values)
                url, body = page[1], None
        raise GroupsUnavailable(f"{url}: too many pages")

    def _request(self, claims: Claims) -> tuple[str, dict[str, Any] | None]:
        try:
            object_id = str(uuid.UUID(claims.oid or ""))
        except ValueError:
            raise GroupsUnavailable("the token names no object id (oid) to look its groups up by") from None
        collection = "servicePrincipals" if claims.is_app_only else "users"
        url = f"{self.graph_url}/v1.0/{collection}/{object_id}/getMemberObjects"
        return url, {"securityEnabledOnly": self.security_enabled_only}

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.graph_token()}", "Accept": "application/json"}


    def _page(self, response: httpx.Response, url: str) -> tuple[list[str], str | None]:
        """One page's ids and the next page's URL (only under ``graph_url``: the token goes nowhere else)."""
        if response.status_code != 200:
            raise GroupsUnavailable(f"{url}: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise GroupsUnavailable(f"{url}: not JSON") from None
        values = body.get("value") if isinstance(body, dict) else None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise GroupsUnavailable(f"{url}: no list of ids")
        next_link = body.get("@odata.nextLink")
        if next_link is None:
            return values, None
        if not isinstance(next_link, str) or not next_link.startswith(self.graph_url + "/"):
            raise GroupsUnavailable(f"{url}: a next page outside {self.graph_url}")
        return values, next_link
