"""An httpx ``Auth`` that signs in as an application with its client secret, the way its production code
would (client credentials at the tenant's token endpoint), and sends the token as a bearer."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Generator
from typing import Any

import httpx

from .api import EARLY, client_credentials


class ClientCredentialsAuth(httpx.Auth):
    """Bearer tokens for ``resource`` as app ``client_id``; one token is reused until shortly before it
    expires. The token request trusts tenantd's CA; the requests it signs keep their own client's trust."""

    def __init__(self, url: str, ca_cert: str, tenant_id: str, client_id: str, secret: str, resource: str) -> None:
        self._url = url
        self._verify = ssl.create_default_context(cafile=ca_cert)
        self._tenant_id = tenant_id
        self._client_id = client_id
        self._secret = secret
        self.resource = resource
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._token[1] - EARLY < time.time():
                with httpx.Client(base_url=self._url, verify=self._verify, timeout=30) as http:
                    self._token = client_credentials(http, self._tenant_id, self._client_id, self._secret,
                                                     self.resource)
            return self._token[0]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        yield request

    def __call__(self, request: Any) -> Any:
        """The same bearer for clients that take a callable as auth: httpx2, which Starlette's TestClient uses
        in place of httpx wherever it is installed, knows no httpx ``Auth``."""
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request
