"""Enterprise applications (service principals): the list (search by name prefix, paging) and a service
principal's page: who holds each of its app roles (users, groups, apps and managed identities), assigning a
role by three picks (this resource, a role from a list, a principal found by the prefix of its name: a plain
GET search, then a choice, no script), removing an assignment, "assignment required", and what it was
consented: its delegated permission grants and the app roles it holds on other resources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...directory import Directory
from ...domain import user_permissions as can
from ...domain.errors import BadRequest, GraphError
from ...domain.ids import DEFAULT_ACCESS_ROLE_ID, is_guid
from ...domain.model import AppRole, AppRoleAssignment, Group, ServicePrincipal, User
from ...domain.user_permissions import Target
from ...store.listing import Condition
from ..graph import acts
from ..graph.access import APPLICATION_READ, APPLICATION_WRITE, ASSIGNMENT_WRITE, GRANT_READ, assignment_read
from ..graph.acts import Act
from .guard import Visitor, portal_page
from .listing import listed, name_prefix, search_text
from .render import redirect

READ, GRANTS = Act(can.SPS_READ), Act(can.GRANTS_READ)
ASSIGN, UPDATE = Act(can.SPS_ASSIGN, acts.service_principal), Act(can.SPS_UPDATE, acts.service_principal)
CANDIDATES = 10      # principals of each kind offered for a typed name
SHOWN = 500          # assignments listed on the page
DEFAULT_ACCESS = AppRole(DEFAULT_ACCESS_ROLE_ID, None, "Default Access", "Access without a particular role.",
                         ("User", "Application"))
NOTICES = {"assigned": "The role was assigned.", "unassigned": "The assignment was removed.",
           "required": "Users and groups now need an assignment to sign in to it.",
           "not-required": "Anyone in the tenant may now sign in to it."}


def kind_of(obj: object) -> str:
    if isinstance(obj, User):
        return "User"
    if isinstance(obj, Group):
        return "Group"
    assert isinstance(obj, ServicePrincipal)
    return "Managed identity" if obj.service_principal_type == "ManagedIdentity" else "Application"


@dataclass(frozen=True)
class Holding:
    """A role of the resource and the assignments of it."""

    role: AppRole
    assignments: list[AppRoleAssignment]


@dataclass(frozen=True)
class Held:
    """An app role this service principal holds on another resource."""

    assignment: AppRoleAssignment
    role: AppRole | None


def sp_id_of(visitor: Visitor) -> str:
    return str(visitor.request.path_params["id"])


@portal_page
async def list_sps(visitor: Visitor) -> Response:
    directory = await visitor.require(READ, APPLICATION_READ)
    found = await listed(visitor.request, directory, "service_principals", visitor.tenant.id)
    return visitor.page("enterprise_apps.html", title="Enterprise applications", section="enterprise",
                        listing=found, kind_of=kind_of)


def _holdings(sp: ServicePrincipal, assignments: Sequence[AppRoleAssignment]) -> list[Holding]:
    roles = [*sp.app_roles, DEFAULT_ACCESS]
    return [Holding(r, [a for a in assignments if a.app_role_id == r.id]) for r in roles
            if r.is_enabled or any(a.app_role_id == r.id for a in assignments)]


def held_roles(directory: Directory, sp: ServicePrincipal) -> list[Held]:
    found = []
    for assignment in directory.assignments_of(sp.tenant_id, sp.id):
        resource = directory.service_principal(sp.tenant_id, assignment.resource_id)
        found.append(Held(assignment, resource.role(assignment.app_role_id)))
    return found


def _candidates(visitor: Visitor, directory: Directory, find: str) -> list[User | Group | ServicePrincipal]:
    conditions = name_prefix(find)
    found: list[User | Group | ServicePrincipal] = []
    for kind, action in (("users", can.USERS_READ), ("groups", can.GROUPS_READ),
                         ("service_principals", can.SPS_READ)):
        if visitor.may(action):
            found += directory.page(kind, visitor.tenant.id, conditions, None, CANDIDATES)   # type: ignore[arg-type]
    return found


@portal_page
async def show_sp(visitor: Visitor) -> Response:
    directory = await visitor.require(READ, assignment_read(APPLICATION_READ))
    tid, request = visitor.tenant.id, visitor.request
    sp = await run_in_threadpool(directory.service_principal, tid, sp_id_of(visitor))
    assignments = await run_in_threadpool(directory.page, "assignments", tid,
                                          [Condition("resource_id", "eq", sp.id)], None, SHOWN)
    held = await run_in_threadpool(held_roles, directory, sp)
    grants = None
    if visitor.may(can.GRANTS_READ):
        await visitor.require(GRANTS, GRANT_READ)
        grants = await run_in_threadpool(lambda: directory.grants(tid, client_id=sp.id))
    resources = {g.resource_id: (await run_in_threadpool(directory.service_principal, tid, g.resource_id))
                 for g in grants or ()}
    owned = await run_in_threadpool(directory.owns, visitor.session.user_id, sp.id)
    target = Target(owned=owned)
    may_assign = visitor.may(can.SPS_ASSIGN, target)
    find = search_text(request, "find")
    candidates = await run_in_threadpool(_candidates, visitor, directory, find) if find and may_assign else []
    registration = None
    if sp.service_principal_type == "Application":
        try:
            registration = await run_in_threadpool(directory.application_by_app_id, tid, sp.app_id)
        except GraphError:
            registration = None
    return visitor.page(
        "enterprise_app.html", title=sp.display_name, section="enterprise", sp=sp, kind=kind_of(sp),
        holdings=_holdings(sp, assignments), more=len(assignments) >= SHOWN, held=held, grants=grants,
        resources=resources, registration=registration, find=find, candidates=candidates, kind_of=kind_of,
        assignable=[r for r in (*sp.app_roles, DEFAULT_ACCESS) if r.is_enabled],
        notice=NOTICES.get(request.query_params.get("done", "")), may_assign=may_assign,
        may_update=visitor.may(can.SPS_UPDATE, target))


def _failed(visitor: Visitor, exc: GraphError) -> Response:
    """A change the directory refused: its message, and the way back to the service principal's page."""
    return visitor.page("message.html", exc.status, title="That did not work", text=exc.message,
                        back=f"{visitor.base}/enterprise-apps/{sp_id_of(visitor)}", section="enterprise")


