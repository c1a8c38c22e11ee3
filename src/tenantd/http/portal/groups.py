"""Groups: the list (search by name prefix, paging), a new group, and a group's page: its members (users,
groups nested in it, service principals), the members of its nested groups, the groups it is in, and adding
or removing members, found by the prefix of their names."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain import user_permissions as can
from ...domain.errors import BadRequest
from ...domain.model import Group, User
from ...domain.user_permissions import Target
from ..graph import acts
from ..graph.access import GROUP_READ, GROUP_WRITE, MEMBER_READ, MEMBER_WRITE
from ..graph.acts import Act
from .guard import Visitor, portal_page
from .listing import listed as listed_page
from .listing import name_prefix, search_text
from .render import redirect

READ, CREATE = Act(can.GROUPS_READ), Act(can.GROUPS_CREATE)
MEMBERS = Act(can.GROUPS_MEMBERS, acts.group)
CANDIDATES = 10   # users and groups offered for a name typed in "Add a member"
NOTICES = {"member-added": "The member was added.", "member-removed": "The member was removed."}


def kind_of(obj: object) -> str:
    return "User" if isinstance(obj, User) else "Group" if isinstance(obj, Group) else "Service principal"


@portal_page
async def list_groups(visitor: Visitor) -> Response:
    directory = await visitor.require(READ, GROUP_READ)
    found = await listed_page(visitor.request, directory, "groups", visitor.tenant.id)
    return visitor.page("groups.html", title="Groups", section="groups", listing=found,
                        may_create=visitor.may(can.GROUPS_CREATE))


@portal_page
async def new_group(visitor: Visitor) -> Response:
    await visitor.require(CREATE, GROUP_WRITE)
    return visitor.page("group_new.html", title="New group", section="groups", error=None, values={})


@portal_page
async def create_group(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(CREATE, GROUP_WRITE)
    name, description = form.get("displayName", "").strip(), form.get("description", "").strip() or None
    try:
        group = await run_in_threadpool(directory.create_group, visitor.tenant.id, name, description)
    except BadRequest as exc:
        return visitor.page("group_new.html", 400, title="New group", section="groups", error=exc.message,
                            values={"displayName": name, "description": description or ""})
    return redirect(f"{visitor.base}/groups/{group.id}")


@portal_page
async def show_group(visitor: Visitor) -> Response:
    directory = await visitor.require(READ, MEMBER_READ)
    tid, request = visitor.tenant.id, visitor.request
    group = await run_in_threadpool(directory.group, tid, request.path_params["id"])
    members = await run_in_threadpool(directory.members, tid, group.id)
    everyone = await run_in_threadpool(directory.transitive_members, tid, group.id)
    member_of = await run_in_threadpool(lambda: directory.member_of(tid, group.id, transitive=False))
    direct = {m.id for m in members}
    owned = await run_in_threadpool(directory.owns, visitor.session.user_id, group.id)
    may_change = visitor.may(can.GROUPS_MEMBERS, Target(owned=owned))
    find = search_text(request, "find")
    candidates: list[User | Group] = []
    if find and may_change:
        conditions = name_prefix(find)
        for kind in ("users", "groups"):
            page = await run_in_threadpool(directory.page, kind, tid, conditions, None, CANDIDATES)
            candidates += [c for c in page if c.id not in direct and c.id != group.id]
    return visitor.page(
        "group.html", title=group.display_name, section="groups", group=group, members=members,
        inherited=[m for m in everyone if m.id not in direct], member_of=member_of, may_change=may_change,
        find=find, candidates=candidates, kind_of=kind_of,
        notice=NOTICES.get(request.query_params.get("done", "")))


@portal_page
async def add_member(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(MEMBERS, MEMBER_WRITE)
    group_id = visitor.request.path_params["id"]
    await run_in_threadpool(directory.add_member, visitor.tenant.id, group_id, form.get("member", ""))
    return redirect(f"{visitor.base}/groups/{group_id}?done=member-added")


@portal_page
async def remove_member(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(MEMBERS, MEMBER_WRITE)
    group_id = visitor.request.path_params["id"]
    await run_in_threadpool(directory.remove_member, visitor.tenant.id, group_id, form.get("member", ""))
    return redirect(f"{visitor.base}/groups/{group_id}?done=member-removed")


def routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(prefix + "/groups", list_groups, methods=["GET"]),
        Route(prefix + "/groups", create_group, methods=["POST"]),
        Route(prefix + "/groups/new", new_group, methods=["GET"]),
        Route(prefix + "/groups/{id}", show_group, methods=["GET"]),
        Route(prefix + "/groups/{id}/members", add_member, methods=["POST"]),
        Route(prefix + "/groups/{id}/members/remove", remove_member, methods=["POST"]),
    ]
