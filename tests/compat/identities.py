"""The managed identity clients' directory, shared by the Python and Node acceptance tests: the Things API
with two roles, a system-assigned identity of a site holding Read, and a user-assigned identity attached to
that site holding Write."""

from __future__ import annotations

from tenantd.directory import Directory
from tenantd.domain import rules
from tenantd.domain.model import ServicePrincipal

READ = "32028ccd-3212-4f39-3212-beabd6787d81"
WRITE = "4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


def things_and_identities(d: Directory, tid: str, site: str,
                          user_assigned: str) -> tuple[str, ServicePrincipal, ServicePrincipal]:
    """The API's service principal id, the system-assigned identity and the user-assigned one."""
    api = d.create_application(tid, "Things API", identifier_uris=["api://things"], with_service_principal=True,
                               app_roles=rules.app_roles([
                                   {"id": READ, "value": "Things.Read.All", "displayName": "Read",
                                    "allowedMemberTypes": ["Application"]},
                                   {"id": WRITE, "value": "Things.Write", "displayName": "Write",
                                    "allowedMemberTypes": ["Application"]}]))
    api_sp = d.service_principal_by_app_id(tid, api.app_id).id
    system = d.create_managed_identity(tid, "joonasmsitest", "SystemAssigned", site)
    ua = d.create_managed_identity(tid, "orders-worker", "UserAssigned", user_assigned)
    d.attach(tid, ua.id, site)
    d.assign(tid, system.id, api_sp, READ)
    d.assign(tid, ua.id, api_sp, WRITE)
    return api_sp, system, ua
