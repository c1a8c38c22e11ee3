"""``tenantd tenant``: more tenants on the same server, each with its own admin app, over the admin API."""

from __future__ import annotations

from typing import Any

import typer

from ..bootstrap import AdminCredentials, read_credentials, save_credentials
from ..domain.ids import is_guid
from ..domain.platforms import CA_VARIABLES
from .client import connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, fields, say, table, variables_text

app = typer.Typer(no_args_is_help=True, help="Tenants on this server (one directory each, isolated).")


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The tenant's name (what --tenant takes)."),
    tenant_id: str = typer.Option(None, "--id", help="Pin the tenant id (any GUID)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a tenant and keep its admin credentials in the data directory, for --tenant NAME."""
    body: dict[str, Any] = {"name": name}
    if tenant_id is not None:
        if not is_guid(tenant_id):
            raise CliError(f"--id must be a GUID, not '{tenant_id}'.")
        body["id"] = tenant_id.lower()
    with connect(ctx) as client:
        created = client.admin("POST", "/tenants", json=body)
    admin = created.pop("admin")
    ctx.obj.data.mkdir(parents=True, exist_ok=True)
    path = save_credentials(ctx.obj.data, AdminCredentials(created["id"], created["name"], admin["clientId"],
                                                           admin["clientSecret"]))
    if as_json:
        emit_json({**created, "adminClientId": admin["clientId"], "credentials": str(path.resolve())})
        return
    say(f"created tenant [bold]{esc(created['name'])}[/bold]")
    fields([("tenant id", created["id"]), ("admin app", admin["clientId"]),
            ("credentials", f"{path.resolve()} (mode 0600)")])
    say(f"Use it with: tenantd --tenant {esc(created['name'])} ...")


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List the server's tenants."""
    with connect(ctx) as client:
        tenants = client.admin("GET", "/tenants")["value"]
    if as_json:
        emit_json(tenants)
        return
    local = read_credentials(ctx.obj.data)
    default = ctx.obj.server_info().get("tenant_id") if not ctx.obj.url else None
    table(["NAME", "TENANT ID", "CREATED", "CREDENTIALS HERE"],
          [(t["name"] + (" (default)" if t["id"] == default else ""), t["id"], t.get("createdDateTime"),
            "yes" if t["id"] in local or t["id"] == default else "no") for t in tenants], empty="no tenants")


@app.command("env")
def env(ctx: typer.Context, fmt: str = typer.Option("sh", "--format", help="sh | dotenv | json.")) -> None:
    """Print the environment for clients that `up` printed: the tenant, the authority host and the CA
    bundle (`eval "$(tenantd tenant env)"`)."""
    opts = ctx.obj
    conn = opts.connection()
    tenant_id = conn.tenant
    if not is_guid(tenant_id):
        with connect(ctx) as client:
            tenants = client.admin("GET", "/tenants")["value"]
        tenant_id = next((t["id"] for t in tenants if tenant_id in (t["id"], t["name"])), tenant_id)
    variables = {"AZURE_TENANT_ID": tenant_id, "AZURE_AUTHORITY_HOST": conn.url}
    bundle = opts.ca_bundle()
    if bundle:
        variables |= dict.fromkeys(CA_VARIABLES, bundle)
    print(variables_text(variables, fmt))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="tenant")
