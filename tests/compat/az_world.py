"""What the Azure CLI tests share: one tenantd with the demo tenant (the Things API that pre-authorizes the Azure
CLI, Megan reading it through her group, Alice, the Global Administrator, the dev app with its secret and
role, the joonasmsitest identity), its subscription made visible to every principal, the loopback proxy, and new az
"users", each with its own configuration directory (``tenantd az --dir``) in which tenantd is the active cloud."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest

from ..support import Server, start_server
from .azure_cli import Az, install
from .loopback_proxy import LoopbackProxy

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
THINGS, THINGS_DEV = "api://things", "api://things-dev"


@dataclass
class AzWorld:
    server: Server
    binary: Path
    proxy: LoopbackProxy
    secrets: dict[str, Any]

    @property
    def tenant_id(self) -> str:
        return self.server.tenant_id

    def password(self, user_name: str) -> str:
        return str(self.secrets["users"][user_name]["password"])

    def app_secret(self, display_name: str) -> tuple[str, str]:
        """(client id, secret) of a demo application."""
        found = self.secrets["applications"][display_name]
        return str(found["client_id"]), str(found["client_secret"])

    def az(self, folder: Path | None = None) -> Az:
        """A new az user whose configuration ``tenantd az`` wrote (``folder``, default the data directory's
        ``az``, the one ``tenantd run --az`` hands a child); its variables are the ones az runs with."""
        command = ["az", "--format", "json", *(["--dir", str(folder)] if folder else [])]
        printed = json.loads(self.server.cli(*command, check=True).stdout)["set"]
        return Az(self.binary, Path(printed["AZURE_CONFIG_DIR"]), printed["REQUESTS_CA_BUNDLE"], self.proxy.url)


@contextlib.contextmanager
def az_world(factory: pytest.TempPathFactory, *args: str) -> Iterator[AzWorld]:
    binary = install()
    server = start_server(factory.mktemp("tenantd"), "--demo", *args)
    proxy = LoopbackProxy(int(server.url.rsplit(":", 1)[1]))
    try:
        # The demo's subscription names who sees it; these tests sign in as principals they create too.
        server.cli("subscription", "add", "Contoso dev", "--id", SUBSCRIPTION, "--everyone", check=True)
        secrets = json.loads((server.data / "demo-secrets.json").read_text())
        yield AzWorld(server, binary, proxy, secrets)
        assert proxy.refused == [], f"az tried to leave loopback: {proxy.refused}"
    finally:
        proxy.close()
        server.stop()


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))
