"""``tenantd run --as IDENTITY -- CMD`` and ``tenantd env --as IDENTITY``: a process runs as a managed
identity, with the environment a platform would give it and nothing that would steer
DefaultAzureCredential elsewhere.

``--platform workload`` is workload identity federation, as on AKS: the process gets a token file and signs
in with it as a user-assigned identity (AZURE_FEDERATED_TOKEN_FILE & co). tenantd itself is the token file's
issuer: the file holds a token tenantd issues to the identity for api://AzureADTokenExchange, so its issuer
is this tenant's (``https://<server>/<tenant id>/``) and its subject the identity's object (principal) id.
One of the identity's federated credentials must trust exactly that issuer and subject; ``run`` says how to
add it when none does. While the process runs, the file is rewritten well before the token in it expires.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from ..domain import builtins
from ..domain.platforms import PLATFORMS, STEERING, child_environment, choose_host, platform_env, workload_env
from .az import set_up
from .client import Client
from .context import Connection, Options
from .errors import CliError
from .output import say, variables_text
from .resolve import managed_identity
from .tokens import unverified_parts

TOKEN_FILE_REFRESH = 15 * 60   # tokens tenantd issues live at least an hour; azure-identity re-reads every 10 min


@dataclass(frozen=True)
class Session:
    host: str
    secret: str
    identity: dict[str, Any]


def _identity_url(opts: Options) -> str:
    url = os.environ.get("TENANTD_IDENTITY_URL") or opts.server_info().get("identity_url")
    if not url:
        raise CliError("This server has no managed identity listener (no identity_url in server.json).")
    return str(url).rstrip("/")


def open_session(client: Client, key: str, host: str | None, lifetime: int | None = None) -> Session:
    """Resolve the identity, pick its host, and open a session for that host on the server."""
    identity = managed_identity(client, key)
    chosen = choose_host(identity["name"], identity.get("type", ""), identity.get("resourceId"),
                         identity.get("hosts") or [], host)
    body: dict[str, Any] = {"host": chosen}
    if lifetime:
        body["lifetimeSeconds"] = lifetime
    opened = client.admin("POST", "/hosts/sessions", json=body)
    return Session(chosen, opened["secret"], identity)


def session_env(session: Session, platform: str, identity_url: str, tenant_id: str,
                ca_bundle: str | None) -> dict[str, str]:
    """The variables a platform sets for a process running as ``session``'s identity."""
    user_assigned = session.identity.get("type") == "UserAssigned"
    return platform_env(session.secret, platform, identity_url, tenant_id, ca_bundle,
                        session.identity["clientId"] if user_assigned else None)


def workload_token(client: Client, identity: dict[str, Any]) -> str:
    """A token tenantd issues to a user-assigned identity for api://AzureADTokenExchange, after checking that
    one of the identity's federated credentials trusts its issuer and subject (the server checks it again)."""
    if identity.get("type") != "UserAssigned":
        raise CliError(f"'{identity['name']}' is system-assigned: workload identity needs a user-assigned identity "
                       "(only those have federated credentials).")
    token = str(client.admin("POST", "/token", json={"principalId": identity["id"],
                                                     "resource": builtins.TOKEN_EXCHANGE_RESOURCE})["access_token"])
    claims = unverified_parts(token)["claims"]
    trusted = client.admin("GET", f"/identities/{identity['id']}/federatedIdentityCredentials")["value"]
    if not any(c["issuer"] == claims.get("iss") and c["subject"] == claims.get("sub") for c in trusted):
        raise CliError(f"'{identity['name']}' has no federated credential for the tokens tenantd issues to it. Add "
                       f"one with: tenantd identity federated add {shlex.quote(identity['name'])} --name tenantd "
                       f"--issuer {claims.get('iss')} --subject {claims.get('sub')}")
    return token


