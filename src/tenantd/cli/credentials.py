"""``tenantd app cert``, ``tenantd app federated`` and ``tenantd identity federated``: the credentials an
application or a user-assigned identity signs in with besides secrets. Certificates travel as the
application's ``keyCredentials`` (Graph), federated credentials through Graph for applications and through
tenantd's admin API for identities (Azure keeps those in ARM)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..domain import builtins
from ..domain.ids import is_guid
from .client import Client, connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, say, table
from .resolve import Resolver, managed_identity

cert_app = typer.Typer(no_args_is_help=True, help="Certificates the application signs client assertions with.")
app_federated = typer.Typer(no_args_is_help=True, help="Federated identity credentials (workload identity).")
identity_federated = typer.Typer(no_args_is_help=True,
                                 help="Federated identity credentials of a user-assigned identity.")

APP_HELP = "Name, appId, object id or App ID URI of the application."
IDENTITY_HELP = "Name, object (principal) id, client id or resource id of the user-assigned identity."


def add_app_commands(group: typer.Typer) -> None:
    group.add_typer(cert_app, name="cert")
    group.add_typer(app_federated, name="federated")


def add_identity_commands(group: typer.Typer) -> None:
    group.add_typer(identity_federated, name="federated")


# -- certificates --------------------------------------------------------------------------------------------
def read_certificate(path: Path) -> x509.Certificate:
    """The certificate in a PEM file (a private key beside it is ignored and never sent) or a DER file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"Cannot read {path}: {exc.strerror}") from None
    try:
        return (x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                else x509.load_der_x509_certificate(data))
    except ValueError:
        raise CliError(f"{path} holds no X.509 certificate (PEM or DER).") from None


def thumbprint(credential: dict[str, Any]) -> str:
    """The SHA-1 thumbprint in the upper-case hex the portal shows, from Graph's customKeyIdentifier."""
    try:
        return base64.b64decode(credential.get("customKeyIdentifier") or "").hex().upper()
    except (binascii.Error, ValueError):
        return ""


