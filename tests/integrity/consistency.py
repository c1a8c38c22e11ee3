"""What "the store is consistent" means, checked straight on the database after a crash, a restore or a
load: SQLite's own integrity check, and the directory's invariants that no single constraint states."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import sqlalchemy as sa

from tenantd.domain import builtins
from tenantd.domain.ids import DEFAULT_ACCESS_ROLE_ID
from tenantd.store import Store
from tenantd.store import schema as t

BUILTIN_APP_IDS = {b.app_id for b in builtins.BUILTINS}


def problems(url: str) -> list[str]:
    """Every inconsistency found in the database at ``url`` (empty when it is consistent)."""
    store = Store(url)
    try:
        with store.engine.connect() as conn, conn.begin():
            found = _engine_checks(conn) if store.is_sqlite else []
            return found + _directory_checks(conn)
    finally:
        store.dispose()


def _engine_checks(conn: sa.Connection) -> list[str]:
    found = []
    integrity = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        found.append(f"integrity_check: {integrity}")
    found += [f"foreign key: {tuple(r)}" for r in conn.exec_driver_sql("PRAGMA foreign_key_check")]
    return found


def _directory_checks(conn: sa.Connection) -> list[str]:
    found: list[str] = []
    sps = {r.id: r for r in conn.execute(sa.select(t.service_principals))}
    apps = {(r.tenant_id, r.app_id): r for r in conn.execute(sa.select(t.applications))}
    app_ids = {r.id for r in apps.values()}
    users = {r.id: r for r in conn.execute(sa.select(t.users))}
    groups = {r.id: r for r in conn.execute(sa.select(t.groups))}
    principals = {"ServicePrincipal": sps, "User": users, "Group": groups}
    members = {"servicePrincipal": sps, "user": users, "group": groups}

    for sp in sps.values():
        if sp.service_principal_type == "ManagedIdentity":
            if not (sp.managed_identity_kind and sp.managed_identity_resource_id):
                found.append(f"managed identity {sp.id} without kind or resource id")
            continue
        app = apps.get((sp.tenant_id, sp.app_id))
        if app is None and sp.app_id not in BUILTIN_APP_IDS:
            found.append(f"service principal {sp.id} without its application {sp.app_id}")
        if app is not None and (_roles(app.app_roles) != _roles(sp.app_roles) or app.display_name != sp.display_name):
            found.append(f"service principal {sp.id} does not mirror application {app.id}")

    for a in conn.execute(sa.select(t.app_role_assignments)):
        principal = principals.get(a.principal_type, {}).get(a.principal_id)
        resource = sps.get(a.resource_id)
        if principal is None or principal.tenant_id != a.tenant_id:
            found.append(f"assignment {a.id} without its principal {a.principal_type} {a.principal_id}")
        if resource is None or resource.tenant_id != a.tenant_id:
            found.append(f"assignment {a.id} without its resource {a.resource_id}")
        elif a.app_role_id != DEFAULT_ACCESS_ROLE_ID and a.app_role_id not in _roles(resource.app_roles):
            found.append(f"assignment {a.id} of role {a.app_role_id} that resource {a.resource_id} lacks")

    for u in conn.execute(sa.select(t.identifier_uris)):
        if (u.application_id is None) == (u.service_principal_id is None):
            found.append(f"identifier URI {u.uri} with {'two owners' if u.application_id else 'no owner'}")
        elif u.application_id is not None and u.application_id not in app_ids:
            found.append(f"identifier URI {u.uri} without its application {u.application_id}")
        elif u.service_principal_id is not None and u.service_principal_id not in sps:
            found.append(f"identifier URI {u.uri} without its service principal {u.service_principal_id}")

    for m in conn.execute(sa.select(t.group_members)):
        if m.member_id not in members.get(m.member_type, {}):
            found.append(f"group {m.group_id} member {m.member_type} {m.member_id} does not exist")

    for f in conn.execute(sa.select(t.federated_credentials)):
        owner = app_ids if f.owner_type == "application" else sps
        if f.owner_id not in owner:
            found.append(f"federated credential {f.id} without its {f.owner_type} {f.owner_id}")

    for h in conn.execute(sa.select(t.host_attachments)):
        if h.service_principal_id not in sps:
            found.append(f"host {h.host_resource_id} attached to missing identity {h.service_principal_id}")

    active = Counter(k.tenant_id for k in conn.execute(sa.select(t.signing_keys)) if k.status == "active")
    found += [f"tenant {tenant} has {n} active signing keys" for tenant, n in active.items() if n > 1]
    return found


def _roles(raw: Any) -> dict[str, Any]:
    roles = json.loads(raw) if isinstance(raw, str) else raw
    return {r["id"]: r for r in roles}


def table_rows(url: str) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table, as comparable tuples (same values whatever the database)."""
    store = Store(url)
    try:
        with store.engine.connect() as conn, conn.begin():
            return {table.name: {tuple(_plain(v) for v in row) for row in conn.execute(sa.select(table))}
                    for table in t.metadata.sorted_tables if table is not t.directory_version}  # a cache's counter
    finally:
        store.dispose()


def _plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value
