"""People's flows against the limits measured in the same run: password sign-ins (ROPC) against raw argon2id
verification of the same parameters on the same cores, refresh-token and authorization-code redemptions and
on-behalf-of exchanges (``obo.py``) against client credentials, client credentials while a password spray
runs, and the sign-in page's latency."""

from __future__ import annotations

import base64
import hashlib
import multiprocessing
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from tenantd.domain import builtins

from . import obo, scenario, wrk
from .servers import Tenantd
from .table import Row, Table

USER = "bench-person@bench.test"
PASSWORD = "Bench-Person-Pass-1"
SCOPE_ID = "6d2c4a1e-8b3f-4e5a-9c7d-1f0e2b3a4c5d"
REDIRECT = "http://localhost"
VERIFIER = "bench-verifier-" + "v" * 40
CLI = builtins.AZURE_CLI_APP_ID


def rows(table: Table, server: Tenantd, scene: scenario.Scenario, seconds: float,
         log: Callable[[str], None]) -> None:
    """Every people row, on a running server whose tenant holds ``scene``."""
    user_id = _person(server, scene)
    token_url = f"{server.url}/{server.tenant_id}/oauth2/v2.0/token"
    scope = f"{scenario.API_URI}/.default openid profile offline_access"
    log("client credentials (the people rows' limit)")
    cc = wrk.run(token_url, seconds=seconds, connections=16, form=scene.form())
    ropc_rows(table, token_url, scope, seconds, log)
    log("refresh-token grant")
    refresh = _refresh_token(server, scope)
    form = urlencode({"grant_type": "refresh_token", "client_id": CLI, "refresh_token": refresh, "scope": scope,
                      "client_info": "1"})
    rt = wrk.run(token_url, seconds=seconds, connections=16, form=form)
    table.add(Row("refresh-token grant (c16)", rt.rps, "req/s", "client credentials req/s", cc.rps, ">= 50%",
                  f"2 signatures (access, ID token), 1 write (the new refresh token); p99 {rt.p99:.0f} ms{_bad(rt)}",
                  rt.rps / cc.rps >= 0.5))
    log("authorization-code redemption")
    count = int(max(cc.rps, 500) * seconds * 1.5)
    codes = _codes(server, user_id, count)
    form = urlencode({"grant_type": "authorization_code", "client_id": CLI, "code": "CODE", "redirect_uri": REDIRECT,
                      "code_verifier": VERIFIER, "scope": scope, "client_info": "1"})
    ac = wrk.run(token_url, seconds=seconds, connections=16, form=form, warmup=0, script="post_codes.lua",
                 script_env={"BENCH_CODES": str(codes)})
    codes.unlink()
    table.add(Row("authorization-code redemption (c16)", ac.rps, "req/s", "client credentials req/s", cc.rps,
                  ">= 45%", f"2 signatures, 1 write (the code spent with the refresh token); {count:,} codes made; "
                  f"p99 {ac.p99:.0f} ms{_bad(ac)}", ac.rps / cc.rps >= 0.45 and ac.bad == 0))
    obo.rows(table, server, scene, SCOPE_ID, (USER, PASSWORD), cc, seconds, log)
    log("client credentials during a password spray")
    spray_rows(table, token_url, scene, seconds, cc)
    log("sign-in page")
    page = wrk.run(_authorize_url(server), seconds=seconds, connections=16)
    table.add(Row("sign-in page GET (c16)", page.p99, "ms p99", "", None, "< 20 ms",
                  f"{page.rps:,.0f} req/s, p50 {page.p50:.1f} ms{_bad(page)}", page.p99 < 20 and page.bad == 0))


def ropc_rows(table: Table, token_url: str, scope: str, seconds: float, log: Callable[[str], None]) -> None:
    from tenantd.directory.passwords import hash_password

    log("raw argon2id verification, one process per core")
    raw = argon2_rate(hash_password(PASSWORD), PASSWORD, min(seconds, 5))
    log("password grant (ROPC)")
    form = urlencode({"grant_type": "password", "client_id": CLI, "username": USER, "password": PASSWORD,
                      "scope": scope})
    ropc = wrk.run(token_url, seconds=seconds, connections=4, form=form)
    table.add(Row("password sign-in, ROPC (c4)", ropc.rps, "req/s", "raw argon2id verifies/s", raw, ">= 70%",
                  f"argon2id m=19 MiB t=2 p=1 (OWASP minimum); p99 {ropc.p99:.0f} ms{_bad(ropc)}",
                  ropc.rps / raw >= 0.7))


