"""SECURITY.md item 17: a server at --log-level debug (tenantd's loggers, uvicorn's and the libraries', SQL
included) is driven with every kind of credential: client secrets in the form and in HTTP Basic, certificate
and federated client assertions, bearer tokens on Graph and the admin API, new secrets in Graph's answers,
minted tokens, host session secrets and managed identity tokens, and people's: passwords, authorization codes
and their PKCE verifiers, refresh tokens, device codes and ID tokens (also a code and an ID token the authorize
endpoint sends back after a sign-in on its page), and a middle tier's on-behalf-of assertion and what it gets.
Its log holds none of them, nor any private key or the master key, in text and in JSON lines (``--log-format
json``; searched as written and with their messages decoded, so an escaped character hides nothing)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tenantd.domain import rules

from ..http import obo_support
from ..http.graph_support import ok
from ..http.pages_support import Browser, answer, authorize_query, sign_in
from ..http.people_support import PASSWORD, WEB_REDIRECT, arrange, code_for, issued, pkce, redeem, refresh, token
from ..support import Server, start_server
from ..tokens.support import assertion, certificate, der_b64, form, new_key

READ = "2d4f6a8c-1b3d-4e5f-8a7b-9c0d1e2f3a4b"
SCOPE = "api://logged/.default"
SUBJECT = "repo:contoso/things:ref:refs/heads/main"


def _drive(server: Server, tmp_path: Path) -> set[str]:
    """Use every credential once or more; the values that must not be logged."""
    secrets: set[str] = {server.info["admin_client_secret"], (server.data / "master.key").read_text().strip()}
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    try:
        api = d.create_application(tid, "Logged API", identifier_uris=["api://logged"], with_service_principal=True,
                                   app_roles=rules.app_roles([{"id": READ, "value": "Read", "displayName": "Read",
                                                               "allowedMemberTypes": ["Application"]}]))
        key = new_key()
        cert = certificate(key, "logged client")
        client = d.create_application(tid, "logged client", with_service_principal=True,
                                      key_credentials=[{"key": der_b64(cert)}])
        d.assign(tid, d.service_principal_by_app_id(tid, client.app_id).id,
                 d.service_principal_by_app_id(tid, api.app_id).id, READ)
        _, secret = d.add_password(tid, client.id)
        own_issuer = f"{server.url}/{tid}/v2.0"
        d.add_federated_credential(tid, client.id, "application", "own", own_issuer, SUBJECT)
        signing = rt.tokens.keyring.active(tid)
        signing_pem = signing.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()).decode()
    finally:
        rt.store.dispose()
    client_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()).decode()
    secrets |= {secret, client_pem, signing_pem}
    endpoint = f"{server.url}/{tid}/oauth2/v2.0/token"
    now = int(time.time())
    federated = jwt.encode({"iss": own_issuer, "sub": SUBJECT, "aud": "api://AzureADTokenExchange", "iat": now,
                            "nbf": now, "exp": now + 600}, signing.private_key, algorithm="RS256",
                           headers={"kid": signing.kid})
    signed = assertion(key, cert, client.app_id, endpoint)
    secrets |= {signed, federated}

    with server.http() as http:
        answers = [
            http.post(f"/{tid}/oauth2/v2.0/token", data={"grant_type": "client_credentials", "scope": SCOPE,
                                                          "client_id": client.app_id, "client_secret": secret}),
            http.post(f"/{tid}/oauth2/token", data={"grant_type": "client_credentials", "resource": "api://logged"},
                      auth=(client.app_id, secret)),
            http.post(f"/{tid}/oauth2/v2.0/token", data=form(client.app_id, signed, SCOPE)),
            http.post(f"/{tid}/oauth2/v2.0/token", data=form(client.app_id, federated, SCOPE)),
        ]
        for answer in answers:
            secrets.add(ok(answer)["access_token"])
        wrong = ("W" if secret[0] != "W" else "X") + secret[1:]   # never the secret itself
        secrets.add(wrong)
        assert http.post(f"/{tid}/oauth2/v2.0/token", data={"grant_type": "client_credentials", "scope": SCOPE,
                                                             "client_id": client.app_id, "client_secret": wrong}
                         ).status_code == 401
        forged = signed[:-8] + "AAAAAAAA"
        secrets.add(forged)
        assert http.post(f"/{tid}/oauth2/v2.0/token", data=form(client.app_id, forged, SCOPE)).status_code == 401

    graph = server.admin_token()
    admin = server.admin_token("api://tenantd")
    secrets |= {graph, admin}
    app = ok(server.graph("POST", "/applications", json={"displayName": f"logged {uuid.uuid4().hex[:6]}"}), 201)
    secrets.add(ok(server.graph("POST", f"/applications/{app['id']}/addPassword", json={}))["secretText"])
    assert server.graph("GET", "/applications", token=graph[:-4] + "AAAA").status_code == 401
    identity = ok(server.admin("POST", "/identities", json={
        "name": "logged-identity", "type": "SystemAssigned",
        "host": f"/subscriptions/{uuid.uuid4()}/resourceGroups/rg/providers/Microsoft.Web/sites/logged"}), 201)
    secrets.add(ok(server.admin("POST", "/token", json={"principalId": identity["id"],
                                                        "resource": "api://logged"}))["access_token"])
    session = ok(server.admin("POST", "/hosts/sessions", json={"host": identity["resourceId"]}), 201)["secret"]
    secrets.add(session)
    with httpx.Client(base_url=server.info["identity_url"], timeout=30) as mi:
        imds = mi.get(f"/{session}/metadata/identity/oauth2/token", headers={"Metadata": "true"},
                      params={"api-version": "2018-02-01", "resource": "api://logged"})
        secrets.add(ok(imds)["access_token"])
        assert mi.get("/msi/token", headers={"X-IDENTITY-HEADER": session},
                      params={"api-version": "2019-08-01", "resource": "api://logged"}).status_code == 200
        assert mi.get("/msi/token", headers={"X-IDENTITY-HEADER": session + "x"},
                      params={"api-version": "2019-08-01", "resource": "api://logged"}).status_code == 401
    secrets.add(session + "x")
    return secrets | _drive_people(server)


def _drive_people(server: Server) -> set[str]:
    """People's credentials: a password, a code with its verifier, refresh tokens, a device code, ID tokens."""
    world = arrange(server)
    secrets = {PASSWORD, world.web_secret}
    verifier, challenge = pkce()
    scope = f"openid offline_access {world.scope('Things.Read')}"
    code = code_for(world, world.web, WEB_REDIRECT, world.alice, scope, challenge=challenge)
    signed_in = issued(redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret,
                              code_verifier=verifier))
    renewed = issued(refresh(server, signed_in["refresh_token"], world.web, client_secret=world.web_secret))
    assert redeem(world, code, world.web, WEB_REDIRECT, client_secret=world.web_secret).status_code == 400
    password = issued(token(server, grant_type="password", client_id=world.native["appId"], scope=scope,
                            username=world.alice["userPrincipalName"], password=PASSWORD))
    assert token(server, grant_type="password", client_id=world.native["appId"], scope=scope,
                 username=world.alice["userPrincipalName"], password=PASSWORD + "x").status_code == 400
    with server.http() as http:
        flow = issued(http.post(f"/{server.tenant_id}/oauth2/v2.0/devicecode",
                                data={"client_id": world.native["appId"], "scope": scope}))
    assert token(server, grant_type="urn:ietf:params:oauth:grant-type:device_code", client_id=world.native["appId"],
                 device_code=flow["device_code"]).status_code == 400
    secrets |= {code, verifier, flow["device_code"], PASSWORD + "x"}
    for body in (signed_in, renewed, password):
        secrets |= {body["access_token"], body["refresh_token"], body["id_token"]}
    return secrets | _drive_authorize(server, world.alice["userPrincipalName"]) | _drive_on_behalf_of(server)


