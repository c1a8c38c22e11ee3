"""``tenantd init``: the first tenant and admin app of an empty shared database, before any replica serves it."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..domain.errors import ConfigError
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, fields, say


def init(
    database: str = typer.Option(..., "--database", envvar="TENANTD_DATABASE", help="postgresql://... (or "
                                 "sqlite:///...) of an empty database."),
    public_url: str = typer.Option(..., "--public-url", help="The URL clients reach tenantd by (a proxy's, say): "
                                   "every issuer and link is made from it."),
    tenant_name: str = typer.Option("default", "--tenant-name", help="Name of the first tenant."),
    credentials_out: Path = typer.Option(None, "--credentials-out", help="Write the admin app's credentials to "
                                         "this new file (JSON, mode 0600) instead of printing the secret."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Set up an empty database (master key from TENANTD_MASTER_KEY): the schema, the first tenant, its admin
    app and signing key. Refused when the database already holds a tenant. The admin secret is shown once."""
    from .. import bootstrap
    from ..runtime import check_public_url, database_holds_tenant, open_runtime

    public_url = check_public_url(public_url)
    if credentials_out is not None and credentials_out.exists():
        raise CliError(f"{credentials_out} already exists; credentials are written to a new file only.")
    if database_holds_tenant(database):   # checked before the schema or the master key's canary is written
        raise ConfigError("This database already holds a tenant: `tenantd init` only sets up an empty database. "
                          "Serve it with `tenantd serve`.")
    rt = open_runtime(database, None, public_url)
    try:
        creds = bootstrap.initialize(rt, tenant_name)
    finally:
        rt.store.dispose()
    shown = {"url": rt.public_url, "tenant_id": creds.tenant_id, "tenant_name": creds.tenant_name,
             "discovery": f"{rt.public_url}/{creds.tenant_id}/v2.0/.well-known/openid-configuration",
             "client_id": creds.client_id, "client_secret": creds.client_secret}
    written = _write_credentials(credentials_out, shown) if credentials_out is not None else None
    if written is not None:
        del shown["client_secret"]
        shown["credentials_file"] = str(written)
    if as_json:
        emit_json(shown)
        return
    say(f"[bold green]tenantd initialized[/bold green] the database for {esc(rt.public_url)}")
    fields([("tenant", f"{creds.tenant_name} ({creds.tenant_id})"), ("discovery", shown["discovery"]),
            ("admin app", creds.client_id),
            ("credentials", f"{written} (mode 0600; the directory stores only a hash)" if written else None),
            ("secret", None if written else f"{creds.client_secret} (shown this once; the directory stores only "
             "a hash)")])
    say("Next: `tenantd serve --database ...` on each replica, with the same TENANTD_MASTER_KEY; the CLI reaches "
        "them with TENANTD_URL, TENANTD_TENANT, TENANTD_CLIENT_ID and TENANTD_CLIENT_SECRET.")


def _write_credentials(path: Path, shown: dict[str, str]) -> Path | None:
    """``path``, written with ``shown`` (mode 0600); None, said on stderr, when it cannot be: the secret is
    then printed instead, since it exists nowhere else."""
    from ..bootstrap import write_new_private_file

    try:
        write_new_private_file(path, json.dumps(shown, indent=2) + "\n")
    except OSError as exc:
        say(f"[red]error:[/red] cannot write {esc(path)} ({esc(exc.strerror)}); the secret is shown below instead",
            to_stderr=True)
        return None
    return path.resolve()


def register(app: typer.Typer) -> None:
    app.command("init")(init)