@cert_app.command("add")
def cert_add(
    ctx: typer.Context,
    key: str = typer.Argument(..., help=APP_HELP),
    path: Path = typer.Argument(..., help="Certificate file, PEM or DER (only the public certificate is sent)."),
    name: str = typer.Option(None, "--name", help="Display name (default: the certificate's subject)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a certificate the application may sign client assertions with."""
    der = read_certificate(path).public_bytes(serialization.Encoding.DER)
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        kept = [{"keyId": k["keyId"]} for k in found.get("keyCredentials") or []]
        new = {"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.b64encode(der).decode("ascii"),
               "displayName": name}
        client.graph("PATCH", f"/applications/{found['id']}", json={"keyCredentials": [*kept, new]})
        after = client.graph("GET", f"/applications/{found['id']}")
    old = {k["keyId"] for k in kept}
    added = next(k for k in after.get("keyCredentials") or [] if k["keyId"] not in old)
    if as_json:
        emit_json(added)
        return
    say(f"added certificate [bold]{esc(added['displayName'])}[/bold] to {esc(found['displayName'])} "
        f"({found['appId']}): keyId {added['keyId']}, thumbprint {thumbprint(added)}, expires {added['endDateTime']}")


@cert_app.command("list")
def cert_list(ctx: typer.Context, key: str = typer.Argument(..., help=APP_HELP), as_json: bool = JSON_OPTION) -> None:
    """List the application's certificates."""
    with connect(ctx) as client:
        found = Resolver(client).application(key)
    certificates = found.get("keyCredentials") or []
    if as_json:
        emit_json(certificates)
        return
    table(["KEY ID", "NAME", "THUMBPRINT", "EXPIRES"],
          [(c["keyId"], c.get("displayName"), thumbprint(c), c.get("endDateTime")) for c in certificates],
          empty="no certificates")


@cert_app.command("remove")
def cert_remove(
    ctx: typer.Context,
    key: str = typer.Argument(..., help=APP_HELP),
    certificate: str = typer.Argument(..., help="The certificate's keyId or thumbprint (see `tenantd app cert list`)."),
) -> None:
    """Remove a certificate."""
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        current = found.get("keyCredentials") or []
        gone = [c for c in current if certificate.lower() in (c["keyId"], thumbprint(c).lower())]
        if not gone:
            raise CliError(f"{found['displayName']} has no certificate '{certificate}' (see `tenantd app cert list`).")
        client.graph("PATCH", f"/applications/{found['id']}", json={
            "keyCredentials": [{"keyId": c["keyId"]} for c in current if c not in gone]})
    say(f"removed certificate {gone[0]['keyId']} from {esc(found['displayName'])}")


# -- federated identity credentials --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Owner:
    label: str
    call: Callable[..., Any]      # client.graph for applications, client.admin for identities
    path: str                     # the owner's federatedIdentityCredentials collection


def _application(client: Client, key: str) -> _Owner:
    found = Resolver(client).application(key)
    return _Owner(f"application {found['displayName']}", client.graph,
                  f"/applications/{found['id']}/federatedIdentityCredentials")


def _identity(client: Client, key: str) -> _Owner:
    found = managed_identity(client, key)
    return _Owner(f"managed identity {found['name']}", client.admin,
                  f"/identities/{found['id']}/federatedIdentityCredentials")


def _add(ctx: typer.Context, owner_of: Callable[[Client, str], _Owner], key: str, name: str, issuer: str,
         subject: str, audience: str, description: str | None, as_json: bool) -> None:
    body: dict[str, Any] = {"name": name, "issuer": issuer, "subject": subject, "audiences": [audience]}
    if description is not None:
        body["description"] = description
    with connect(ctx) as client:
        owner = owner_of(client, key)
        created = owner.call("POST", owner.path, json=body)
    if as_json:
        emit_json(created)
        return
    say(f"{esc(owner.label)} now trusts tokens of {esc(issuer)} about {esc(subject)} (federated credential "
        f"[bold]{esc(name)}[/bold], audience {esc(audience)})")


def _list(ctx: typer.Context, owner_of: Callable[[Client, str], _Owner], key: str, as_json: bool) -> None:
    with connect(ctx) as client:
        owner = owner_of(client, key)
        found = owner.call("GET", owner.path)["value"]
    if as_json:
        emit_json(found)
        return
    table(["NAME", "ISSUER", "SUBJECT", "AUDIENCES", "ID"],
          [(c["name"], c["issuer"], c["subject"], ", ".join(c["audiences"]), c["id"]) for c in found],
          empty="no federated credentials")


def _remove(ctx: typer.Context, owner_of: Callable[[Client, str], _Owner], key: str, credential: str) -> None:
    with connect(ctx) as client:
        owner = owner_of(client, key)
        found = owner.call("GET", owner.path)["value"]
        match = next((c for c in found if credential == c["name"]
                      or (is_guid(credential) and credential.lower() == c["id"])), None)
        if match is None:
            raise CliError(f"{owner.label} has no federated credential '{credential}'.")
        owner.call("DELETE", f"{owner.path}/{match['id']}")
    say(f"removed federated credential {esc(match['name'])} from {esc(owner.label)}")


NAME_OPTION = typer.Option(..., "--name", help="The credential's name (3-120 letters, digits, '-', '_').")
ISSUER_OPTION = typer.Option(..., "--issuer", help="Issuer URL, exactly as the token's iss.")
SUBJECT_OPTION = typer.Option(..., "--subject", help="Subject, exactly as the token's sub.")
AUDIENCE_OPTION = typer.Option(builtins.TOKEN_EXCHANGE_RESOURCE, "--audience", help="Audience the token carries.")
DESCRIPTION_OPTION = typer.Option(None, "--description", help="What the credential is for.")
CREDENTIAL_ARGUMENT = typer.Argument(..., help="The credential's name or id.")


@app_federated.command("add")
def app_federated_add(ctx: typer.Context, key: str = typer.Argument(..., help=APP_HELP), name: str = NAME_OPTION,
                      issuer: str = ISSUER_OPTION, subject: str = SUBJECT_OPTION, audience: str = AUDIENCE_OPTION,
                      description: str = DESCRIPTION_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Trust an issuer's tokens about one subject (a workload, a pipeline) to sign the application in."""
    _add(ctx, _application, key, name, issuer, subject, audience, description, as_json)


@app_federated.command("list")
def app_federated_list(ctx: typer.Context, key: str = typer.Argument(..., help=APP_HELP),
                       as_json: bool = JSON_OPTION) -> None:
    """List the application's federated identity credentials."""
    _list(ctx, _application, key, as_json)


@app_federated.command("remove")
def app_federated_remove(ctx: typer.Context, key: str = typer.Argument(..., help=APP_HELP),
                         credential: str = CREDENTIAL_ARGUMENT) -> None:
    """Remove a federated identity credential."""
    _remove(ctx, _application, key, credential)


@identity_federated.command("add")
def identity_federated_add(ctx: typer.Context, key: str = typer.Argument(..., help=IDENTITY_HELP),
                           name: str = NAME_OPTION, issuer: str = ISSUER_OPTION, subject: str = SUBJECT_OPTION,
                           audience: str = AUDIENCE_OPTION, description: str = DESCRIPTION_OPTION,
                           as_json: bool = JSON_OPTION) -> None:
    """Trust an issuer's tokens about one subject to sign the user-assigned identity in."""
    _add(ctx, _identity, key, name, issuer, subject, audience, description, as_json)


@identity_federated.command("list")
def identity_federated_list(ctx: typer.Context, key: str = typer.Argument(..., help=IDENTITY_HELP),
                            as_json: bool = JSON_OPTION) -> None:
    """List the identity's federated identity credentials."""
    _list(ctx, _identity, key, as_json)


@identity_federated.command("remove")
def identity_federated_remove(ctx: typer.Context, key: str = typer.Argument(..., help=IDENTITY_HELP),
                              credential: str = CREDENTIAL_ARGUMENT) -> None:
    """Remove a federated identity credential."""
    _remove(ctx, _identity, key, credential)
