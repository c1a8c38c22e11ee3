"""Options every command shares, and where the server and its admin credentials are found.

Like a kubeconfig: ``--url`` with ``--client-id``/``--client-secret`` (or TENANTD_URL, TENANTD_CLIENT_ID,
TENANTD_CLIENT_SECRET) name a server explicitly; otherwise ``server.json`` and ``credentials.json`` in the
data directory (``--data`` / TENANTD_DATA, default ``./.tenantd``) do.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..bootstrap import read_credentials
from .errors import CliError

DEFAULT_DATA = ".tenantd"


def data_dir_from(value: str | None) -> Path:
    return Path(value or os.environ.get("TENANTD_DATA") or DEFAULT_DATA)


@dataclass
class Options:
    data: Path
    tenant: str | None
    url: str | None
    client_id: str | None
    client_secret: str | None
    ca_cert: str | None
    json: bool = False

    def server_info(self) -> dict[str, Any]:
        path = self.data / "server.json"
        try:
            info = json.loads(path.read_text())
        except FileNotFoundError:
            raise CliError(f"No running tenantd found: {path} does not exist. Start one with `tenantd up`, "
                           "or pass --url and client credentials.") from None
        except (OSError, ValueError) as exc:
            raise CliError(f"Cannot read {path}: {exc}") from None
        if not isinstance(info, dict) or "url" not in info:
            raise CliError(f"{path} is not a tenantd server file.")
        return info

    def ca_bundle(self) -> str | None:
        """The system's CAs plus tenantd's, as ``up`` wrote them (none for a server named by ``--url``)."""
        bundle = self.server_info().get("ca_bundle") if not self.url else None
        return str(bundle) if bundle else None

    def connection(self) -> Connection:
        """Server URL, CA, tenant and admin credentials for the chosen tenant."""
        if self.url:
            if not (self.client_id and self.client_secret):
                raise CliError("--url needs --client-id and --client-secret (or TENANTD_CLIENT_ID/SECRET).")
            if not self.tenant:
                raise CliError("--url needs --tenant (the tenant id or name).")
            return Connection(self.url.rstrip("/"), self.ca_cert, self.tenant, self.client_id, self.client_secret)
        info = self.server_info()
        ca = self.ca_cert or info.get("ca_cert")
        if not self.tenant or self.tenant in (info.get("tenant_id"), info.get("tenant_name")):
            return Connection(info["url"].rstrip("/"), ca, info["tenant_id"], info["admin_client_id"],
                              info["admin_client_secret"])
        for tenant_id, creds in read_credentials(self.data).items():
            if self.tenant in (tenant_id, creds.get("tenant_name")):
                return Connection(info["url"].rstrip("/"), ca, tenant_id, creds["client_id"], creds["client_secret"])
        raise CliError(f"No admin credentials for tenant '{self.tenant}' in {self.data}. "
                       "Create it with `tenantd tenant create`, or pass --client-id/--client-secret.")


@dataclass(frozen=True)
class Connection:
    url: str
    ca_cert: str | None
    tenant: str
    client_id: str
    client_secret: str
