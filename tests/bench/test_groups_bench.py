"""The groups bench's nesting at CI size: ``bench.groups.chain`` writes a line of nested groups through the
store of a running server, and Graph then finds every one of them above the person (correctness only)."""

from __future__ import annotations

import uuid
from pathlib import Path

from bench.groups import chain

from ..http.graph_support import ok
from ..support import start_server


def test_a_chain_of_nested_groups_is_transitive_in_graph(tmp_path: Path) -> None:
    server = start_server(tmp_path / "tenantd")
    try:
        person = ok(server.graph("POST", "/users", json={"userPrincipalName": f"{uuid.uuid4().hex[:8]}@bench.test",
                                                        "displayName": "Deep"}), 201)["id"]
        ids = chain(server.data, server.tenant_id, person, 30)
        found = ok(server.graph("GET", f"/users/{person}/transitiveMemberOf", params={"$top": "999"}))["value"]
        assert sorted(g["id"] for g in found) == sorted(ids)
        assert [g["id"] for g in ok(server.graph("GET", f"/users/{person}/memberOf"))["value"]] == [ids[0]]
        assert {g["id"] for g in ok(server.graph("GET", f"/groups/{ids[-1]}/transitiveMembers",
                                                 params={"$top": "999"}))["value"]} == {*ids[:-1], person}
    finally:
        server.stop()
