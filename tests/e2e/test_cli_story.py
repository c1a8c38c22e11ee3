"""The issue's four commands end to end, then revoke, --dry-run and --json, through the real CLI."""

from __future__ import annotations

import json
import re

import jwt

from ..support import Server
from .cli_support import run, run_json


def test_issue_example_gives_a_token_with_the_role_and_revoke_takes_it_away(server: Server) -> None:
    created = run(server, "app", "create", "Things API", "--identifier-uri", "api://things",
                  "--role", "Things.Read.All=Read all things")
    assert "Things API" in created and "api://things" in created
    web = run(server, "app", "create", "Things web (dev)", "--secret")
    assert "will not be shown again" in web
    secret = re.search(r"client secret\s+(\S+)", web)
    app_id = re.search(r"appId\s+([0-9a-f-]{36})", web)
    assert secret and app_id

    granted = run(server, "grant", "Things web (dev)", "Things API", "Things.Read.All")
    api = server.graph("GET", "/servicePrincipals", params={"$filter": "displayName eq 'Things API'"}).json()
    api_sp = api["value"][0]
    assert re.search(r"principal\s+Things web \(dev\)", granted)
    assert api_sp["id"] in granted and api_sp["appRoles"][0]["id"] in granted  # resolution shown before acting

    decoded = run(server, "token", "--as", "Things web (dev)", "--resource", "api://things", "--decode")
    assert '"roles": ["Things.Read.All"]' in decoded
    parts = json.loads(decoded)
    assert parts["header"]["alg"] == "RS256" and parts["claims"]["appid"] == app_id.group(1)

    # The secret printed once is a working client secret.
    issued = server.token(app_id.group(1), secret.group(1), "api://things/.default")
    assert issued.status_code == 200, issued.text
    assert jwt.decode(issued.json()["access_token"], options={"verify_signature": False})["roles"] == [
        "Things.Read.All"]

    run(server, "revoke", "Things web (dev)", "Things API", "Things.Read.All")
    raw = run(server, "token", "--as", "Things web (dev)", "--resource", "api://things").strip()
    assert raw.count(".") == 2  # the bare token, for scripts
    assert "roles" not in json.loads(run(server, "decode", "-", stdin=raw))["claims"]


def test_json_output_parses_and_dry_run_sends_nothing(server: Server) -> None:
    made = run_json(server, "app", "create", "Orders API", "--identifier-uri", "api://orders",
                    "--role", "Orders.Read=Read orders", "--role", "Orders.Write=Write orders", "--token-version", "2")
    app = made["application"]
    assert app["api"]["requestedAccessTokenVersion"] == 2
    assert [r["value"] for r in app["appRoles"]] == ["Orders.Read", "Orders.Write"]
    assert made["servicePrincipal"]["appId"] == app["appId"] and made["passwordCredential"] is None
    client = run_json(server, "app", "create", "Orders worker", "--secret")
    assert client["passwordCredential"]["secretText"]
    assert {"Orders API", "Orders worker"} <= {a["displayName"] for a in run_json(server, "app", "list")}
    sp = run_json(server, "sp", "show", "api://orders")
    assert sp["id"] == made["servicePrincipal"]["id"]

    worker = client["application"]["appId"]
    dry = run_json(server, "grant", worker, "Orders API", "Orders.Write", "--dry-run")
    assert dry["method"] == "POST" and dry["url"].endswith(f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo")
    assert dry["body"]["principalId"] == client["servicePrincipal"]["id"]
    assert server.graph("GET", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo").json()["value"] == []

    assignment = run_json(server, "grant", worker, "api://orders", "Orders.Write")
    assert assignment["principalId"] == client["servicePrincipal"]["id"] and assignment["resourceId"] == sp["id"]
    token = run_json(server, "token", "--as", "Orders worker", "--resource", app["appId"], "--decode")
    assert token["claims"]["roles"] == ["Orders.Write"] and token["claims"]["ver"] == "2.0"
