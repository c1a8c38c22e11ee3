"""`tenantd app create/set/show` sign-in options and `tenantd app scope` against a real server, read back
through Graph; refusals are Graph's message on one line with exit 1."""

from __future__ import annotations

import re
from typing import Any

from tenantd.domain import builtins

from ..support import Server
from .cli_support import fails, run, run_json


def _app(server: Server, app_id: str) -> dict[str, Any]:
    response = server.graph("GET", f"/applications(appId='{app_id}')")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_sign_in_options_scopes_and_pre_authorized_clients(server: Server) -> None:
    created = run_json(server, "app", "create", "Notes API", "--identifier-uri", "api://notes",
                       "--scope", "Notes.Read=Read notes", "--web-redirect-uri", "https://notes.example.com/cb",
                       "--public-redirect-uri", "http://localhost", "--public-client", "--group-claims",
                       "SecurityGroup", "--sign-in-audience", "AzureADMultipleOrgs", "--id-tokens")["application"]
    app = _app(server, created["appId"])
    assert app["web"]["redirectUris"] == ["https://notes.example.com/cb"]
    assert app["web"]["implicitGrantSettings"] == {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": True}
    assert app["publicClient"]["redirectUris"] == ["http://localhost"]
    assert app["isFallbackPublicClient"] is True and app["groupMembershipClaims"] == "SecurityGroup"
    assert app["signInAudience"] == "AzureADMultipleOrgs"

    assert re.search(r"ID tokens from authorize\s+yes", run(server, "app", "show", "Notes API"))
    run(server, "app", "set", "Notes API", "--spa-redirect-uri", "http://localhost:3000", "--confidential-client",
        "--sign-in-audience", "AzureADMyOrg", "--no-id-tokens")
    app = _app(server, created["appId"])
    assert app["web"] == {**app["web"], "redirectUris": ["https://notes.example.com/cb"],
                          "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False}}
    assert app["spa"] == {"redirectUris": ["http://localhost:3000"]} and app["isFallbackPublicClient"] is False
    assert app["signInAudience"] == "AzureADMyOrg"

    run(server, "app", "scope", "add", "Notes API", "Notes.Write=Write notes", "--admin")
    run(server, "app", "scope", "pre-authorize", "Notes API", "Microsoft Azure CLI", "Notes.Read")
    shown = run(server, "app", "show", "Notes API")
    assert "Notes.Write" in shown and "Admin" in shown and builtins.AZURE_CLI_APP_ID in shown
    scopes = _app(server, created["appId"])["api"]["oauth2PermissionScopes"]
    assert [(s["value"], s["type"]) for s in scopes] == [("Notes.Read", "User"), ("Notes.Write", "Admin")]

    assert "disabled first" in fails(server, "app", "scope", "remove", "Notes API", "Notes.Write")
    run(server, "app", "scope", "disable", "Notes API", "Notes.Write")
    run(server, "app", "scope", "remove", "Notes API", "Notes.Write")
    run(server, "app", "scope", "disable", "Notes API", "Notes.Read")
    assert "preAuthorizedApplications" in fails(server, "app", "scope", "remove", "Notes API", "Notes.Read")
    run(server, "app", "scope", "pre-authorize", "Notes API", builtins.AZURE_CLI_APP_ID)   # no scopes: untrusted
    api = _app(server, created["appId"])["api"]
    assert api["preAuthorizedApplications"] == []


def test_bad_sign_in_options_get_graphs_message(server: Server) -> None:
    assert "only http://localhost" in fails(server, "app", "create", "Bad web", "--web-redirect-uri",
                                            "http://bad.example.com/cb")
    assert "personal Microsoft accounts" in fails(server, "app", "create", "Bad audience", "--sign-in-audience",
                                                  "PersonalMicrosoftAccount")
    assert server.graph("POST", "/applications", json={"displayName": "Plain API"}).status_code == 201
    assert "'Plain API' has no scope 'Nope'" in fails(server, "app", "scope", "disable", "Plain API", "Nope")