def spray_rows(table: Table, token_url: str, scene: scenario.Scenario, seconds: float, alone: wrk.Load) -> None:
    """Client credentials while another client sprays wrong passwords over invented user names."""
    import subprocess
    import sys

    spray = urlencode({"grant_type": "password", "client_id": CLI, "username": "GUESS@bench.test",
                       "password": "Wrong-Guess-1", "scope": f"{scenario.API_URI}/.default"})
    attacker = subprocess.Popen(
        [sys.executable, "-c", "import sys, bench.wrk as w; w.run(sys.argv[1], seconds=float(sys.argv[2]), "
         "connections=16, form=sys.argv[3], warmup=0, script='post_guesses.lua')",
         token_url, str(seconds + 2), spray], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        under = wrk.run(token_url, seconds=seconds, connections=16, form=scene.form(), warmup=0)
    finally:
        attacker.wait(timeout=seconds + 90)
    table.add(Row("client credentials during a password spray (c16)", under.rps, "req/s",
                  "client credentials alone req/s", alone.rps, ">= 50%",
                  f"16 more connections spraying wrong passwords over new user names; p99 {under.p99:.0f} ms"
                  f"{_bad(under)}", under.rps / alone.rps >= 0.5))


def _verify_loop(hash_: str, password: str, seconds: float, out: multiprocessing.Queue[int]) -> None:
    from tenantd.directory.passwords import verify

    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        verify(hash_, password)
        count += 1
    out.put(count)


def argon2_rate(hash_: str, password: str, seconds: float) -> float:
    """Successful argon2id verifications per second, one process per core."""
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[int] = context.Queue()
    procs = [context.Process(target=_verify_loop, args=(hash_, password, seconds, out))
             for _ in range(os.cpu_count() or 1)]
    for proc in procs:
        proc.start()
    counts = [out.get(timeout=seconds + 60) for _ in procs]
    for proc in procs:
        proc.join()
    return sum(counts) / seconds


def _person(server: Tenantd, scene: scenario.Scenario) -> str:
    """A user with a password and the API's role; the API exposes a scope the Azure CLI is pre-authorized for."""
    headers = server.graph_headers()
    with server.http() as client:
        api = scenario.ok(client.get(f"/v1.0/servicePrincipals/{scene.api_sp_id}", headers=headers))
        apps = scenario.ok(client.get("/v1.0/applications", headers=headers,
                                      params={"$filter": f"appId eq '{api['appId']}'"}))["value"]
        scenario.ok(client.patch(f"/v1.0/applications/{apps[0]['id']}", headers=headers, json={"api": {
            "oauth2PermissionScopes": [{
                "id": SCOPE_ID, "value": "Bench.Access", "type": "User", "isEnabled": True,
                "adminConsentDisplayName": "Use the bench API", "adminConsentDescription": "Use the bench API.",
                "userConsentDisplayName": "Use the bench API", "userConsentDescription": "Use the bench API."}],
            "preAuthorizedApplications": [{"appId": CLI, "delegatedPermissionIds": [SCOPE_ID]}]}}))
        user = scenario.ok(client.post("/v1.0/users", headers=headers, json={
            "userPrincipalName": USER, "displayName": "Bench Person", "accountEnabled": True,
            "mailNickname": "benchperson", "passwordProfile": {"password": PASSWORD,
                                                               "forceChangePasswordNextSignIn": False}}))
        scenario.ok(client.post(f"/v1.0/servicePrincipals/{scene.api_sp_id}/appRoleAssignedTo", headers=headers,
                                json={"principalId": user["id"], "resourceId": scene.api_sp_id,
                                      "appRoleId": scenario.ROLE_ID}))
    return str(user["id"])


def _refresh_token(server: Tenantd, scope: str) -> str:
    with server.http() as client:
        body = scenario.ok(client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
            "grant_type": "password", "client_id": CLI, "username": USER, "password": PASSWORD, "scope": scope}))
    return str(body["refresh_token"])


def _codes(server: Tenantd, user_id: str, count: int) -> Path:
    """``count`` authorization codes for the Azure CLI, stored as the authorize endpoint stores them (hashes,
    with the PKCE challenge of VERIFIER) in one transaction, written one per line to a file for wrk."""
    from tenantd.domain.sign_in_state import AuthorizationCode, secret_hash
    from tenantd.runtime import open_runtime, sqlite_url
    from tenantd.tokens.codes import CODE_LIFETIME

    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    now = int(time.time())
    codes = [secrets.token_urlsafe(32) for _ in range(count)]
    rt = open_runtime(sqlite_url(server.data), server.data, None)
    try:
        with rt.store.write() as tx:
            for code in codes:
                tx.insert_authorization_code(AuthorizationCode(
                    code_hash=secret_hash(code), tenant_id=server.tenant_id, client_app_id=CLI, user_id=user_id,
                    redirect_uri=REDIRECT, scope=f"{scenario.API_URI}/.default openid profile offline_access",
                    resource=None, endpoint_version=2, code_challenge=challenge, code_challenge_method="S256",
                    nonce=None, auth_time=now, session_hash=None, created=now, expires=now + CODE_LIFETIME))
    finally:
        rt.store.dispose()
    fd, name = tempfile.mkstemp(prefix="bench-codes-", suffix=".txt")
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(codes) + "\n")
    return Path(name)


def _authorize_url(server: Tenantd) -> str:
    query = urlencode({"client_id": CLI, "response_type": "code", "redirect_uri": REDIRECT,
                       "scope": f"{scenario.API_URI}/.default openid", "state": secrets.token_urlsafe(8),
                       "code_challenge": "x" * 43, "code_challenge_method": "S256"})
    return f"{server.url}/{server.tenant_id}/oauth2/v2.0/authorize?{query}"


def _bad(load: wrk.Load) -> str:
    return f"; {load.bad} non-2xx" if load.bad else ""
