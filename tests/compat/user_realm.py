"""msal (``Authority.user_realm_discovery``) first asks ``https://{host}/common/userrealm/{user}`` on port 443,
whatever port the authority names, for every authority but ADFS, before a password sign-in (ROPC). A client
reaches tenantd's port through an HTTP client (msal's documented ``http_client``; azure-identity's
``transport``) whose session sends that one request to tenantd's port: the adapter below, mounted for
``https://localhost/common/userrealm/`` only, so it changes nothing against Entra ID."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

from ..support import Server


class UserRealmAtPort(HTTPAdapter):
    """Sends msal's port-less user realm request to the authority's port."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        request.url = str(request.url).replace("https://localhost/", f"https://localhost:{self.port}/", 1)
        return super().send(request, *args, **kwargs)


def session_for(server: Server) -> requests.Session:
    session = requests.Session()
    session.verify = server.info["ca_bundle"]
    session.mount("https://localhost/common/userrealm/", UserRealmAtPort(int(server.url.rsplit(":", 1)[1])))
    return session
