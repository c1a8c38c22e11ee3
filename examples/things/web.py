"""Things web: reads the things from the Things API with a token from DefaultAzureCredential, no secret in
the code. In App Service the token comes from the app's managed identity; on a laptop from tenantd
(``tenantd run --as joonasmsitest -- python web.py``), or from a dev app's secret in AZURE_CLIENT_ID,
AZURE_CLIENT_SECRET and AZURE_TENANT_ID.

    THINGS_URL     the API's base URL (default http://127.0.0.1:8000)
    THINGS_SCOPE   the API's App ID URI + /.default (default api://things/.default)

Prints the API's answer; exits 0 when the API said yes, 1 otherwise.
"""

from __future__ import annotations

import os
import sys

import httpx
from azure.identity import DefaultAzureCredential


def main() -> int:
    url = os.environ.get("THINGS_URL", "http://127.0.0.1:8000").rstrip("/")
    scope = os.environ.get("THINGS_SCOPE", "api://things/.default")
    with DefaultAzureCredential() as credential:
        token = credential.get_token(scope).token
    response = httpx.get(f"{url}/things", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    print(response.status_code, response.text)
    if response.status_code in (401, 403):
        print(response.headers.get("www-authenticate", ""), file=sys.stderr)
    return 0 if response.is_success else 1


if __name__ == "__main__":
    sys.exit(main())
