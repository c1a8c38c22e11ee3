"""`--public-url` is the one source of the URLs tenantd writes: a replica serving plain HTTP behind a proxy,
asked under another Host (and told other hosts and schemes by forwarding headers it must not believe),
names only its public URL in discovery, tokens, Graph's links and Location headers, the OpenAPI document,
AAD Graph's metadata and its redirects."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.fernet import Fernet

from tenantd.runtime import sqlite_url

from .serving import initialize, start_replica

PUBLIC_URL = "https://tenantd.team.test:8443"
FORGED = {"Host": "evil.test", "X-Forwarded-Host": "evil.test", "X-Forwarded-Proto": "http",
          "Forwarded": "host=evil.test;proto=http"}
URL = re.compile(r"https?://[^\s\"'<>]+")


def _urls(*answers: httpx.Response) -> list[str]:
    """Every absolute URL in the answers' bodies, in the claims of tokens they hold, and in their headers."""
    found: list[str] = []
    for answer in answers:
        found += URL.findall(answer.text)
        found += [u for value in answer.headers.values() for u in URL.findall(value)]
        if answer.headers.get("content-type", "").startswith("application/json"):
            body: Any = answer.json()
            for token in (body.get("access_token"),) if isinstance(body, dict) else ():
                if token:
                    found += URL.findall(json.dumps(jwt.decode(token, options={"verify_signature": False})))
    return found


def test_every_url_tenantd_writes_comes_from_the_public_url(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    database = sqlite_url(tmp_path)
    creds = initialize(database, key, PUBLIC_URL)
    replica = start_replica(tmp_path / "replica", database, key, "--plain-http")
    tenant = creds["tenant_id"]
    try:
        with httpx.Client(base_url=replica.url, headers=FORGED, timeout=30) as client:
            def token(scope: str, version: str = "v2.0/") -> httpx.Response:
                return client.post(f"/{tenant}/oauth2/{version}token", data={
                    "grant_type": "client_credentials", "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"], "scope": scope, "resource": scope.split("/.")[0]})

            graph = token("https://graph.microsoft.com/.default")
            admin = {"Authorization": f"Bearer {graph.json()['access_token']}"}
            answers = [
                client.get(f"/{tenant}/v2.0/.well-known/openid-configuration"),
                client.get(f"/{tenant}/.well-known/openid-configuration"),
                client.get(f"/{tenant}/discovery/v2.0/keys"),
                client.get("/common/discovery/instance", params={
                    "api-version": "1.1", "authorization_endpoint": f"{PUBLIC_URL}/{tenant}/oauth2/v2.0/authorize"}),
                graph, token("api://tenantd/.default"), token("https://graph.microsoft.com/.default", version=""),
                client.post("/v1.0/applications", headers=admin, json={"displayName": "one"}),
                client.post("/v1.0/applications", headers=admin, json={"displayName": "two"}),
                client.get("/v1.0/applications?$top=1", headers=admin),
                client.get(f"/v1.0/servicePrincipals(appId='{creds['client_id']}')", headers=admin),
                client.get("/_tenantd/openapi.json"),
                client.get(f"/{tenant}/v2.0/.well-known/openid-configuration/"),
                client.post(f"/{tenant}/oauth2/v2.0/token/", data={"grant_type": "client_credentials"}),
                client.get("/_tenantd/health/ready/"),
            ]
            sp = answers[10].json()["id"]
            aad = token("https://graph.windows.net/.default")
            answers += [aad, client.get(f"/{tenant}/servicePrincipals/{sp}/appRoleAssignments?api-version=1.6",
                                        headers={"Authorization": f"Bearer {aad.json()['access_token']}"})]
        expected = [200] * 7 + [201, 201] + [200] * 3 + [307] * 3 + [200] * 2
        assert [a.status_code for a in answers] == expected, [(a.request.url, a.status_code, a.text[:200])
                                                              for a in answers]
        assert "@odata.nextLink" in answers[9].json() and answers[7].headers["location"]
        urls = _urls(*answers)
        ours = [u for u in urls if "tenantd.team.test" in u]
        assert all(u.startswith(PUBLIC_URL) for u in ours), ours
        naming_us = [any(u.startswith(PUBLIC_URL) for u in _urls(a)) for a in answers]
        assert all(naming_us), naming_us   # each answer names the server (the JWKS: as its keys' issuer)
        port = replica.url.rsplit(":", 1)[1]
        assert not [u for u in urls if "evil.test" in u or "127.0.0.1" in u or f":{port}" in u or
                    u.startswith("http://tenantd")], urls
        claims = jwt.decode(answers[4].json()["access_token"], options={"verify_signature": False})
        assert claims["iss"] == answers[1].json()["issuer"] == f"{PUBLIC_URL}/{tenant}/"
    finally:
        replica.stop()