def _back(visitor: Visitor, done: str) -> Response:
    return redirect(f"{visitor.base}/enterprise-apps/{sp_id_of(visitor)}?done={done}")


@portal_page
async def assign(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(ASSIGN, ASSIGNMENT_WRITE)
    sp = await run_in_threadpool(directory.service_principal, visitor.tenant.id, sp_id_of(visitor))
    if not is_guid(form.get("principal")) or not is_guid(form.get("role")):
        return _failed(visitor, BadRequest("Choose who gets the role (find them by name, then pick one) and the role."))
    try:
        await run_in_threadpool(directory.assign, visitor.tenant.id, form["principal"], sp.id, form["role"])
    except GraphError as exc:
        return _failed(visitor, exc)
    return _back(visitor, "assigned")


@portal_page
async def unassign(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(ASSIGN, ASSIGNMENT_WRITE)
    sp = await run_in_threadpool(directory.service_principal, visitor.tenant.id, sp_id_of(visitor))
    try:
        await run_in_threadpool(lambda: directory.unassign(visitor.tenant.id, form.get("assignment", ""),
                                                           resource_id=sp.id))
    except GraphError as exc:
        return _failed(visitor, exc)
    return _back(visitor, "unassigned")


@portal_page
async def set_required(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(UPDATE, APPLICATION_WRITE)
    if form.get("required") not in ("true", "false"):
        raise BadRequest("Choose whether an assignment is required.")
    required = form["required"] == "true"
    await run_in_threadpool(directory.update_service_principal, visitor.tenant.id, sp_id_of(visitor),
                            {"appRoleAssignmentRequired": required})
    return _back(visitor, "required" if required else "not-required")


def routes(prefix: str) -> list[BaseRoute]:
    sp = prefix + "/enterprise-apps/{id}"
    return [
        Route(prefix + "/enterprise-apps", list_sps, methods=["GET"]),
        Route(sp, show_sp, methods=["GET"]),
        Route(sp + "/assignments", assign, methods=["POST"]),
        Route(sp + "/assignments/remove", unassign, methods=["POST"]),
        Route(sp + "/assignment-required", set_required, methods=["POST"]),
    ]
