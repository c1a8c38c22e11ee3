"""Groups on the token path and in Graph: authorization-code redemptions for a person in 250 nested groups
against a person in none, the API asking for groups (``groupMembershipClaims`` SecurityGroup, so the first
one's tokens carry the overage form), back to back and twice each; and the latency of Graph's
``transitiveMemberOf`` for a person in 250 nested groups on the large directory."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from functools import partial
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlencode

from . import people, scenario, wrk
from .servers import Tenantd
from .table import Row, Table

NESTED = 250
ROUNDS = 300   # sequential transitiveMemberOf calls timed on the large directory


def rows(table: Table, server: Tenantd, scene: scenario.Scenario, seconds: float,
         log: Callable[[str], None]) -> None:
    """The redemption row, on a running server whose tenant holds ``scene``."""
    _people_api(server, scene)
    alone, grouped = _user(server, "alone"), _user(server, "grouped")
    chain(server.data, server.tenant_id, grouped, NESTED)
    token_url = f"{server.url}/{server.tenant_id}/oauth2/v2.0/token"
    loads: dict[str, list[wrk.Load]] = {alone: [], grouped: []}
    for user_id in (alone, grouped, alone, grouped):
        log(f"authorization-code redemption, a person in {'no group' if user_id == alone else f'{NESTED} groups'}")
        loads[user_id].append(_redeem(server, token_url, user_id, seconds))
    none, many = (max(loads[u], key=lambda load: load.rps) for u in (alone, grouped))
    bad = sum(load.bad for runs in loads.values() for load in runs)
    table.add(Row(f"authorization-code redemption, {NESTED} nested groups vs none (c16)", many.rps, "req/s",
                  "same, a person in no group req/s", none.rps, ">= 90%",
                  f"the API asks for groups: the overage form; best of 2 each, alternated; p99 {many.p99:.0f} vs "
                  f"{none.p99:.0f} ms{f'; {bad} non-2xx' if bad else ''}", many.rps / none.rps >= 0.9 and bad == 0))


def transitive_row(table: Table, server: Tenantd, log: Callable[[str], None]) -> None:
    """The transitiveMemberOf row, on a running server holding the large directory."""
    log(f"Graph transitiveMemberOf of a person in {NESTED} nested groups, large directory")
    person = _user(server, "deep")
    chain(server.data, server.tenant_id, person, NESTED)
    headers = server.graph_headers()
    path = f"/v1.0/users/{person}/transitiveMemberOf"
    with server.http() as client:
        scenario.ok(client.get(path, headers=headers))   # the first call opens the connection
        page = scenario.timed([partial(client.get, path, headers=headers)] * ROUNDS)
        every = scenario.timed([partial(client.get, path, headers=headers, params={"$top": "999"})] * (ROUNDS // 3))
    table.add(Row(f"Graph transitiveMemberOf, {NESTED} nested groups, large directory (latency)", page.p99,
                  "ms p99", "", None, "< 50 ms",
                  f"first page (100 groups): p50 {page.p50:.1f} ms over {page.count} calls; all {NESTED} in one "
                  f"page ($top=999): p50 {every.p50:.1f}, p99 {every.p99:.1f} ms", page.p99 < 50))


def large_directory(work: Path, scale: float, args: tuple[str, ...], log: Callable[[str], None]) -> Tenantd:
    """A running server holding the large directory (``bench.populate``) at ``scale``, for ``transitive_row``
    alone (a full run measures it on the large directory's own server)."""
    from .large import _populate
    from .populate import Sizes

    sizes, data = Sizes().scaled(scale), work / "large"
    Tenantd(data, args).start().stop()   # a data directory with its tenant, as `tenantd up` leaves it
    log(f"populating the large directory at scale {scale:g} ({sizes.users:,} users, {sizes.groups:,} groups, "
        f"{sizes.assignments:,} assignments)")
    _populate(data, sizes)
    return Tenantd(data, args).start()


def chain(data: Path, tenant_id: str, user_id: str, count: int) -> list[str]:
    """``count`` groups nested in a line (the first in the second ...), ``user_id`` in the first, written
    through the store in one transaction; their ids."""
    from tenantd.domain.model import Group
    from tenantd.runtime import open_runtime, sqlite_url

    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    made = [Group(tenant_id, str(uuid.uuid4()), f"bench-nested-{i:03d}", None, f"benchnested{i}", True, now)
            for i in range(count)]
    ids = [g.id for g in made]
    rt = open_runtime(sqlite_url(data), data, None)
    try:
        with rt.store.write() as tx:
            tx.insert_groups(made)
            tx.insert_group_members([(ids[0], user_id, "user"),
                                     *((outer, inner, "group") for inner, outer in pairwise(ids))])
    finally:
        rt.store.dispose()
    return ids


def _redeem(server: Tenantd, token_url: str, user_id: str, seconds: float) -> wrk.Load:
    count = int(1000 * seconds)   # more than two cores redeem: a spent code would be a refusal
    codes = people._codes(server, user_id, count)
    form = urlencode({"grant_type": "authorization_code", "client_id": people.CLI, "code": "CODE",
                      "redirect_uri": people.REDIRECT, "code_verifier": people.VERIFIER,
                      "scope": f"{scenario.API_URI}/.default openid profile offline_access", "client_info": "1"})
    try:
        return wrk.run(token_url, seconds=seconds, connections=16, form=form, warmup=0, script="post_codes.lua",
                       script_env={"BENCH_CODES": str(codes)})
    finally:
        codes.unlink()


def _people_api(server: Tenantd, scene: scenario.Scenario) -> None:
    """The bench API asks for its callers' security groups, and offers a scope the Azure CLI may use."""
    headers = server.graph_headers()
    with server.http() as client:
        api = scenario.ok(client.get(f"/v1.0/servicePrincipals/{scene.api_sp_id}", headers=headers))
        app = scenario.ok(client.get("/v1.0/applications", headers=headers,
                                     params={"$filter": f"appId eq '{api['appId']}'"}))["value"][0]
        scenario.ok(client.patch(f"/v1.0/applications/{app['id']}", headers=headers, json={
            "groupMembershipClaims": "SecurityGroup", "api": {
                "oauth2PermissionScopes": [{
                    "id": people.SCOPE_ID, "value": "Bench.Access", "type": "User", "isEnabled": True,
                    "adminConsentDisplayName": "Use the bench API", "adminConsentDescription": "Use the bench API.",
                    "userConsentDisplayName": "Use the bench API", "userConsentDescription": "Use the bench API."}],
                "preAuthorizedApplications": [{"appId": people.CLI, "delegatedPermissionIds": [people.SCOPE_ID]}]}}))


def _user(server: Tenantd, name: str) -> str:
    with server.http() as client:
        user = scenario.ok(client.post("/v1.0/users", headers=server.graph_headers(), json={
            "userPrincipalName": f"bench-{name}-{uuid.uuid4().hex[:6]}@bench.test", "displayName": f"Bench {name}",
            "accountEnabled": True, "mailNickname": name}))
    return str(user["id"])
