"""The CLI's HTTPS client: admin tokens by client credentials, then Graph v1.0 and the admin API."""

from __future__ import annotations

import json as jsonlib
import ssl
from typing import Any

import httpx
import typer

from ..domain import builtins
from .context import Connection
from .errors import CliError


class Client:
    def __init__(self, conn: Connection, timeout: float = 30.0) -> None:
        self.conn = conn
        verify: Any = ssl.create_default_context(cafile=conn.ca_cert) if conn.ca_cert else True
        self.http = httpx.Client(base_url=conn.url, verify=verify, timeout=timeout)
        self._tokens: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def token(self, resource: str) -> str:
        """An admin token for ``resource`` (cached for this process)."""
        if resource not in self._tokens:
            response = self._send("POST", f"/{self.conn.tenant}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": self.conn.client_id,
                "client_secret": self.conn.client_secret, "scope": f"{resource}/.default",
            })
            body = _json(response)
            if response.status_code != 200:
                first = str(body.get("error_description", "")).split("\r\n")[0]
                raise CliError(f"Cannot sign in as the admin app: {first or response.status_code}")
            self._tokens[resource] = body["access_token"]
        return self._tokens[resource]

    def graph(self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None) -> Any:
        return self._call(builtins.GRAPH_RESOURCE, method, "/v1.0" + path, json=json, params=params)

    def admin(self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None) -> Any:
        return self._call(builtins.TENANTD_RESOURCE, method, "/_tenantd" + path, json=json, params=params)

    def graph_optional(self, path: str, params: dict[str, str] | None = None) -> Any:
        """GET a Graph object, or ``None`` when Graph answers 404."""
        return self._call(builtins.GRAPH_RESOURCE, "GET", "/v1.0" + path, params=params, missing_ok=True)

    def graph_all(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item of a Graph collection, following @odata.nextLink."""
        page = self.graph("GET", path, params=params)
        items = list(page.get("value", []))
        while page.get("@odata.nextLink"):
            page = self._call(builtins.GRAPH_RESOURCE, "GET", page["@odata.nextLink"])
            items.extend(page.get("value", []))
        return items

    def _call(self, resource: str, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(resource)}"}
        if kwargs.get("json") is not None:
            kwargs["content"], headers["Content-Type"] = _encoded(kwargs.pop("json")), "application/json"
        response = self._send(method, path, headers=headers, **kwargs)
        if response.status_code == 204 or (missing_ok and response.status_code == 404):
            return None
        body = _json(response)
        if response.status_code >= 400:
            error = body.get("error")
            message = error.get("message") if isinstance(error, dict) else body.get("error_description", error)
            raise CliError(f"{message or response.reason_phrase} (HTTP {response.status_code})")
        return body

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise CliError(f"Cannot reach tenantd at {self.conn.url}: {exc}") from None
        except httpx.HTTPError as exc:
            raise CliError(f"Request to tenantd failed: {exc}") from None


def connect(ctx: typer.Context) -> Client:
    """A client for the server, tenant and credentials the global options name."""
    return Client(ctx.obj.connection())


def _encoded(body: Any) -> bytes:
    """``body`` as ASCII JSON: text that UTF-8 cannot encode (an unpaired surrogate, which a tenant file's
    "\\ud800" reads as) travels as an escape, and the server refuses it with its own message."""
    return jsonlib.dumps(body, separators=(",", ":")).encode("ascii")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise CliError(f"tenantd answered HTTP {response.status_code} with a body that is not JSON.") from None
    return body if isinstance(body, dict) else {"value": body}
