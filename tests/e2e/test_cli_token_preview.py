"""``tenantd token preview`` and ``tenantd token decode`` against a real server: the story of a role assigned by
name and revoked, seen in the preview before any token exists; a refusal with its AADSTS code (exit 1); a
user's delegated shape; a token piped into ``token decode`` verified, and a tampered one refused (exit 1);
``tenantd token --as`` unchanged."""

from __future__ import annotations

import base64
import json

from ..support import Server
from .cli_support import cli, fails, run, run_json

HOST = ("/subscriptions/00000000-0000-0000-0000-000000000009/resourceGroups/rg/providers/Microsoft.Web/sites/"
        "previewmsi")


def _claims(answer: dict[str, object]) -> dict[str, object]:
    return {c["name"]: c["value"] for c in answer["claims"]}   # type: ignore[attr-defined, index]


def test_a_role_shows_in_the_preview_before_any_token_and_goes_when_revoked(server: Server) -> None:
    run(server, "app", "create", "Preview API", "--identifier-uri", "api://preview-things",
        "--role", "Things.Read=Read things")
    run(server, "identity", "create", "previewmsi", "--host", HOST)
    before = run_json(server, "token", "preview", "--as", "previewmsi", "--resource", "Preview API")
    assert before["shape"] == "managed" and "roles" not in _claims(before)
    run(server, "grant", "previewmsi", "Preview API", "Things.Read")
    shown = run(server, "token", "preview", "--as", "previewmsi", "--resource", "api://preview-things")
    assert "Things.Read" in shown and "assignment id" in shown and "previewmsi" in shown
    after = run_json(server, "token", "preview", "--as", "previewmsi", "--resource", "api://preview-things")
    minted = run_json(server, "token", "--as", "previewmsi", "--resource", "api://preview-things", "--decode")
    assert _claims(after)["roles"] == minted["claims"]["roles"] == ["Things.Read"]
    run(server, "revoke", "previewmsi", "Preview API", "Things.Read")
    assert "roles" not in _claims(run_json(server, "token", "preview", "--as", "previewmsi",
                                           "--resource", "api://preview-things"))


def test_a_refusal_names_its_code_and_exits_1(server: Server) -> None:
    run(server, "app", "create", "Locked API", "--identifier-uri", "api://preview-locked", "--role", "R=R")
    run(server, "sp", "update", "Locked API", "--assignment-required")
    run(server, "app", "create", "Preview caller")
    result = cli(server, "token", "preview", "--as", "Preview caller", "--resource", "api://preview-locked")
    assert result.returncode == 1 and "AADSTS501051" in result.stdout and "appRoleAssignmentRequired" in result.stdout
    assert "no token" in result.stdout
    assert "is a group" in fails(server, "token", "preview", "--as", _group(server), "--resource", "Locked API")
    assert "--scope is for a user" in fails(server, "token", "preview", "--as", "Preview caller",
                                            "--resource", "Locked API", "--scope", "x")


def _group(server: Server) -> str:
    run(server, "group", "create", "Preview group")
    return "Preview group"


def test_a_users_delegated_shape(server: Server) -> None:
    run(server, "user", "create", "preview-user@contoso.test")
    answer = run_json(server, "token", "preview", "--as", "preview-user@contoso.test",
                      "--resource", "https://graph.microsoft.com")
    claims = _claims(answer)
    assert answer["shape"] == "user" and claims["idtyp"] == "user" and claims["upn"] == "preview-user@contoso.test"


def test_decode_reads_stdin_verifies_and_refuses_a_tampered_token(server: Server) -> None:
    run(server, "app", "create", "Decode API", "--identifier-uri", "api://preview-decode")
    token = run(server, "token", "--as", "Decode API", "--resource", "api://preview-decode").strip()
    shown = cli(server, "token", "decode", stdin=token + "\n")
    assert shown.returncode == 0 and "valid" in shown.stdout and "api://preview-decode" in shown.stdout
    assert token not in shown.stdout + shown.stderr
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "roles": ["Admin"]}).encode()).rstrip(b"=").decode()
    refused = cli(server, "token", "decode", "--json", stdin=f"{header}.{forged}.{signature}")
    assert refused.returncode == 1
    assert [r["code"] for r in json.loads(refused.stdout)["reasons"]] == ["bad_signature"]
    wrong = cli(server, "token", "decode", "--audience", "api://other", stdin=token)
    assert wrong.returncode == 1 and "wrong_audience" in wrong.stdout
    assert "No token on stdin" in fails(server, "token", "decode")
