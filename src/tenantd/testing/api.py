"""Talking to a tenantd as one tenant's admin app: client credentials for Graph and the admin API, cached
until shortly before they expire, and errors that carry the server's own message."""

from __future__ import annotations

import ssl
import threading
import time
from typing import Any

import httpx

GRAPH = "https://graph.microsoft.com"
ADMIN_API = "api://tenantd"
EARLY = 120.0   # renew a cached token this many seconds before it expires


class RequestFailed(Exception):
    """tenantd refused a request a test helper made; the message is the server's (never a secret)."""

    def __init__(self, method: str, path: str, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.body = _json(response)
        super().__init__(f"{method} {path} -> {response.status_code}: {_message(self.body) or response.text[:300]}")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _message(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):   # Graph's envelope
        return f"{error.get('code')}: {error.get('message')}"
    return body.get("error_description") or (error if isinstance(error, str) else None)


def client_credentials(http: httpx.Client, tenant_id: str, client_id: str, secret: str,
                       resource: str) -> tuple[str, float]:
    """A token for ``resource`` (App ID URI or appId) from the v2 token endpoint, and when it expires."""
    scope = resource if resource.endswith("/.default") else f"{resource.rstrip('/')}/.default"
    response = http.post(f"/{tenant_id}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope})
    if response.status_code != 200:
        raise RequestFailed("POST", f"/{tenant_id}/oauth2/v2.0/token", response)
    body = response.json()
    return str(body["access_token"]), time.time() + float(body["expires_in"])


class AdminApi:
    """Graph v1.0 and tenantd's admin API for one tenant, as its admin app."""

    def __init__(self, url: str, ca_cert: str, tenant_id: str, client_id: str, client_secret: str) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._secret = client_secret
        self.http = httpx.Client(base_url=url, verify=ssl.create_default_context(cafile=ca_cert), timeout=30)
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, resource: str) -> str:
        with self._lock:
            cached = self._tokens.get(resource)
            if cached is None or cached[1] - EARLY < time.time():
                cached = client_credentials(self.http, self.tenant_id, self.client_id, self._secret, resource)
                self._tokens[resource] = cached
            return cached[0]

    def request(self, resource: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.token(resource)}"}
        return self.http.request(method, path, headers=headers, **kwargs)

    def call(self, resource: str, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of a request that must succeed (None for 204); RequestFailed otherwise."""
        response = self.request(resource, method, path, **kwargs)
        if response.status_code >= 400:
            raise RequestFailed(method, path, response)
        return None if response.status_code == 204 or not response.content else response.json()

    def graph(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(GRAPH, method, "/v1.0" + path, **kwargs)

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(ADMIN_API, method, "/_tenantd" + path, **kwargs)

    def graph_list(self, path: str, **params: str) -> list[dict[str, Any]]:
        """Every item of a Graph collection, following @odata.nextLink."""
        page = self.graph("GET", path, params={"$top": "999", **params})
        items: list[dict[str, Any]] = list(page["value"])
        while page.get("@odata.nextLink"):
            response = self.request(GRAPH, "GET", page["@odata.nextLink"])
            if response.status_code >= 400:
                raise RequestFailed("GET", path, response)
            page = response.json()
            items += page["value"]
        return items

    def close(self) -> None:
        self.http.close()
