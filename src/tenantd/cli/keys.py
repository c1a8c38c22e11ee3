"""``tenantd keys``: the tenant's token signing keys, over tenantd's admin API: list, rotate, revoke; and a new
master key for the database's secrets, made locally."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import typer

from .client import connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, fields, say, table

app = typer.Typer(no_args_is_help=True, help="Token signing keys: list them, rotate, revoke in an emergency; "
                  "make a master key.")


def _stage(key: dict[str, Any]) -> str:
    if key["status"] == "retired" and not key["published"]:
        return "retired (no longer published)"
    return str(key["status"])


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List the signing keys, newest first: next, active, retired and revoked."""
    with connect(ctx) as client:
        keys = client.admin("GET", "/keys")["value"]
    if as_json:
        emit_json(keys)
        return
    table(["KID", "STATUS", "CREATED", "SIGNS FROM", "LEAVES JWKS"],
          [(k["kid"], _stage(k), k["created"], k["activates"], k["retires"]) for k in keys], empty="no keys yet")


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    now: bool = typer.Option(False, "--now", help="Sign with the new key at once, skipping the publish lead."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Publish a new signing key; it starts signing after the publish lead, the old key then retires."""
    if now:
        say("[yellow]warning:[/yellow] --now skips the publish lead: a validator that fetched the JWKS "
            "shortly before may reject tokens signed by the new key until it fetches again (up to its "
            "cooldown, 5 minutes for most).", to_stderr=True)
    with connect(ctx) as client:
        key = client.admin("POST", "/keys/rotate", json={"now": now})
    if as_json:
        emit_json(key)
        return
    if now:
        say(f"key [bold]{esc(key['kid'])}[/bold] signs from now on; the previous key stays published until "
            "the tokens it signed have expired")
    elif key["new"]:
        say(f"published new key [bold]{esc(key['kid'])}[/bold]; it starts signing at {esc(key['activates'])}")
    else:
        say(f"a rotation is already pending: key [bold]{esc(key['kid'])}[/bold] starts signing at "
            f"{esc(key['activates'])}")
    fields([("kid", key["kid"]), ("status", key["status"]), ("signs from", key["activates"])])


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    kid: str = typer.Argument(..., help="The key's kid (see `tenantd keys list`)."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: every token the key signed stops validating."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Revoke a key at once (an emergency): it leaves the JWKS and every token it signed fails."""
    if not yes:
        raise CliError(f"Revoking {kid} makes every token it signed fail at once, and if it is the active key "
                       "a new key signs without the publish lead. Run again with --yes to do it.", code=2)
    with connect(ctx) as client:
        done = client.admin("POST", f"/keys/{quote(kid, safe='')}/revoke")
    if as_json:
        emit_json(done)
        return
    say(f"revoked key [bold]{esc(done['revoked']['kid'])}[/bold]: it is no longer published and its tokens fail")
    replacement = done.get("replacement")
    if replacement:
        say(f"key [bold]{esc(replacement['kid'])}[/bold] signs from now on (published at the same moment: "
            "validators that cached the JWKS fetch it when they meet its kid)")


@app.command("master-key")
def master_key(
    out: Path = typer.Option(None, "--out", help="Write the key to this new file (mode 0600; an existing file is "
                             "never overwritten) instead of printing it."),
) -> None:
    """Make a master key for TENANTD_MASTER_KEY (32 random bytes, url-safe base64): printed alone on stdout,
    e.g. `export TENANTD_MASTER_KEY=$(tenantd keys master-key)`. Every replica of a database needs the same one."""
    from ..bootstrap import write_new_private_file
    from ..runtime import new_master_key

    key = new_master_key()
    if out is None:
        print(key)
        return
    try:
        write_new_private_file(out, key + "\n")
    except FileExistsError:
        raise CliError(f"{out} already exists; a master key is never overwritten (the database's secrets are "
                       "encrypted with the one it holds).") from None
    except OSError as exc:
        raise CliError(f"Cannot write {out}: {exc.strerror}.") from None
    say(f"master key written to {esc(out)} (mode 0600)")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="keys")
