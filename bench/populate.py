"""Fill a tenant with a large directory, writing through the store directly in big transactions.

    python -m bench.populate [--data DIR | --database URL] [--scale 1.0] [--json]
        [--service-principals 100000] [--applications 10000] [--assignments 1000000]
        [--users 50000] [--groups 5000]

Applications (each with a service principal, an App ID URI and two app roles), managed identities for
the rest of the service principals, users, security groups with every user a member of one, and app role
assignments spread over all principals and all applications. Names are deterministic (``bench-app-000042``,
``user000042@bench.test``), so a benchmark can address objects by name. A progress bar shows on a terminal;
``--json`` prints only the counts and the time taken.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tenantd.domain.ids import new_assignment_id
from tenantd.domain.model import Application, AppRole, AppRoleAssignment, Group, PrincipalType, ServicePrincipal, User
from tenantd.store import Store

CHUNK = 20_000
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-00000000be0c"
ROLES = (
    AppRole(id="", value="Data.Read", display_name="Read data", description="Read data.",
            allowed_member_types=("Application", "User")),
    AppRole(id="", value="Data.Write", display_name="Write data", description="Write data.",
            allowed_member_types=("Application", "User")),
)


@dataclass(frozen=True)
class Sizes:
    service_principals: int = 100_000   # applications' service principals included
    applications: int = 10_000
    assignments: int = 1_000_000
    users: int = 50_000
    groups: int = 5_000

    def __post_init__(self) -> None:
        if not 0 < self.applications <= self.service_principals or min(self.users, self.groups) < 1:
            raise ValueError("sizes: 1 <= applications <= service principals, and at least one user and group")

    def scaled(self, factor: float) -> Sizes:
        return Sizes(*(max(1, round(getattr(self, f) * factor)) for f in self.__dataclass_fields__))

    def total(self) -> int:
        return self.service_principals + self.applications + self.assignments + self.users * 2 + self.groups


def guid(kind: int, index: int) -> str:
    """A deterministic object id: the kind in the first group, the index in the last."""
    return f"{kind:08x}-be0c-4000-8000-{index:012x}"


def app_name(i: int) -> str:
    return f"bench-app-{i:06d}"


def identity_name(i: int) -> str:
    return f"bench-site-{i:06d}"


def user_upn(i: int) -> str:
    return f"user{i:06d}@bench.test"


def group_name(i: int) -> str:
    return f"bench-group-{i:05d}"


def role_id(app: int, role: int) -> str:
    return guid(0x50 + role, app)


def _chunks(total: int) -> Iterator[range]:
    for start in range(0, total, CHUNK):
        yield range(start, min(total, start + CHUNK))


class Populator:
    def __init__(self, store: Store, tenant_id: str, sizes: Sizes, advance: Callable[[int], None]) -> None:
        self.store, self.tenant_id, self.sizes, self.advance = store, tenant_id, sizes, advance
        self.created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def write(self, insert: Callable[[Any, Sequence[Any]], None], rows: Sequence[Any], weight: int = 1) -> None:
        with self.store.write() as tx:
            insert(tx, rows)
        self.advance(len(rows) * weight)

    def run(self) -> None:
        s, tid, now = self.sizes, self.tenant_id, self.created
        for part in _chunks(s.applications):
            apps = [Application(tenant_id=tid, id=guid(1, i), app_id=guid(2, i), display_name=app_name(i),
                                identifier_uris=(f"api://{app_name(i)}",), created=now,
                                app_roles=tuple(replace(r, id=role_id(i, k)) for k, r in enumerate(ROLES)),
                                requested_access_token_version=2 if i % 2 else None) for i in part]
            self.write(lambda tx, rows: tx.insert_applications(rows), apps)
            sps = [ServicePrincipal(tenant_id=tid, id=guid(3, i), app_id=a.app_id, display_name=a.display_name,
                                    service_principal_type="Application", app_roles=a.app_roles,
                                    app_role_assignment_required=False, account_enabled=True, created=now,
                                    service_principal_names=(a.app_id, *a.identifier_uris),
                                    app_owner_organization_id=tid) for i, a in zip(part, apps, strict=True)]
            self.write(lambda tx, rows: tx.insert_service_principals(rows), sps)
        for part in _chunks(max(0, s.service_principals - s.applications)):
            self.write(lambda tx, rows: tx.insert_service_principals(rows), [self.identity(i) for i in part])
        for part in _chunks(s.users):
            self.write(lambda tx, rows: tx.insert_users(rows), [
                User(tenant_id=tid, id=guid(5, i), user_principal_name=user_upn(i),
                     display_name=f"Bench User {i:06d}", account_enabled=True, created=now) for i in part])
        for part in _chunks(s.groups):
            self.write(lambda tx, rows: tx.insert_groups(rows), [
                Group(tenant_id=tid, id=guid(6, i), display_name=group_name(i), description=None,
                      mail_nickname=f"benchgroup{i:05d}", security_enabled=True, created=now) for i in part])
        for part in _chunks(s.users):
            self.write(lambda tx, rows: tx.insert_group_members(rows),
                       [(guid(6, i % s.groups), guid(5, i), "user") for i in part])
        for part in _chunks(s.assignments):
            self.write(lambda tx, rows: tx.insert_assignments(rows), [self.assignment(k) for k in part])
        with self.store.engine.begin() as conn:   # statistics for the query planner, as after any bulk load
            if self.store.is_sqlite:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")

    def identity(self, i: int) -> ServicePrincipal:
        site = f"{SUBSCRIPTION}/resourceGroups/bench-rg-{i % 100:02d}/providers/Microsoft.Web/sites/{identity_name(i)}"
        client_id = guid(4, i)
        return ServicePrincipal(
            tenant_id=self.tenant_id, id=guid(7, i), app_id=client_id, display_name=identity_name(i),
            service_principal_type="ManagedIdentity", app_roles=(), app_role_assignment_required=False,
            account_enabled=True, created=self.created, alternative_names=("isExplicit=False", site),
            service_principal_names=(client_id, f"https://identity.azure.net/bench{i:012d}"),
            managed_identity_kind="SystemAssigned", managed_identity_name=identity_name(i),
            managed_identity_resource_id=site)

    def principal(self, p: int) -> tuple[str, PrincipalType]:
        """The p-th principal: applications' service principals, identities, users, then groups."""
        s = self.sizes
        if p < s.applications:
            return guid(3, p), "ServicePrincipal"
        p -= s.applications
        if p < s.service_principals - s.applications:
            return guid(7, p), "ServicePrincipal"
        p -= s.service_principals - s.applications
        return (guid(5, p), "User") if p < s.users else (guid(6, p - s.users), "Group")

    def assignment(self, k: int) -> AppRoleAssignment:
        """The k-th assignment: principal k mod P on application (k mod P + k div P) mod A, so no
        (principal, resource, role) repeats while k < P * A."""
        s = self.sizes
        count = s.service_principals + s.users + s.groups
        p, q = k % count, k // count
        principal_id, kind = self.principal(p)
        app = (p + q) % s.applications
        return AppRoleAssignment(tenant_id=self.tenant_id, id=new_assignment_id(principal_id),
                                 app_role_id=role_id(app, q % len(ROLES)), principal_id=principal_id,
                                 principal_type=kind, principal_display_name="", resource_id=guid(3, app),
                                 resource_display_name="", created=self.created)


