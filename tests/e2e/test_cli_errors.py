"""Bad input to the CLI: one clear line on stderr, a non-zero exit, nothing changed."""

from __future__ import annotations

from pathlib import Path

from ..support import Server
from .cli_support import cli, fails, make_app

API = "Ledger's API"  # every lookup of it goes through an OData literal with a doubled quote


def test_ambiguous_and_unknown_names_are_errors_that_say_why(server: Server) -> None:
    _, api = make_app(server, API, "Ledger.Read")
    _, first = make_app(server, "Ledger client")
    _, second = make_app(server, "Ledger client")
    group = server.graph("POST", "/groups", json={"displayName": API, "mailEnabled": False,
                                                  "mailNickname": "ledger", "securityEnabled": True}).json()

    message = fails(server, "grant", "Ledger client", API, "Ledger.Read")
    assert "ambiguous" in message and first["id"] in message and second["id"] in message
    assert message.count("service principal") == 2
    # A name shared by an app and a group is ambiguous as a principal; each candidate shows its type.
    message = fails(server, "group", "add-member", group["id"], API)
    assert "ambiguous" in message and f"group {group['id']}" in message and f"service principal {api['id']}" in message

    assert "No application, managed identity, group or user named 'Nobody'" in fails(
        server, "grant", "Nobody", API, "Ledger.Read")
    assert "has no app role 'Ledger.Write' (its roles: Ledger.Read)" in fails(
        server, "grant", first["id"], API, "Ledger.Write")
    # Nothing was assigned by any of the failures.
    assert server.graph("GET", f"/servicePrincipals/{api['id']}/appRoleAssignedTo").json()["value"] == []
    assert "nothing to revoke" in fails(server, "revoke", first["id"], API, "Ledger.Read")


def test_bad_values_are_refused_with_one_line(server: Server, tmp_path: Path) -> None:
    app, _ = make_app(server, "Quota API")
    assert "not a keyId" in fails(server, "app", "secret", "remove", "Quota API", "not-a-guid")
    assert "--id must be a GUID" in fails(server, "tenant", "create", "other", "--id", "1234")
    assert "No application has the object id or appId '6E0F4B1C-0000-4000-8000-000000000000'" in fails(
        server, "app", "show", "6E0F4B1C-0000-4000-8000-000000000000")
    assert "Member types must be" in fails(server, "app", "create", "Bad roles", "--role", "A=B",
                                           "--role-member-types", "Robots")
    fails(server, "app", "create", "Bad version", "--token-version", "3", code=2)
    # The server's own refusal comes through as one line too, and changes nothing.
    assert "identifierUris" in fails(server, "app", "set", app["id"], "--identifier-uri", "not a uri")
    assert server.graph("GET", f"/applications/{app['id']}").json()["identifierUris"] == []

    assert "Not a JWT" in fails(server, "decode", "garbage")
    result = cli(server, "decode", "-", stdin="eyJhbGciOiJub25lIn0.WzFd.")
    assert result.returncode == 1 and "its payload is not a JSON object" in result.stderr

    missing = Server(tmp_path / "nothing-here", server.proc, server.info)
    assert "No running tenantd found" in fails(missing, "app", "list")
