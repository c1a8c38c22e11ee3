"""``tenantd``: the entry point and the options every command shares."""

from __future__ import annotations

import sys
from importlib.metadata import version

import click
import typer
from rich.console import Console
from rich.markup import escape

from ..domain.errors import ConfigError
from . import (
    apps,
    az,
    backup,
    consents,
    domains,
    grants,
    groups,
    identities,
    init,
    keys,
    login,
    logs,
    roles,
    run,
    server_cmds,
    sps,
    subscriptions,
    tenantfile,
    tenants,
    tokens,
    users,
)
from .context import Options, data_dir_from
from .errors import CliError

app = typer.Typer(
    name="tenantd", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="A self-hostable, Entra ID compatible tenant for service-to-service identity.",
)


def _show_version(show: bool) -> None:
    if show:
        print(f"tenantd {version('tenantd')}")
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    _version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                  help="Print the version and exit."),
    data: str = typer.Option(None, "--data", help="Data directory (default ./.tenantd, or TENANTD_DATA)."),
    tenant: str = typer.Option(None, "--tenant", envvar="TENANTD_TENANT", help="Tenant id or name."),
    url: str = typer.Option(None, "--url", envvar="TENANTD_URL", help="Server URL instead of server.json."),
    client_id: str = typer.Option(None, "--client-id", envvar="TENANTD_CLIENT_ID", help="Admin app client id."),
    client_secret: str = typer.Option(None, "--client-secret", envvar="TENANTD_CLIENT_SECRET",
                                      help="Admin app client secret."),
    ca_cert: str = typer.Option(None, "--ca-cert", envvar="TENANTD_CA_CERT", help="CA certificate to trust."),
) -> None:
    ctx.obj = Options(data=data_dir_from(data), tenant=tenant, url=url, client_id=client_id,
                      client_secret=client_secret, ca_cert=ca_cert)


server_cmds.register(app)
init.register(app)
for commands in (apps, sps, identities, users, groups, domains, grants, consents, roles, tokens, login, tenants,
                 tenantfile, subscriptions, az,
                 run, keys, logs, backup):
    commands.register(app)


def main() -> None:
    try:
        result = app(standalone_mode=False)  # a command's typer.Exit(code) comes back as its return value
    except (CliError, ConfigError) as exc:
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(getattr(exc, "code", 1))
    except typer.Abort:
        sys.exit(130)
    except SystemExit:
        raise
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # typer's bundled click raises these for usage errors (exit 2)
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            Console(stderr=True).print(f"error: {escape(exc.format_message())}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    if isinstance(result, int) and not isinstance(result, bool):
        sys.exit(result)
