"""App role assignments: to service principals, users and groups, as Entra checks them."""

from __future__ import annotations

from ..domain import audit, rules
from ..domain.errors import BadRequest, NotFound
from ..domain.ids import new_assignment_id
from ..domain.model import AppRoleAssignment, Principal
from ..store.sql import DuplicateKey
from .unit import UnitOfWork, must_exist, now_iso, principal_of


class Assignments(UnitOfWork):
    """Granting and revoking app roles."""

    def assign(self, tenant_id: str, principal_id: str, resource_id: str, app_role_id: str) -> AppRoleAssignment:
        """Assign an app role, as Entra checks it. A duplicate loses on the store's unique constraint."""
        with self.store.write() as tx:
            principal = principal_of(tx, tenant_id, principal_id)
            if principal is None:
                raise BadRequest("Not a valid reference update.")
            resource = tx.service_principal(tenant_id, resource_id)
            if resource is None:
                raise BadRequest("Not a valid reference update.")
            rules.assignable_role(resource, app_role_id, principal)
            assignment_id = new_assignment_id(principal.id)
            try:
                tx.insert_assignment(tenant_id, assignment_id, app_role_id, principal.id, principal.type,
                                     resource.id, now_iso())
            except DuplicateKey:
                raise _duplicate_assignment() from None
            self._record(tx, tenant_id, audit.assignment(True, assignment_id, resource.role(app_role_id),
                                                         app_role_id, principal, resource))
            created = tx.assignment(tenant_id, assignment_id)
        assert created is not None
        return created

    def assignment(self, tenant_id: str, assignment_id: str) -> AppRoleAssignment:
        with self.store.read() as tx:
            return must_exist(tx.assignment(tenant_id, assignment_id), assignment_id)

    def assignments_of(self, tenant_id: str, principal_id: str) -> list[AppRoleAssignment]:
        """appRoleAssignments: what a principal has been granted."""
        with self.store.read() as tx:
            if principal_of(tx, tenant_id, principal_id) is None:
                raise NotFound(f"Resource '{principal_id}' does not exist or one of its queried reference-property "
                               "objects are not present.")
            return tx.assignments(tenant_id, principal_ids=[principal_id])

    def assignments_to(self, tenant_id: str, resource_id: str) -> list[AppRoleAssignment]:
        """appRoleAssignedTo: who has been granted roles of a resource."""
        with self.store.read() as tx:
            must_exist(tx.service_principal(tenant_id, resource_id), resource_id)
            return tx.assignments(tenant_id, resource_id=resource_id)

    def unassign(self, tenant_id: str, assignment_id: str, *, principal_id: str | None = None,
                 resource_id: str | None = None) -> AppRoleAssignment:
        """Remove an assignment addressed through its principal or its resource."""
        with self.store.write() as tx:
            found = tx.assignment(tenant_id, assignment_id)
            if (found is None or (principal_id and found.principal_id != principal_id)
                    or (resource_id and found.resource_id != resource_id)):
                raise NotFound(f"Resource '{assignment_id}' does not exist or one of its queried reference-property "
                               "objects are not present.")
            tx.delete_assignment(assignment_id)
            resource = tx.service_principal(tenant_id, found.resource_id)
            if resource is not None:
                principal = Principal(found.principal_id, found.principal_type, found.principal_display_name)
                self._record(tx, tenant_id, audit.assignment(False, found.id, resource.role(found.app_role_id),
                                                             found.app_role_id, principal, resource))
        return found


def _duplicate_assignment() -> BadRequest:
    return BadRequest("Permission being assigned already exists on the object.")