def populate(store: Store, tenant_id: str, sizes: Sizes, advance: Callable[[int], None] = lambda n: None) -> None:
    """Write ``sizes`` worth of objects into the tenant (which must not hold bench objects yet)."""
    Populator(store, tenant_id, sizes, advance).run()


def _progress(total: int, quiet: bool) -> tuple[Callable[[int], None], Callable[[], None]]:
    if quiet or not sys.stderr.isatty():
        return (lambda n: None), (lambda: None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress("populating", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True)
    task = bar.add_task("rows", total=total)
    bar.start()
    return (lambda n: bar.advance(task, n)), bar.stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(".tenantd"), help="tenantd's data directory.")
    parser.add_argument("--database", help="Database URL (default: the data directory's SQLite file).")
    parser.add_argument("--tenant-name", default="default", help="Name of the default tenant if there is none yet.")
    parser.add_argument("--scale", type=float, default=1.0, help="Multiply every size by this.")
    parser.add_argument("--json", action="store_true", help="No progress bar; print the counts as JSON.")
    for name, value in Sizes().__dict__.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=value)
    args = parser.parse_args()
    sizes = Sizes(*(getattr(args, f) for f in Sizes.__dataclass_fields__)).scaled(args.scale)

    from tenantd import bootstrap
    from tenantd.runtime import open_runtime, sqlite_url

    args.data.mkdir(parents=True, exist_ok=True)
    rt = open_runtime(args.database or sqlite_url(args.data), args.data, None,
                      default_public_url="https://localhost:8443")
    tenant = bootstrap.default_tenant(rt, args.tenant_name)
    advance, done = _progress(sizes.total(), args.json)
    began = time.monotonic()
    try:
        populate(rt.store, tenant.id, sizes, advance)
    finally:
        done()
        rt.store.dispose()
    summary = {"tenant": tenant.id, **sizes.__dict__, "seconds": round(time.monotonic() - began, 1)}
    print(json.dumps(summary) if args.json else
          "populated " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sizes.__dict__.items())
          + f" in {summary['seconds']} s")


if __name__ == "__main__":
    main()
