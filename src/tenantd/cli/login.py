"""``tenantd login`` and ``tenantd logout``: a person signs in through the device code flow, as
``az login --use-device-code`` does, and ``tenantd token --resource R`` without ``--as`` then gets her
tokens with her refresh token, as ``az account get-access-token`` does.

The sign-in is kept in ``login.json`` in the data directory, readable only by its owner: the refresh token
is a credential. ``tenantd logout`` forgets it (the server keeps nothing for a forgotten token to reach).
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import typer

from ..domain import builtins
from .errors import CliError
from .output import JSON_OPTION, emit_json

LOGIN_FILE = "login.json"
CLIENT_ID = builtins.AZURE_CLI_APP_ID   # a first-party public client every tenant holds, as for `az login`
SIGN_IN_SCOPE = "openid profile offline_access"


@dataclass(frozen=True)
class Authority:
    """Where a person signs in: the server, the CA to trust and the tenant (id or name)."""

    url: str
    ca_cert: str | None
    tenant: str

    def client(self) -> httpx.Client:
        verify: Any = ssl.create_default_context(cafile=self.ca_cert) if self.ca_cert else True
        return httpx.Client(base_url=self.url, verify=verify, timeout=30)


def authority(ctx: typer.Context) -> Authority:
    """The server and tenant the global options name; no admin credentials are needed."""
    opts = ctx.obj
    if opts.url:
        if not opts.tenant:
            raise CliError("--url needs --tenant (the tenant id or name).")
        return Authority(opts.url.rstrip("/"), opts.ca_cert, opts.tenant)
    info = opts.server_info()
    return Authority(str(info["url"]).rstrip("/"), opts.ca_cert or info.get("ca_cert"),
                     opts.tenant or str(info["tenant_id"]))


def login(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Sign a person in through the device code flow: open the page it names, enter the code, sign in."""
    where = authority(ctx)
    with where.client() as client:
        offer = _post(client, f"/{where.tenant}/oauth2/v2.0/devicecode",
                      {"client_id": CLIENT_ID, "scope": SIGN_IN_SCOPE})
        sys.stderr.write(str(offer["message"]) + "\n")
        body = _poll(client, where.tenant, offer)
    claims = _claims(str(body.get("id_token", "")))
    saved = {"url": where.url, "tenant": claims.get("tid", where.tenant), "ca_cert": where.ca_cert,
             "username": claims.get("preferred_username"), "client_id": CLIENT_ID,
             "refresh_token": body["refresh_token"]}
    _save(ctx.obj.data / LOGIN_FILE, saved)
    account = {"username": saved["username"], "tenant": saved["tenant"], "name": claims.get("name")}
    if as_json:
        emit_json(account)
    else:
        sys.stdout.write(f"Signed in as {account['username']} in tenant {account['tenant']}.\n")


def logout(ctx: typer.Context) -> None:
    """Forget the person `tenantd login` signed in."""
    path: Path = ctx.obj.data / LOGIN_FILE
    if not path.exists():
        raise CliError("Nobody is signed in (no `tenantd login` in this data directory).")
    path.unlink()
    sys.stdout.write("Signed out.\n")


def person_token(ctx: typer.Context, resource: str) -> dict[str, Any]:
    """A token for ``resource`` (an App ID URI or appId) for the signed-in person, by her refresh token."""
    path: Path = ctx.obj.data / LOGIN_FILE
    saved = _load(path)
    where = Authority(saved["url"], saved.get("ca_cert"), saved["tenant"])
    with where.client() as client:
        body = _post(client, f"/{where.tenant}/oauth2/v2.0/token", {
            "grant_type": "refresh_token", "client_id": saved["client_id"], "refresh_token": saved["refresh_token"],
            "scope": f"{resource.removesuffix('/.default')}/.default {SIGN_IN_SCOPE}"})
    if body.get("refresh_token"):
        _save(path, {**saved, "refresh_token": body["refresh_token"]})
    return body


def _poll(client: httpx.Client, tenant: str, offer: dict[str, Any]) -> dict[str, Any]:
    """Poll the token endpoint at the offered interval until the person answers or the code expires."""
    interval = int(offer.get("interval", 5))
    deadline = time.monotonic() + int(offer.get("expires_in", 900))
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": CLIENT_ID,
            "device_code": str(offer["device_code"])}
    while time.monotonic() < deadline:
        time.sleep(interval)
        response = _send(client, f"/{tenant}/oauth2/v2.0/token", form)
        body = _json(response)
        if response.status_code == 200:
            return body
        error = body.get("error")
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += 5
            continue
        raise CliError(f"Sign-in failed: {_first_line(body, response)}")
    raise CliError("Sign-in failed: the code expired before anyone entered it. Run `tenantd login` again.")


def _post(client: httpx.Client, path: str, form: dict[str, str]) -> dict[str, Any]:
    response = _send(client, path, form)
    body = _json(response)
    if response.status_code != 200:
        raise CliError(f"Sign-in failed: {_first_line(body, response)}")
    return body


def _send(client: httpx.Client, path: str, form: dict[str, str]) -> httpx.Response:
    try:
        return client.post(path, data=form)
    except httpx.HTTPError as exc:
        raise CliError(f"Cannot reach tenantd at {client.base_url}: {exc}") from None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise CliError(f"tenantd answered HTTP {response.status_code} with a body that is not JSON.") from None
    return body if isinstance(body, dict) else {}


def _first_line(body: dict[str, Any], response: httpx.Response) -> str:
    return str(body.get("error_description") or body.get("error") or response.status_code).split("\r\n")[0]


def _claims(token: str) -> dict[str, Any]:
    """An ID token's claims, read without verification: only to name the account to its own person."""
    try:
        payload = token.split(".")[1]
        value = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _save(path: Path, saved: dict[str, Any]) -> None:
    """Write the sign-in readable by its owner only (the file is made with that mode, never widened)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(saved, out)
    os.replace(temporary, path)


def _load(path: Path) -> dict[str, Any]:
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        raise CliError("Nobody is signed in: run `tenantd login`, or name a principal with --as.") from None
    except (OSError, ValueError) as exc:
        raise CliError(f"Cannot read {path}: {exc}") from None
    if not isinstance(saved, dict) or "refresh_token" not in saved:
        raise CliError(f"{path} is not a tenantd sign-in; run `tenantd login` again.")
    return saved


def register(root: typer.Typer) -> None:
    root.command("login")(login)
    root.command("logout")(logout)
