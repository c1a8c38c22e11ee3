"""Nestings that would close a cycle only together, sent at once, on SQLite and PostgreSQL: the check and the
write happen in one serialised write, so every cycle loses one of its edges and none is ever stored."""

from __future__ import annotations

import uuid

from tenantd.store import Store

from ..http.graph_support import ok
from .conftest import Tenantd
from .load import Call, burst

RING = 12


def _group(tenantd: Tenantd) -> str:
    return str(ok(tenantd.server.graph("POST", "/groups", json={"displayName": f"ring {uuid.uuid4().hex[:6]}"}),
                  201)["id"])


def _nest(group: str, member: str) -> Call:
    return ("POST", f"/groups/{group}/members/$ref",
            {"@odata.id": f"https://graph.microsoft.com/v1.0/groups/{member}"})


def _stored_edges(database: str, groups: list[str]) -> set[tuple[str, str]]:
    store = Store(database)
    try:
        with store.read() as tx:
            return {(g, m) for g in groups for m, kind in tx.group_members(g) if kind == "group"}
    finally:
        store.dispose()


def _acyclic(edges: set[tuple[str, str]]) -> bool:
    held: dict[str, set[str]] = {}
    for group, member in edges:
        held.setdefault(group, set()).add(member)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(m == goal or (m not in seen and reaches(m, goal, seen | {m})) for m in held.get(start, ()))

    return not any(reaches(g, g, {g}) for g in held)


def test_a_ring_of_nestings_sent_at_once_loses_exactly_one_edge(tenantd: Tenantd) -> None:
    ring = [_group(tenantd) for _ in range(RING)]
    calls = [_nest(ring[i], ring[(i + 1) % RING]) for i in range(RING)]
    responses = burst(tenantd.server, calls)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [204] * (RING - 1) + [400], statuses
    [loser] = [r for r in responses if r.status_code == 400]
    assert loser.json()["error"]["code"] == "Request_BadRequest"
    assert "circular membership" in loser.json()["error"]["message"]
    edges = _stored_edges(tenantd.database, ring)
    assert len(edges) == RING - 1 and _acyclic(edges)


def test_opposite_nestings_sent_at_once_keep_one_each(tenantd: Tenantd) -> None:
    pairs = [(_group(tenantd), _group(tenantd)) for _ in range(10)]
    calls = [call for a, b in pairs for call in (_nest(a, b), _nest(b, a))]
    responses = burst(tenantd.server, calls)
    assert all(r.status_code in (204, 400) for r in responses), [r.text for r in responses][:3]
    for k in range(len(pairs)):
        assert sorted(r.status_code for r in responses[2 * k:2 * k + 2]) == [204, 400]
    edges = _stored_edges(tenantd.database, [g for pair in pairs for g in pair])
    assert len(edges) == len(pairs) and _acyclic(edges)
