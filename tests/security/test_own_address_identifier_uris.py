"""An application may not take tenantd's own address as an App ID URI: tenantd resolves that name to Microsoft
Graph before any identifier URI, so a client asking for the application's token got a Graph token with Graph's
roles instead (and an API checking only its audience accepted it). Refused in Graph, the CLI and the tenant
file, with Graph's error."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from ..http.graph_support import error, new_app, ok, unique
from ..support import Server


def own_addresses(server: Server) -> list[str]:
    parts = urlsplit(server.url)
    return [server.url, f"{server.url}/", server.url.upper(), f"https://{parts.hostname}",
            f"https://{parts.hostname}:{(parts.port or 0) + 1}//"]   # any port: the local default follows it


def test_graph_refuses_tenantds_own_address_as_an_identifier_uri(server: Server) -> None:
    app = new_app(server)
    for uri in own_addresses(server):
        created = server.graph("POST", "/applications", json={"displayName": unique("own"), "identifierUris": [uri]})
        assert uri in error(created, 400, "HostNameNotOnVerifiedDomain")["message"]
        patched = server.graph("PATCH", f"/applications/{app['id']}", json={"identifierUris": [uri]})
        error(patched, 400, "HostNameNotOnVerifiedDomain")
    # A path under the address names no Graph, and another scheme neither.
    for uri in (f"{server.url}/things", server.url.replace("https://", "http://")):
        ok(server.graph("PATCH", f"/applications/{app['id']}", json={"identifierUris": [uri]}), 204)


def test_the_cli_and_the_tenant_file_refuse_it_with_graphs_error(server: Server, tmp_path: Path) -> None:
    made = server.cli("app", "create", unique("own cli"), "--identifier-uri", server.url)
    assert made.returncode != 0 and "verified domain" in made.stderr and "Traceback" not in made.stderr
    tenant_file = tmp_path / "tenant.yaml"
    tenant_file.write_text(f"applications:\n  - displayName: {unique('own file')}\n"
                           f"    identifierUris: ['{server.url}/']\n")
    applied = server.cli("apply", str(tenant_file))
    assert applied.returncode != 0 and "verified domain" in applied.stderr and "Traceback" not in applied.stderr
    listed = ok(server.graph("GET", "/applications", params={"$top": "999"}))["value"]
    assert not [a for a in listed if a["displayName"].startswith(("own cli", "own file"))]
