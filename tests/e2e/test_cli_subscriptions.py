"""`tenantd subscription add|list|remove` against a real server: viewers named as `tenantd grant` names
principals, read back through the admin API and Resource Manager's /arm/subscriptions."""

from __future__ import annotations

import uuid

from ..support import Server
from .cli_support import fails, make_app, run, run_json


def test_subscriptions_are_declared_listed_and_removed(server: Server) -> None:
    run(server, "user", "create", "ada@contoso.test")
    app, sp = make_app(server, "ci-app")
    declared = run_json(server, "subscription", "add", "Dev", "--visible-to", "ada@contoso.test",
                        "--visible-to", app["displayName"], "--visible-to", app["appId"])
    assert uuid.UUID(declared["id"]) and declared["displayName"] == "Dev"
    assert declared["visibleToAll"] is False and sp["id"] in declared["viewers"] and len(declared["viewers"]) == 2
    pinned = str(uuid.uuid4())
    out = run(server, "subscription", "add", "Shared", "--everyone", "--id", pinned.upper())
    assert f"subscription Shared ({pinned}), visible to everyone" in out
    listed = run(server, "subscription", "list")
    assert "Dev" in listed and "ada@contoso.test" in listed and app["displayName"] in listed and "everyone" in listed
    stored = server.admin("GET", "/subscriptions").json()["value"]
    assert sorted(s["displayName"] for s in stored) == ["Dev", "Shared"]

    again = run_json(server, "subscription", "add", "Shared again", "--id", pinned)   # the same id: redeclared
    assert (again["displayName"], again["visibleToAll"], again["viewers"]) == ("Shared again", False, [])
    assert "removed subscription Dev" in run(server, "subscription", "remove", "Dev")
    assert "removed subscription Shared again" in run(server, "subscription", "remove", pinned)
    assert run_json(server, "subscription", "list") == []


def test_refusals_are_one_line_errors(server: Server) -> None:
    assert "Give either --everyone or --visible-to" in fails(server, "subscription", "add", "X", "--everyone",
                                                             "--visible-to", "someone@contoso.test")
    assert "--id must be a GUID" in fails(server, "subscription", "add", "X", "--id", "nope")
    assert "nobody@contoso.test" in fails(server, "subscription", "add", "X", "--visible-to", "nobody@contoso.test")
    assert "at most 64 characters" in fails(server, "subscription", "add", "x" * 65)
    assert "No subscription 'Missing'" in fails(server, "subscription", "remove", "Missing")
    run(server, "subscription", "add", "Twin")
    run(server, "subscription", "add", "Twin")
    assert "'Twin' is ambiguous" in fails(server, "subscription", "remove", "Twin")
