"""The on-behalf-of rows: a middle tier exchanging one user's access token (sent again and again, as a web API
does for each call it makes while the user's token lives) for the bench API, against client credentials
measured at the same 16 connections, alternated with it (best of two each: on a shared machine the first
client credentials row of the run may have met a quieter or a busier moment; the note gives that ratio too),
and the server's CPU time a request of each (the median of its loads), which a busy machine does not move.
Two request shapes, which cost very differently: as msal asks (``openid profile offline_access`` beside the
API's ``.default``: an access token, an ID token and a refresh token written), and the API's ``.default`` alone
(as async azure-identity asks: one access token)."""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tenantd.domain import builtins

from . import scenario, wrk
from .servers import Tenantd, worker_pids
from .table import Row, Table

MIDDLE_URI = "api://bench-middle"
MIDDLE_SCOPE_ID = "3e9b7c1d-5a2f-4d8e-b6c0-9f1a2e3d4c5b"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ROUNDS = 2   # each row's loads, alternated with as many of client credentials


def rows(table: Table, server: Tenantd, scene: scenario.Scenario, scope_id: str, user: tuple[str, str],
        cc: wrk.Load, seconds: float, log: Callable[[str], None]) -> None:
    """``user`` (name, password) signs in through the Azure CLI for the middle tier's API; the middle tier holds
    the bench API's delegated scope ``scope_id`` by pre-authorization."""
    client_id, secret = _middle_tier(server, scene, scope_id)
    token_url = f"{server.url}/{server.tenant_id}/oauth2/v2.0/token"
    with server.http() as client:
        assertion = scenario.ok(client.post(token_url, data={
            "grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": user[0],
            "password": user[1], "scope": f"{MIDDLE_URI}/Middle.Access"}))["access_token"]
    base = {"grant_type": JWT_BEARER, "requested_token_use": "on_behalf_of", "client_id": client_id,
            "client_secret": secret, "assertion": assertion, "client_info": "1"}
    for name, scope, work in (
            ("as msal asks", f"{scenario.API_URI}/.default openid profile offline_access",
             "1 verification, 2 signatures, 1 write (the middle tier's refresh token)"),
            (".default alone", f"{scenario.API_URI}/.default", "1 verification, 1 signature, no write")):
        form = urlencode({**base, "scope": scope})
        limits, loads = [], []
        for _ in range(ROUNDS):   # alternated with client credentials: a machine busy for a while slows both
            log(f"on-behalf-of grant, {name}, and client credentials beside it")
            limits.append(_costed(server, token_url, scene.form(), seconds))
            loads.append(_costed(server, token_url, form, seconds))
        (limit, _), (load, _) = (max(runs, key=lambda run: run[0].rps) for runs in (limits, loads))
        cpu, cc_cpu = (statistics.median(cost for _, cost in runs) for runs in (loads, limits))
        bad = sum(run.bad for run, _ in loads)
        table.add(Row(f"on-behalf-of grant, {name} (c16)", load.rps, "req/s", "client credentials req/s", limit.rps,
                      ">= 60%", f"{work}; best of {ROUNDS} each, alternated ({load.rps / cc.rps:.0%} of the first "
                      f"client credentials row); server CPU a request {cpu * 1e6:.0f} us, client credentials' "
                      f"{cc_cpu * 1e6:.0f} us ({cc_cpu / cpu:.0%}); p99 {load.p99:.0f} ms"
                      f"{f'; {bad} non-2xx' if bad else ''}", load.rps / limit.rps >= 0.6 and bad == 0))


def _costed(server: Tenantd, url: str, form: str, seconds: float) -> tuple[wrk.Load, float]:
    """A load of ``form`` after a second of warm-up, and the CPU seconds the server's workers spent a request
    (user and system time from /proc: on a shared machine, steadier than the rate)."""
    wrk.run(url, seconds=1, connections=16, form=form, warmup=0)
    workers = worker_pids(server.pid)
    before = _cpu_seconds(workers)
    load = wrk.run(url, seconds=seconds, connections=16, form=form, warmup=0)
    return load, (_cpu_seconds(workers) - before) / max(load.requests, 1)


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])   # utime, stime (fields 14 and 15 of proc(5))
    return total / os.sysconf("SC_CLK_TCK")


def _middle_tier(server: Tenantd, scene: scenario.Scenario, scope_id: str) -> tuple[str, str]:
    """A confidential app exposing ``Middle.Access`` to the Azure CLI, pre-authorized on the bench API for
    ``scope_id``; its appId and a secret."""
    headers = server.graph_headers()
    with server.http() as client:
        def graph(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
            return scenario.ok(client.request(method, "/v1.0" + path, json=body, headers=headers))

        app = graph("POST", "/applications", {
            "displayName": "Bench middle tier", "identifierUris": [MIDDLE_URI], "api": {
                "oauth2PermissionScopes": [{
                    "id": MIDDLE_SCOPE_ID, "value": "Middle.Access", "type": "User", "isEnabled": True,
                    "adminConsentDisplayName": "Use the middle tier", "adminConsentDescription": "Use it."}],
                "preAuthorizedApplications": [{"appId": builtins.AZURE_CLI_APP_ID,
                                               "delegatedPermissionIds": [MIDDLE_SCOPE_ID]}]}})
        graph("POST", "/servicePrincipals", {"appId": app["appId"]})
        secret = graph("POST", f"/applications/{app['id']}/addPassword", {"passwordCredential": {}})
        api_app_id = graph("GET", f"/servicePrincipals/{scene.api_sp_id}")["appId"]
        (api,) = graph("GET", f"/applications?$filter=appId eq '{api_app_id}'")["value"]
        trusted = [*api["api"]["preAuthorizedApplications"],
                   {"appId": app["appId"], "delegatedPermissionIds": [scope_id]}]
        graph("PATCH", f"/applications/{api['id']}", {"api": {**api["api"], "preAuthorizedApplications": trusted}})
    return str(app["appId"]), str(secret["secretText"])


