"""First-start set-up: the default tenant and the admin app whose credentials the CLI uses.

The directory stores only a hash of the admin secret; the plain secret is written once into the data
directory (mode 0600). When that file is missing or no longer matches, a new secret is added.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .domain import builtins
from .domain.model import Tenant

if TYPE_CHECKING:
    from .runtime import Runtime

CREDENTIALS_FILE = "credentials.json"


@dataclass(frozen=True)
class AdminCredentials:
    tenant_id: str
    tenant_name: str
    client_id: str
    client_secret: str


def default_tenant(rt: Runtime, name: str = "default") -> Tenant:
    with rt.store.read() as tx:
        tenant_id = tx.setting("default_tenant")
    if tenant_id:
        return rt.directory.tenant(tenant_id)
    tenant = rt.directory.create_tenant(name)
    with rt.store.write() as tx:
        tx.put_setting("default_tenant", tenant.id)
    return tenant


def initialize(rt: Runtime, name: str) -> AdminCredentials:
    """An empty database's first tenant (its default), its admin app with a first secret, and its first signing
    key, so replicas started on it only read. ConfigError when the database holds a tenant already."""
    tenant = rt.directory.create_first_tenant(name)
    creds = issue_admin_secret(rt, tenant)
    rt.tokens.keyring.active(tenant.id)
    return creds


def ensure_builtins(rt: Runtime) -> None:
    """Every tenant holds every built-in service principal and its initial domain, and its admin app every
    admin role, including those a newer version added."""
    for tenant in rt.directory.tenants():
        rt.directory.ensure_builtins(tenant.id)
        rt.directory.ensure_initial_domain(tenant.id)
        with rt.store.read() as tx:
            app_id = tx.setting(f"admin_app:{tenant.id}")
        if app_id:
            _grant_admin_roles(rt, tenant.id, app_id)


ADMIN_ROLES = ((builtins.GRAPH_APP_ID, builtins.GRAPH_ROLES), (builtins.AAD_GRAPH_APP_ID, builtins.AAD_GRAPH_ROLES),
               (builtins.TENANTD_APP_ID, builtins.TENANTD_ROLES))


def admin_app_id(rt: Runtime, tenant_id: str) -> str:
    """The tenant's admin app (created on first need) holding Graph's, AAD Graph's and tenantd's admin roles."""
    key = f"admin_app:{tenant_id}"
    with rt.store.read() as tx:
        app_id = tx.setting(key)
    if app_id:
        return app_id
    app = rt.directory.create_application(tenant_id, builtins.ADMIN_APP_NAME, with_service_principal=True)
    _grant_admin_roles(rt, tenant_id, app.app_id)
    with rt.store.write() as tx:
        tx.put_setting(key, app.app_id)
    return app.app_id


def _grant_admin_roles(rt: Runtime, tenant_id: str, app_id: str) -> None:
    """Every admin role the admin app lacks (a newer version may define more)."""
    admin = rt.directory.service_principal_by_app_id(tenant_id, app_id)
    held = {(a.resource_id, a.app_role_id) for a in rt.directory.assignments_of(tenant_id, admin.id)}
    for resource_app_id, roles in ADMIN_ROLES:
        resource = rt.directory.service_principal_by_app_id(tenant_id, resource_app_id)
        for role_id in roles.values():
            if (resource.id, role_id) not in held:
                rt.directory.assign(tenant_id, admin.id, resource.id, role_id)


def issue_admin_secret(rt: Runtime, tenant: Tenant) -> AdminCredentials:
    app_id = admin_app_id(rt, tenant.id)
    app = rt.directory.application_by_app_id(tenant.id, app_id)
    _, secret = rt.directory.add_password(tenant.id, app.id, display_name="tenantd CLI")
    return AdminCredentials(tenant.id, tenant.name, app_id, secret)


def admin_credentials(rt: Runtime, tenant: Tenant, data_dir: Path) -> AdminCredentials:
    """The CLI's credentials for ``tenant``: reused from the data directory when still valid."""
    stored = read_credentials(data_dir).get(tenant.id)
    app_id = admin_app_id(rt, tenant.id)
    if stored and stored.get("client_id") == app_id:
        app = rt.directory.application_by_app_id(tenant.id, app_id)
        if any(rt.tokens.hasher.matches(stored.get("client_secret", ""), c.secret_hash)
               for c in app.password_credentials):
            return AdminCredentials(tenant.id, tenant.name, app_id, stored["client_secret"])
    creds = issue_admin_secret(rt, tenant)
    save_credentials(data_dir, creds)
    return creds


def read_credentials(data_dir: Path) -> dict[str, Any]:
    path = data_dir / CREDENTIALS_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    tenants = data.get("tenants") if isinstance(data, dict) else None
    return tenants if isinstance(tenants, dict) else {}


def save_credentials(data_dir: Path, creds: AdminCredentials) -> Path:
    tenants = read_credentials(data_dir)
    tenants[creds.tenant_id] = {"tenant_name": creds.tenant_name, "client_id": creds.client_id,
                                "client_secret": creds.client_secret}
    path = data_dir / CREDENTIALS_FILE
    write_private_json(path, {"tenants": tenants})
    return path


def write_new_private_file(path: Path, text: str) -> None:
    """Create ``path`` holding ``text``, mode 0600 from its first byte; FileExistsError if it exists, so a
    secret written once is never overwritten by the next."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def write_private_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically with mode 0600: a reader sees the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