def write_token_file(path: Path, token: str) -> None:
    """Replace the file in one step (a reader never sees half a token); only the owner may read it."""
    partial = path.with_name(path.name + ".new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    os.replace(partial, path)


class TokenFileRefresher:
    """Rewrites a workload's token file every TOKEN_FILE_REFRESH seconds until stopped, as a kubelet does."""

    def __init__(self, client: Client, identity: dict[str, Any], path: Path) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(client, identity, path), daemon=True)
        self._thread.start()

    def _run(self, client: Client, identity: dict[str, Any], path: Path) -> None:
        while not self._stop.wait(TOKEN_FILE_REFRESH):
            try:
                write_token_file(path, workload_token(client, identity))
            except CliError as exc:
                say(f"[yellow]warning:[/yellow] the token file was not refreshed: {exc}", to_stderr=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


AS_HELP = "Managed identity: name, client id or object id."
AZ_HELP = ("Also the Azure CLI's configuration for this tenant (tenantd az), so DefaultAzureCredential reaches "
           "AzureCliCredential signed in to tenantd.")
NO_IDENTITY = "no-managed-identity"   # a path under the identity listener that names no host


def _checked(platform: str, as_: str | None, use_az: bool, host: str | None) -> None:
    if platform not in PLATFORMS:
        raise CliError(f"Unknown platform '{platform}': choose one of {', '.join(PLATFORMS)}.")
    if as_ is None and not use_az:
        raise CliError("Give --as IDENTITY (a managed identity), --az (the Azure CLI signed in to tenantd), or both.")
    if as_ is None and host:
        raise CliError("--host names the host of a managed identity: it needs --as.")


def az_only_env(opts: Options, conn: Connection) -> dict[str, str]:
    """The Azure CLI's variables, and IMDS moved to tenantd's identity listener under a path that names no host:
    DefaultAzureCredential's managed identity step gets IMDS's "Identity not found" there and moves on to the
    Azure CLI, where otherwise it would probe the real IMDS address."""
    variables = set_up(opts, conn)
    url = os.environ.get("TENANTD_IDENTITY_URL") or (None if opts.url else opts.server_info().get("identity_url"))
    if url:
        variables["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = f"{str(url).rstrip('/')}/{NO_IDENTITY}"
    return variables


def run(
    ctx: typer.Context,
    command: list[str] = typer.Argument(..., help="The command to run, after --."),
    as_: str = typer.Option(None, "--as", help=AS_HELP),
    host: str = typer.Option(None, "--host", help="Host resource id (user-assigned identities)."),
    platform: str = typer.Option("appservice", "--platform",
                                 help="appservice | imds | msi2017 | cloudshell | workload."),
    use_az: bool = typer.Option(False, "--az", help=AZ_HELP),
) -> None:
    """Run a command as a managed identity and/or with the Azure CLI signed in to tenantd; its exit code is
    tenantd's."""
    opts: Options = ctx.obj
    _checked(platform, as_, use_az, host)
    conn = opts.connection()
    if as_ is None:
        raise typer.Exit(_run_child(command, child_environment(os.environ, az_only_env(opts, conn))))
    extra = set_up(opts, conn) if use_az else {}
    if platform == "workload":
        raise typer.Exit(_run_workload(opts, conn, as_, host, command, extra))
    with Client(conn) as client:
        session = open_session(client, as_, host)
        env = child_environment(os.environ, {**session_env(
            session, platform, _identity_url(opts), conn.tenant, opts.ca_bundle()), **extra})
        try:
            code = _run_child(command, env)
        finally:
            client.admin("DELETE", "/hosts/sessions", json={"secret": session.secret})
    raise typer.Exit(code)


def _run_workload(opts: Options, conn: Connection, key: str, host: str | None, command: list[str],
                  extra: dict[str, str]) -> int:
    if host:
        raise CliError("--host does not apply to --platform workload: the process signs in with a token file.")
    with Client(conn) as client, tempfile.TemporaryDirectory(prefix="tenantd-workload-") as folder:
        identity = managed_identity(client, key)
        token_file = Path(folder) / "token"
        write_token_file(token_file, workload_token(client, identity))
        env = child_environment(os.environ, {**workload_env(identity["clientId"], str(token_file), conn.url,
                                                            conn.tenant, opts.ca_bundle()), **extra})
        refresher = TokenFileRefresher(client, identity, token_file)
        try:
            return _run_child(command, env)
        finally:
            refresher.stop()


def _run_child(command: list[str], env: dict[str, str]) -> int:
    try:
        child = subprocess.Popen(command, env=env)
    except OSError as exc:
        raise CliError(f"Cannot start {command[0]}: {exc.strerror}") from None
    forwarded = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda s, _f: child.send_signal(s)) for sig in forwarded}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code if code >= 0 else 128 - code


def env(
    ctx: typer.Context,
    as_: str = typer.Option(None, "--as", help=AS_HELP),
    host: str = typer.Option(None, "--host", help="Host resource id (user-assigned identities)."),
    platform: str = typer.Option("appservice", "--platform",
                                 help="appservice | imds | msi2017 | cloudshell | workload."),
    fmt: str = typer.Option("sh", "--format", help="sh | dotenv | json."),
    lifetime: int = typer.Option(7 * 24 * 3600, "--lifetime", help="Seconds the host secret stays valid."),
    token_file: str = typer.Option(None, "--token-file",
                                   help="workload: where to write the token file (default: in the data directory)."),
    use_az: bool = typer.Option(False, "--az", help=AZ_HELP),
) -> None:
    """Print the environment `tenantd run` would set, for IDEs and compose files."""
    opts: Options = ctx.obj
    if fmt not in ("sh", "dotenv", "json"):
        raise CliError(f"Unknown format '{fmt}': choose sh, dotenv or json.")
    _checked(platform, as_, use_az, host)
    conn = opts.connection()
    if as_ is None:
        variables = az_only_env(opts, conn)
        print(variables_text(variables, fmt, unset=[v for v in STEERING if v not in variables]))
        say(f"# the Azure CLI's configuration for this tenant is in {variables['AZURE_CONFIG_DIR']}", to_stderr=True)
        return
    with Client(conn) as client:
        if platform == "workload":
            if host:
                raise CliError("--host does not apply to --platform workload: the process signs in with a token file.")
            identity = managed_identity(client, as_)
            path = Path(token_file) if token_file else opts.data / "workload" / f"{identity['id']}.token"
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_token_file(path, workload_token(client, identity))
            variables = workload_env(identity["clientId"], str(path.resolve()), conn.url, conn.tenant,
                                     opts.ca_bundle())
            note = f"# token file {path}: valid for an hour; run this again to refresh it"
        else:
            session = open_session(client, as_, host, lifetime)
            variables = session_env(session, platform, _identity_url(opts), conn.tenant, opts.ca_bundle())
            note = f"# host {session.host}; the secret above is valid for {lifetime} s"
    if use_az:
        variables.update(set_up(opts, conn))
    print(variables_text(variables, fmt, unset=[v for v in STEERING if v not in variables]))
    say(note, to_stderr=True)


def register(app: typer.Typer) -> None:
    app.command("run", context_settings={"allow_interspersed_args": False})(run)
    app.command("env")(env)



