"""A mixed concurrent load of Graph reads and writes and token requests over small pools of objects, so
that the writers collide: duplicates, deletes racing with assignments and memberships, contested
identifier URIs. Every answer must be a deliberate one (2xx, 400, 401, 404): never a 5xx or a dropped
connection."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..http.graph_support import new_api, new_client, role
from ..support import Server
from .load import AsyncGraph

URIS = [f"api://contested-{i}" for i in range(4)]
ISSUER = "https://token.actions.githubusercontent.com"


@dataclass
class Pools:
    """Ids the workers share (and race on); entries may already be deleted when used."""

    api: dict[str, Any]
    roles: list[str]
    client: tuple[str, str]                        # appId, secret of a client that holds a role
    apps: list[dict[str, Any]] = field(default_factory=list)
    principals: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def _pick(rng: random.Random, pool: list[Any]) -> Any:
    return rng.choice(pool[-12:]) if pool else None


def _keep(pool: list[Any], value: Any, size: int = 40) -> None:
    pool.append(value)
    del pool[:-size]


def prepare(server: Server) -> Pools:
    api_app, api = new_api(server, role("Load.Read", ("Application", "User")),
                           role("Load.Write", ("Application", "User")))
    client_app, client_sp, secret = new_client(server)
    roles = [r["id"] for r in api_app["appRoles"]]
    server.graph("POST", f"/servicePrincipals/{api['id']}/appRoleAssignedTo",
                 json={"principalId": client_sp["id"], "resourceId": api["id"], "appRoleId": roles[0]})
    return Pools(api=api, roles=roles, client=(client_app["appId"], secret), principals=[client_sp["id"]])


class Worker:
    def __init__(self, graph: AsyncGraph, pools: Pools, rng: random.Random, scope: str) -> None:
        self.graph, self.pools, self.rng, self.scope = graph, pools, rng, scope

    async def create_app(self) -> httpx.Response:
        uris = [self.rng.choice(URIS)] if self.rng.random() < 0.3 else []
        r = await self.graph.call("POST", "/applications", {"displayName": f"load {uuid.uuid4().hex[:6]}",
                                                            "identifierUris": uris})
        if r.status_code == 201:
            _keep(self.pools.apps, r.json())
        return r

    async def create_sp(self) -> httpx.Response | None:
        app = _pick(self.rng, self.pools.apps)
        if app is None:
            return None
        r = await self.graph.call("POST", "/servicePrincipals", {"appId": app["appId"]})
        if r.status_code == 201:
            _keep(self.pools.principals, r.json()["id"])
        return r

    async def patch_app(self) -> httpx.Response | None:
        app = _pick(self.rng, self.pools.apps)
        if app is None:
            return None
        change = ({"identifierUris": [self.rng.choice(URIS)] if self.rng.random() < 0.7 else []}
                  if self.rng.random() < 0.5 else {"displayName": f"renamed {uuid.uuid4().hex[:6]}"})
        return await self.graph.call("PATCH", f"/applications/{app['id']}", change)

    async def delete_app(self) -> httpx.Response | None:
        app = _pick(self.rng, self.pools.apps)
        return None if app is None else await self.graph.call("DELETE", f"/applications/{app['id']}")

    async def add_password(self) -> httpx.Response | None:
        app = _pick(self.rng, self.pools.apps)
        return None if app is None else await self.graph.call("POST", f"/applications/{app['id']}/addPassword", {})

    async def add_fic(self) -> httpx.Response | None:
        app = _pick(self.rng, self.pools.apps)
        if app is None:
            return None
        return await self.graph.call("POST", f"/applications/{app['id']}/federatedIdentityCredentials", {
            "name": f"fic-{self.rng.randrange(3)}", "issuer": ISSUER, "subject": f"repo:c/r:{self.rng.randrange(3)}",
            "audiences": ["api://AzureADTokenExchange"]})

    async def assign(self) -> httpx.Response | None:
        principal = _pick(self.rng, self.pools.principals + self.pools.users + self.pools.groups)
        if principal is None:
            return None
        api = self.pools.api["id"]
        r = await self.graph.call("POST", f"/servicePrincipals/{api}/appRoleAssignedTo", {
            "principalId": principal, "resourceId": api, "appRoleId": self.rng.choice(self.pools.roles)})
        if r.status_code == 201:
            _keep(self.pools.assignments, r.json()["id"])
        return r

    async def unassign(self) -> httpx.Response | None:
        assignment = _pick(self.rng, self.pools.assignments)
        if assignment is None:
            return None
        return await self.graph.call("DELETE", f"/servicePrincipals/{self.pools.api['id']}/appRoleAssignedTo/"
                                               f"{assignment}")

    async def create_user(self) -> httpx.Response:
        r = await self.graph.call("POST", "/users", {"userPrincipalName": f"{uuid.uuid4().hex[:10]}@example.com",
                                                     "displayName": "load user", "accountEnabled": True})
        if r.status_code == 201:
            _keep(self.pools.users, r.json()["id"])
        return r

    async def delete_user(self) -> httpx.Response | None:
        user = _pick(self.rng, self.pools.users)
        return None if user is None else await self.graph.call("DELETE", f"/users/{user}")

    async def create_group(self) -> httpx.Response:
        r = await self.graph.call("POST", "/groups", {"displayName": "load group", "securityEnabled": True,
                                                      "mailEnabled": False, "mailNickname": "load"})
        if r.status_code == 201:
            _keep(self.pools.groups, r.json()["id"], size=6)
        return r

    async def delete_group(self) -> httpx.Response | None:
        group = _pick(self.rng, self.pools.groups)
        return None if group is None else await self.graph.call("DELETE", f"/groups/{group}")

    async def add_member(self) -> httpx.Response | None:
        group = _pick(self.rng, self.pools.groups)
        member = _pick(self.rng, self.pools.users + self.pools.principals)
        if group is None or member is None:
            return None
        return await self.graph.call("POST", f"/groups/{group}/members/$ref", {
            "@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{member}"})

    async def remove_member(self) -> httpx.Response | None:
        group = _pick(self.rng, self.pools.groups)
        member = _pick(self.rng, self.pools.users + self.pools.principals)
        if group is None or member is None:
            return None
        return await self.graph.call("DELETE", f"/groups/{group}/members/{member}/$ref")

    async def read(self) -> httpx.Response:
        path = self.rng.choice([
            "/applications?$top=20", f"/servicePrincipals/{self.pools.api['id']}/appRoleAssignedTo",
            "/users?$top=10", f"/servicePrincipals/{self.pools.api['id']}",
            *(f"/groups/{g}/members" for g in self.pools.groups[-3:]),
            *(f"/applications/{a['id']}" for a in self.pools.apps[-3:]),
        ])
        return await self.graph.call("GET", path)

    async def token(self) -> httpx.Response:
        client_id, secret = self.pools.client
        return await self.graph.client.post(f"/{self.graph.server.tenant_id}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
            "scope": self.scope}, headers={"Authorization": ""})

    def operations(self) -> list[tuple[Callable[[], Awaitable[httpx.Response | None]], int]]:
        return [(self.create_app, 6), (self.create_sp, 5), (self.patch_app, 4), (self.delete_app, 2),
                (self.add_password, 2), (self.add_fic, 3), (self.assign, 8), (self.unassign, 3),
                (self.create_user, 3), (self.delete_user, 1), (self.create_group, 1), (self.delete_group, 1),
                (self.add_member, 5), (self.remove_member, 2), (self.read, 12), (self.token, 6)]


async def _work(graph: AsyncGraph, pools: Pools, seed: int, deadline: float, scope: str, out: Outcome) -> None:
    rng = random.Random(seed)
    worker = Worker(graph, pools, rng, scope)
    operations, weights = zip(*worker.operations(), strict=True)
    while time.monotonic() < deadline:
        operation = rng.choices(operations, weights)[0]
        name = operation.__name__
        try:
            response = await operation()
        except httpx.HTTPError as exc:
            out.failures.append(f"{name}: {type(exc).__name__} {exc}")
            continue
        if response is None:
            continue
        out.statuses[(name, response.status_code)] += 1
        if response.status_code >= 500 or response.status_code in (403, 405, 413, 422, 429):
            out.failures.append(f"{name} -> {response.status_code} {response.text[:300]}")


def run(server: Server, seconds: float, workers: int = 16, seed: int = 0) -> Outcome:
    """Run the load for ``seconds`` with ``workers`` concurrent callers."""
    pools = prepare(server)
    scope = f"{pools.api['appId']}/.default"
    out = Outcome()

    async def main() -> None:
        async with AsyncGraph(server, connections=workers) as graph:
            deadline = time.monotonic() + seconds
            await asyncio.gather(*(_work(graph, pools, seed * 1000 + i, deadline, scope, out)
                                   for i in range(workers)))

    asyncio.run(main())
    return out
