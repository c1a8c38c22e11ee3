"""Planning links between objects: group members and app role assignments, and their pruning."""

from __future__ import annotations

from typing import Any

from ..directory import Directory
from ..domain import rules
from ..domain.ids import DEFAULT_ACCESS_ROLE_ID, is_guid
from ..domain.model import Principal, ServicePrincipal
from .changes import call
from .document import Path
from .names import Named, Unresolved
from .state import Plan


def plan_members(plan: Plan, path: Path, entry: dict[str, Any], group: Named) -> None:
    if entry.get("members") is None:
        return
    current = dict(plan.snap.members.get(group.id, []))
    wanted: set[str] = set()
    for k, text in enumerate(entry["members"]):
        member = _principal(plan, (*path, "members", k), text, "member")
        if member is None:
            continue
        if member.id == group.id:
            plan.problem((*path, "members", k), "a group cannot be a member of itself")
            continue
        if member.id in wanted:
            plan.problem((*path, "members", k), f"{member.describe()} is listed twice")
            continue
        wanted.add(member.id)
        if member.id not in current:
            plan.add("member", f"add {member.kind} '{member.name}' to group '{group.name}'",
                     call(Directory.add_member, plan.tenant_id, group.id, member.id))
    if plan.prune:
        for member_id in current:
            if member_id not in wanted and member_id not in plan.deleted:
                plan.add("unmember", f"remove {plan.label(member_id)} from group '{group.name}'",
                         call(Directory.remove_member, plan.tenant_id, group.id, member_id))


def _principal(plan: Plan, path: Path, text: str, what: str) -> Named | None:
    try:
        found = plan.index().resolve(text, what)
    except Unresolved as exc:
        plan.problem(path, str(exc))
        return None
    if found.principal_type is None:
        plan.problem(path, f"application '{found.name}' has no service principal (servicePrincipal: false)")
        return None
    return found


def plan_assignments(plan: Plan) -> set[tuple[str, str, str]]:
    existing = {(a.principal_id, a.resource_id, a.app_role_id) for a in plan.snap.assignments}
    declared: dict[tuple[str, str, str], Path] = {}
    for path, entry in plan.entries("assignments"):
        principal = _principal(plan, (*path, "principal"), entry["principal"], "principal")
        try:
            resource = plan.index(resources=True).resolve(entry["resource"], "resource")
        except Unresolved as exc:
            plan.problem((*path, "resource"), str(exc))
            continue
        assert resource.resource is not None
        role = _role(resource.resource, entry["role"])
        if role is None:
            values = ", ".join(r.value or r.id for r in resource.resource.app_roles) or "none"
            plan.problem((*path, "role"), f"{resource.describe()} has no role '{entry['role']}' "
                                           f"(its roles: {values})")
            continue
        if principal is None:
            continue
        key = (principal.id, resource.id, role)
        if key in declared:
            plan.problem(path, f"the same assignment as {plan.doc.where(declared[key])}")
            continue
        declared[key] = path
        if key in existing:
            continue
        assert principal.principal_type is not None
        who = Principal(principal.id, principal.principal_type, principal.name)
        before = len(plan.problems)
        plan.rule((*path, "role"), rules.assignable_role, resource.resource, role, who)
        if len(plan.problems) > before:
            continue
        label = _role_label(resource.resource, role)
        plan.add("assign", f"assign {label} on '{resource.name}' to {principal.kind} '{principal.name}'",
                 call(Directory.assign, plan.tenant_id, principal.id, resource.id, role))
    return set(declared)


def prune_assignments(plan: Plan, declared: set[tuple[str, str, str]]) -> None:
    admin = plan.snap.admin_sp_id
    for a in plan.snap.assignments:
        if (a.principal_id, a.resource_id, a.app_role_id) in declared or admin in (a.principal_id, a.resource_id):
            continue
        resource = next((sp for sp in plan.snap.service_principals if sp.id == a.resource_id), None)
        label = _role_label(resource, a.app_role_id) if resource else a.app_role_id
        plan.add("unassign", f"remove assignment {label} on '{a.resource_display_name}' from "
                             f"'{a.principal_display_name}'",
                 call(Directory.unassign, plan.tenant_id, a.id))


def check_role_removals(plan: Plan, declared: set[tuple[str, str, str]]) -> None:
    """A role must be disabled before it goes, and must have no assignments left when it goes."""
    for app in plan.apps:
        if app.existing is None or app.sp_id is None:
            continue
        remaining = {a.app_role_id for a in plan.snap.assignments if a.resource_id == app.sp_id
                     and (not plan.prune or (a.principal_id, a.resource_id, a.app_role_id) in declared)}
        plan.rule((*app.path, "appRoles"), rules.role_change, app.existing.app_roles, app.roles, remaining)


def _role(resource: ServicePrincipal, text: str) -> str | None:
    """The role id ``text`` names on ``resource`` (by id or value); the all-zero id is default access."""
    if is_guid(text):
        role_id = text.lower()
        return role_id if role_id == DEFAULT_ACCESS_ROLE_ID or resource.role(role_id) else None
    return next((r.id for r in resource.app_roles if r.value == text), None)


def _role_label(resource: ServicePrincipal, role_id: str) -> str:
    if role_id == DEFAULT_ACCESS_ROLE_ID:
        return "default access"
    role = resource.role(role_id)
    return (role.value or role.id) if role else role_id
