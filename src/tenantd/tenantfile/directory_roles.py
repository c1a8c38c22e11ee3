"""Users' directory roles in the tenant file: ``users[].directoryRoles``, each role by display name (any case)
or template id. A user entry that lists them is given those it lacks; with ``--prune`` the roles it does not
list are taken from it. An entry without the field leaves the user's roles as they are. Export writes each
user's roles by display name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..directory import Directory
from ..domain import directory_roles
from ..domain.directory_roles import RoleAssignment
from .changes import call
from .state import Plan


def plan_directory_roles(plan: Plan) -> None:
    """The roles of every user entry that lists them (after the users are planned: a new user's id is known)."""
    held: dict[str, list[RoleAssignment]] = {}
    for assignment in plan.snap.role_assignments:
        held.setdefault(assignment.principal_id, []).append(assignment)
    for path, entry in plan.entries("users"):
        if entry.get("directoryRoles") is None:
            continue
        upn = entry["userPrincipalName"]
        user = next((n for n in plan.named if n.kind == "user" and n.name.casefold() == upn.casefold()), None)
        if user is None:   # the user's own entry has a problem, already reported
            continue
        wanted: set[str] = set()
        current = {a.role_definition_id: a for a in held.get(user.id, [])}
        for k, text in enumerate(entry["directoryRoles"]):
            role = directory_roles.find(text)
            where = (*path, "directoryRoles", k)
            if role is None:
                known = ", ".join(r.display_name for r in directory_roles.BUILT_IN)
                plan.problem(where, f"no directory role '{text}' (the roles: {known})")
                continue
            if role.template_id in wanted:
                plan.problem(where, f"directory role '{role.display_name}' is listed twice")
                continue
            wanted.add(role.template_id)
            if role.template_id not in current:
                plan.add("assign", f"give directory role '{role.display_name}' to user '{upn}'",
                         call(Directory.assign_directory_role, plan.tenant_id, user.id, role.template_id))
        if plan.prune:
            for template_id, assignment in current.items():
                if template_id not in wanted:
                    name = directory_roles.BY_TEMPLATE_ID[template_id].display_name
                    plan.add("unassign", f"take directory role '{name}' from user '{upn}'",
                             call(Directory.unassign_directory_role, plan.tenant_id, assignment.id))


def exported(template_ids: Iterable[str]) -> dict[str, Any]:
    """A user entry's ``directoryRoles`` (by display name, in name order), when the user holds any."""
    names = sorted(directory_roles.BY_TEMPLATE_ID[t].display_name for t in template_ids
                   if t in directory_roles.BY_TEMPLATE_ID)
    return {"directoryRoles": names} if names else {}


def held_by(assignments: Iterable[RoleAssignment]) -> dict[str, list[str]]:
    """Principal id -> the template ids of the roles it holds."""
    found: dict[str, list[str]] = {}
    for assignment in assignments:
        found.setdefault(assignment.principal_id, []).append(assignment.role_definition_id)
    return found
