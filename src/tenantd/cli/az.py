"""``tenantd az``: an Azure CLI configuration directory for this tenant, so that ``az login`` signs in to tenantd
and an app's DefaultAzureCredential reaches it through AzureCliCredential.

The directory (default ``<data>/az``) gets what ``az cloud register`` and ``az config set`` would write, without
running az: ``clouds.config`` with the cloud (from the server's own ``metadata/endpoints``), and ``config`` with
``[cloud] name`` and ``[core] instance_discovery = false`` (msal would otherwise ask the real
login.microsoftonline.com about tenantd's authority). The variables printed point az at it
(``AZURE_CONFIG_DIR``) and make it trust tenantd's CA (``REQUESTS_CA_BUNDLE``). The user's own ``~/.azure`` is
never written unless asked for by name and confirmed.
"""

from __future__ import annotations

import configparser
import os
import ssl
import sys
from pathlib import Path
from typing import Any

import httpx
import typer

from ..domain import azure_cloud
from .context import Connection, Options
from .errors import CliError
from .output import say, variables_text

METADATA_QUERY = "/metadata/endpoints?api-version=2022-09-01"   # what az cloud register reads
DEFAULT_FOLDER = "az"


def resource_manager_url(public_url: str, arm_url: str | None) -> str:
    """Where az is to find Resource Manager: ``arm_url``, or the public URL's loopback alias; never the public
    URL's origin, which Graph holds (the Azure CLI picks a token by origin)."""
    chosen = arm_url or azure_cloud.default_arm_url(public_url)
    if chosen is None:
        raise CliError(f"tenantd's URL {public_url} has no second loopback name for Resource Manager: pass --arm-url "
                       f"with a URL on another host name or port that reaches this server, ending in "
                       f"{azure_cloud.ARM_PATH} (the Azure CLI picks a token by origin, so Resource Manager cannot "
                       "share Graph's).")
    if not chosen.startswith("https://"):
        raise CliError(f"--arm-url must be an https URL, not '{chosen}'.")
    if azure_cloud.same_origin(chosen, public_url):
        raise CliError(f"--arm-url {chosen} has the same origin as tenantd's URL {public_url}: the Azure CLI would "
                       "send Resource Manager tokens to Graph. Use another host name or port.")
    return chosen.rstrip("/")


def _metadata(conn: Connection, arm: str) -> dict[str, Any]:
    verify: Any = ssl.create_default_context(cafile=conn.ca_cert) if conn.ca_cert else True
    url = arm + METADATA_QUERY
    try:
        response = httpx.get(url, verify=verify, timeout=30)
    except httpx.HTTPError as exc:
        raise CliError(f"Cannot read the cloud's endpoints at {url}: {exc}") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or "authentication" not in body:
        raise CliError(f"{url} answered HTTP {response.status_code} without the cloud's endpoints: is --arm-url "
                       "this server's Resource Manager?")
    return body


def _is_users_own(folder: Path) -> bool:
    return folder.expanduser().resolve() == (Path.home() / ".azure").resolve()


def _update(path: Path, sections: dict[str, dict[str, str]]) -> None:
    """Set these options in an INI file az reads with configparser, keeping everything else it holds."""
    config = configparser.ConfigParser(interpolation=None)
    try:
        config.read(path)
    except configparser.Error as exc:
        raise CliError(f"{path} is not a configuration file the Azure CLI can read: {exc}") from None
    for name, options in sections.items():
        if not config.has_section(name):
            config.add_section(name)
        for key, value in options.items():
            config.set(name, key, value)
    partial = path.with_name(path.name + ".new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        config.write(handle)
    os.replace(partial, path)


def set_up(opts: Options, conn: Connection, folder: Path | None = None, arm_url: str | None = None,
           cloud_name: str = azure_cloud.CLOUD_NAME, confirmed: bool = False) -> dict[str, str]:
    """Write the Azure CLI configuration for this server into ``folder``; the variables that point az at it."""
    target = (folder or opts.data / DEFAULT_FOLDER).expanduser()
    if _is_users_own(target) and not confirmed:
        if not sys.stdin.isatty():
            raise CliError(f"{target} is your own Azure CLI configuration: tenantd changes it only when asked to. "
                           "Pass --yes to register tenantd there (your other clouds and settings stay).")
        if not typer.confirm(f"{target} is your own Azure CLI configuration. Register tenantd there and make it "
                             "az's active cloud?"):
            raise CliError("Nothing was changed.")
    arm = resource_manager_url(conn.url, arm_url)
    options = azure_cloud.cli_cloud_options(_metadata(conn, arm))
    options["endpoint_resource_manager"] = arm + "/"
    try:
        target.mkdir(parents=True, exist_ok=True, mode=0o700)
        _update(target / "clouds.config", {cloud_name: options})
        _update(target / "config", {"cloud": {"name": cloud_name}, "core": {"instance_discovery": "false"}})
    except OSError as exc:
        raise CliError(f"Cannot write the Azure CLI configuration in {target}: {exc.strerror or exc}") from None
    variables = {"AZURE_CONFIG_DIR": str(target.resolve())}
    bundle = opts.ca_bundle() or conn.ca_cert
    if bundle:
        variables["REQUESTS_CA_BUNDLE"] = bundle
    else:
        say("[yellow]warning:[/yellow] no CA bundle is known for this server (pass --ca-cert): az will trust only "
            "the system's CAs", to_stderr=True)
    return variables


def az(
    ctx: typer.Context,
    folder: Path = typer.Option(None, "--dir", help="The Azure CLI configuration directory to write (default: "
                                                    "<data>/az). Your own ~/.azure only with confirmation."),
    arm_url: str = typer.Option(None, "--arm-url", help="Resource Manager's URL, on another origin than tenantd's "
                                                        "(default: the other loopback name, same port, /arm)."),
    cloud_name: str = typer.Option(azure_cloud.CLOUD_NAME, "--cloud-name", help="The cloud's name in az."),
    fmt: str = typer.Option("sh", "--format", help="sh | dotenv | json."),
    yes: bool = typer.Option(False, "--yes", help="Confirm writing your own ~/.azure when --dir names it."),
) -> None:
    """Set up an Azure CLI configuration for this tenant and print the variables that select it."""
    opts: Options = ctx.obj
    if fmt not in ("sh", "dotenv", "json"):
        raise CliError(f"Unknown format '{fmt}': choose sh, dotenv or json.")
    if not cloud_name.strip() or any(c in cloud_name for c in "[]\n\r"):
        raise CliError(f"'{cloud_name}' cannot name a cloud in az's configuration.")
    conn = opts.connection()
    variables = set_up(opts, conn, folder, arm_url, cloud_name, confirmed=yes)
    print(variables_text(variables, fmt))
    say(f"# az now signs in to tenantd (cloud '{cloud_name}'): eval \"$(tenantd az)\", then az login", to_stderr=True)


def register(app: typer.Typer) -> None:
    app.command("az")(az)
