"""tenantd for test suites: start a tenant, declare what it holds, and get tokens and environments from it.

With pytest (the plugin registers itself when tenantd is installed)::

    def test_things(tenantd_tenant):
        tenantd_tenant.apply("tests/tenant.yaml")
        token = tenantd_tenant.token(as_="joonasmsitest", resource="api://things")
        env = tenantd_tenant.run_env(as_="joonasmsitest")     # for subprocess.run(..., env=env)

Without pytest::

    with TenantdServer.start() as server:
        tenant = server.tenant("tenant.yaml")

The names below load on first use, so that the pytest plugin (``tenantd.testing.plugin``) costs a test
session nothing until one of its fixtures is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import RequestFailed
    from .names import NameNotFound
    from .server import StartFailed, TenantdServer
    from .tenant import Tenant, TenantSource, load_document

_HOMES = {"RequestFailed": "api", "NameNotFound": "names", "StartFailed": "server", "TenantdServer": "server",
          "Tenant": "tenant", "TenantSource": "tenant", "load_document": "tenant"}

__all__ = ["NameNotFound", "RequestFailed", "StartFailed", "Tenant", "TenantSource", "TenantdServer",
           "load_document"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value
    return value
