"""The pytest plugin: fixtures that start tenantd for a test session and hand tests a tenant.

Registered through the ``pytest11`` entry point when tenantd is installed, under this module's name, so a
conftest may also list it (``pytest_plugins = ["tenantd.testing.plugin"]``, needed where entry points are
off) and it loads once; ``-p no:tenantd.testing.plugin`` turns it off. Nothing starts unless a test asks
for a fixture, and this module imports only pytest until then.

- ``tenantd_server`` (session): one ``tenantd up`` per session (per xdist worker), on free loopback ports.
- ``tenantd_tenant_file`` (session): what ``tenantd_tenant`` is made of: the ini option
  ``tenantd_tenant_file`` by default; override the fixture to return a path, YAML text or a dict.
- ``tenantd_tenant`` (session): the server's default tenant with that file applied; ``.reset()`` returns
  it to the file.
- ``tenantd_fresh_tenant`` (function): a new tenant of its own for one test, with the same file applied (with
  new ids for the object ids and appIds it pins: they are unique across tenants).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .server import TenantdServer
    from .tenant import Tenant, TenantSource


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("tenantd_tenant_file", "Tenant file (YAML) the tenantd_tenant fixture applies, relative to the "
                  "ini file.", default="")
    parser.addini("tenantd_args", "Extra arguments for `tenantd up` (e.g. --imds-rate 0).", type="args", default=[])


@pytest.fixture(scope="session")
def tenantd_server(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[TenantdServer]:
    """A tenantd for the whole session, stopped at its end."""
    from .server import TenantdServer

    server = TenantdServer.start(tmp_path_factory.mktemp("tenantd"), pytestconfig.getini("tenantd_args"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tenantd_tenant_file(pytestconfig: pytest.Config) -> TenantSource | None:
    """The tenant file of ``tenantd_tenant`` and ``tenantd_fresh_tenant``; None for an empty tenant."""
    value: str = pytestconfig.getini("tenantd_tenant_file")
    if not value:
        return None
    base = pytestconfig.inipath.parent if pytestconfig.inipath else pytestconfig.rootpath
    return base / value


@pytest.fixture(scope="session")
def tenantd_tenant(tenantd_server: TenantdServer, tenantd_tenant_file: TenantSource | None) -> Tenant:
    """The server's default tenant, made what the tenant file declares (shared by the session's tests)."""
    return tenantd_server.tenant(tenantd_tenant_file)


@pytest.fixture
def tenantd_fresh_tenant(tenantd_server: TenantdServer, tenantd_tenant_file: TenantSource | None) -> Iterator[Tenant]:
    """A tenant of the test's own (new id, keys and objects) on the session's server."""
    tenant = tenantd_server.new_tenant(tenantd_tenant_file)
    try:
        yield tenant
    finally:
        tenant.close()