def _drive_authorize(server: Server, user: str) -> set[str]:
    """The authorize endpoint's answer in a redirect's fragment: a code and an ID token (``code id_token``)."""
    redirect = "https://logged.example/signin-oidc"
    app = ok(server.graph("POST", "/applications", json={"displayName": "Logged implicit", "web": {
        "redirectUris": [redirect], "implicitGrantSettings": {"enableIdTokenIssuance": True}}}), 201)
    ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    browser = Browser(server)
    query = authorize_query(app["appId"], redirect, response_type="code id_token", scope="openid")
    page = browser.get(f"/{server.tenant_id}/oauth2/v2.0/authorize", **query)
    found = answer(sign_in(browser, page, user, PASSWORD))
    browser.close()
    return {found["code"], found["id_token"]}


def _drive_on_behalf_of(server: Server) -> set[str]:
    """A user's token exchanged by a middle tier (with a refresh token and an ID token), and replayed by
    another middle tier (refused)."""
    obo = obo_support.arrange(server)
    assertion = obo_support.user_token(obo, obo.alice, f"{obo.mid.uri}/access_as_user")
    body = issued(obo_support.on_behalf_of(obo, obo.mid, assertion, f"{obo.down_scope('Things.Read')} openid "
                                                                     "offline_access"))
    assert obo_support.on_behalf_of(obo, obo.other, assertion, obo.down_scope("Things.Read")).status_code == 400
    return {assertion, obo.mid.secret, obo.other.secret, body["access_token"], body["refresh_token"],
            body["id_token"]}


def _fragments(value: str) -> set[str]:
    """What of ``value`` must not show: the whole, each JWT part but the header, base64 forms, PEM bodies."""
    found = {value, base64.b64encode(value.encode()).decode()}
    if value.count(".") == 2:
        found |= set(value.split(".")[1:])
    if "PRIVATE KEY" in value:
        found |= {line for line in value.splitlines() if len(line) >= 40}
    return {f for f in found if len(f) >= 16}


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_17_a_debug_log_holds_no_secret_key_assertion_or_token(tmp_path: Path, log_format: str) -> None:
    server = start_server(tmp_path / "tenantd", "--log-level", "debug", "--log-format", log_format)
    try:
        secrets = _drive(server, tmp_path)
    finally:
        server.stop()
    log = (server.data / "server.log").read_text(errors="replace")
    if log_format == "json":
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert all({"timestamp", "level", "logger", "message"} <= line.keys() for line in lines)
        assert "DEBUG" in {line["level"] for line in lines}
        assert any(line["logger"].startswith("sqlalchemy") for line in lines)   # at debug, SQL included
        assert any(line["logger"].startswith("uvicorn") for line in lines)      # the server's own lines too
        log = "\n".join(json.dumps(line) for line in lines) + "\n" + "\n".join(line["message"] for line in lines)
    else:
        assert " DEBUG " in log and "sqlalchemy" in log   # the log really is at debug, SQL included
    assert "PRIVATE KEY" not in log
    leaked = sorted(name for value in secrets for name in _fragments(value) if name in log)
    assert not leaked, f"{len(leaked)} credential fragments in the log, e.g. {leaked[0][:12]}..."
