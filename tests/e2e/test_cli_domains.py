"""`tenantd domain list|add|remove` against a real server, read back through Graph."""

from __future__ import annotations

from ..support import Server
from .cli_support import fails, run, run_json


def test_domains_are_added_listed_and_removed(server: Server) -> None:
    assert run(server, "domain", "list").split() == ["NAME", "VERIFIED", "FLAGS", "default.onmicrosoft.test",
                                                     "yes", "initial,", "default"]
    added = run_json(server, "domain", "add", "Contoso.Test")
    assert (added["id"], added["isVerified"], added["isInitial"]) == ("contoso.test", True, False)
    assert "added domain eu.contoso.test (verified)" in run(server, "domain", "add", "EU.contoso.test")
    listed = run_json(server, "domain", "list")
    assert [d["id"] for d in listed] == ["contoso.test", "default.onmicrosoft.test", "eu.contoso.test"]
    assert server.graph("GET", "/domains/eu.contoso.test").status_code == 200

    assert "removed domain eu.contoso.test" in run(server, "domain", "remove", "EU.contoso.test")
    assert server.graph("GET", "/domains/eu.contoso.test").status_code == 404


def test_refusals_are_one_line_errors(server: Server) -> None:
    assert "holds tenants' initial domains only" in fails(server, "domain", "add", "default.onmicrosoft.test")
    assert "Invalid domain name" in fails(server, "domain", "add", "not a domain")
    assert "initial domain" in fails(server, "domain", "remove", "default.onmicrosoft.test")
    assert "(HTTP 404)" in fails(server, "domain", "remove", "nowhere.test")
    run(server, "domain", "add", "tailspin.test")
    run(server, "user", "create", "ada@tailspin.test")
    assert "ada@tailspin.test" in fails(server, "domain", "remove", "tailspin.test")
