"""Directory roles: who holds which built-in role (Global Administrator ...), tenant-wide.

A change here advances the directory's version like any other, so the holder's very next token shows it
in ``wids`` (tokens/directory_roles.py reads the roles through the directory cache).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..domain import audit, directory_roles
from ..domain.directory_roles import RoleAssignment, RoleDefinition
from ..domain.errors import BadRequest, NotFound
from ..domain.model import Principal, ServicePrincipal, User
from ..store import Tx
from ..store.sql import DuplicateKey
from .unit import UnitOfWork, must_exist, now_iso, principal_of


class DirectoryRoles(UnitOfWork):
    """The use cases of directory role assignments."""

    def assign_directory_role(self, tenant_id: str, principal_id: str, role_definition_id: str,
                              directory_scope_id: object = directory_roles.TENANT_SCOPE) -> RoleAssignment:
        """Give ``principal_id`` a built-in role (by template id); a second assignment of the same role to the
        same principal is refused, as Entra refuses it."""
        scope = directory_roles.directory_scope(directory_scope_id)
        role = role_definition(role_definition_id)
        with self.store.write() as tx:
            principal = must_exist(principal_of(tx, tenant_id, principal_id), principal_id)
            directory_roles.assignable(role, principal)
            assignment = RoleAssignment(tenant_id, directory_roles.assignment_id(role.template_id, principal.id),
                                        role.template_id, principal.id, principal.type, principal.display_name,
                                        scope, now_iso())
            try:
                tx.insert_role_assignment(assignment)
            except DuplicateKey:
                raise DuplicateRoleAssignment("A conflicting object with one or more of the specified property "
                                              "values is present in the directory.") from None
            self._record(tx, tenant_id, _membership(True, tenant_id, role, principal))
        return assignment

    def add_directory_role_member(self, tenant_id: str, role_definition_id: str, principal_id: str) -> None:
        """Give ``principal_id`` a role (by template id) as a member of its directoryRole: an assignment with
        the tenant's scope, refused for a member already there as Graph refuses a second reference."""
        try:
            self.assign_directory_role(tenant_id, principal_id, role_definition_id)
        except DuplicateRoleAssignment:
            raise BadRequest("One or more added object references already exist for the following modified "
                             "properties: 'members'.") from None

    def unassign_directory_role(self, tenant_id: str, assignment_id: str) -> RoleAssignment:
        """Take a role assignment away, by its id."""
        with self.store.write() as tx:
            found = must_exist(tx.role_assignment(tenant_id, assignment_id), assignment_id)
            self._remove_role_assignment(tx, found)
        return found

    def remove_directory_role_member(self, tenant_id: str, role_definition_id: str, principal_id: str) -> None:
        """Take ``role_definition_id`` (a template id) from ``principal_id``: the directoryRole's member removed."""
        role = role_definition(role_definition_id)
        with self.store.write() as tx:
            held = tx.role_assignments(tenant_id, principal_id=principal_id.lower(),
                                       role_definition_id=role.template_id)
            if not held:
                raise NotFound(f"Resource '{principal_id}' is not a member of role '{role.display_name}'.")
            for found in held:
                self._remove_role_assignment(tx, found)

    def _remove_role_assignment(self, tx: Tx, found: RoleAssignment) -> None:
        tx.delete_role_assignment(found.id)
        principal = Principal(found.principal_id, "User" if found.principal_type == "User" else "ServicePrincipal",
                              found.principal_display_name)
        role = role_definition(found.role_definition_id)
        self._record(tx, found.tenant_id, _membership(False, found.tenant_id, role, principal))

    def directory_role_assignment(self, tenant_id: str, assignment_id: str) -> RoleAssignment:
        with self.store.read() as tx:
            return must_exist(tx.role_assignment(tenant_id, assignment_id), assignment_id)

    def directory_role_principals(self, tenant_id: str, principal_ids: Iterable[str]
                                  ) -> dict[str, User | ServicePrincipal]:
        """The users and service principals ``principal_ids`` name, by id (a role's members, the principals
        of assignments), read in one transaction."""
        found: dict[str, User | ServicePrincipal] = {}
        with self.store.read() as tx:
            for principal_id in dict.fromkeys(principal_ids):
                obj = tx.service_principal(tenant_id, principal_id) or tx.user(tenant_id, principal_id)
                if obj is not None:
                    found[principal_id] = obj
        return found

    def directory_role_assignments(self, tenant_id: str, *, principal_id: str | None = None,
                                   role_definition_id: str | None = None) -> list[RoleAssignment]:
        """Assignments, all or those of one principal and/or one role (by template id), oldest first."""
        with self.store.read() as tx:
            return tx.role_assignments(tenant_id, principal_id=principal_id and principal_id.lower(),
                                       role_definition_id=role_definition_id and role_definition_id.lower())


class DuplicateRoleAssignment(BadRequest):
    """The principal holds the role already."""


def role_definition(role_definition_id: str) -> RoleDefinition:
    """The built-in role whose template id is ``role_definition_id``; Graph's 404 for any other."""
    return must_exist(directory_roles.BY_TEMPLATE_ID.get(role_definition_id.lower()), role_definition_id)


def _membership(added: bool, tenant_id: str, role: RoleDefinition, principal: Principal) -> audit.Entry:
    return directory_roles.membership(added, role, directory_roles.directory_role_id(tenant_id, role.template_id),
                                      principal)
