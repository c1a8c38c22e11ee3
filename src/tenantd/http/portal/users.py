"""Users: the list (search by name prefix, paging), a new user, and a user's page (her properties, groups
directly and through nested groups, directory roles, and the actions of user_actions.py)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...directory.people import PasswordProfile
from ...domain import passwords
from ...domain import user_permissions as can
from ...domain.directory_roles import BUILT_IN, BY_TEMPLATE_ID
from ...domain.errors import BadRequest
from ...domain.user_permissions import Target
from ..graph import acts
from ..graph.access import USER_MEMBERSHIP_READ, USER_READ, USER_WRITE
from ..graph.acts import Act
from .guard import Visitor, portal_page
from .listing import listed
from .render import redirect

READ, CREATE = Act(can.USERS_READ), Act(can.USERS_CREATE)
READ_ONE = Act(can.USERS_READ, acts.user, own=True)
# What a change's redirect may tell the next page ("done=..."): fixed texts, never the person's input.
NOTICES = {"created": "The user was created.", "enabled": "The account was enabled.",
           "disabled": "The account was disabled.", "revoked": "Her sessions and refresh tokens were revoked.",
           "role-added": "The directory role was assigned.", "role-removed": "The directory role was removed."}


@portal_page
async def list_users(visitor: Visitor) -> Response:
    directory = await visitor.require(READ, USER_READ)
    found = await listed(visitor.request, directory, "users", visitor.tenant.id)
    return visitor.page("users.html", title="Users", section="users", listing=found,
                        may_create=visitor.may(can.USERS_CREATE))


@portal_page
async def new_user(visitor: Visitor) -> Response:
    await visitor.require(CREATE, USER_WRITE)
    return visitor.page("user_new.html", title="New user", section="users", error=None, values={})


@portal_page
async def create_user(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(CREATE, USER_WRITE)
    name, upn = form.get("displayName", "").strip(), form.get("userPrincipalName", "").strip()
    typed = form.get("password", "")
    password = typed or passwords.generate()
    try:
        user = await run_in_threadpool(
            directory.create_user, visitor.tenant.id, upn, name, account_enabled=form.get("accountEnabled") == "on",
            password=PasswordProfile(password, form.get("forceChange") == "on"))
    except BadRequest as exc:
        return visitor.page("user_new.html", 400, title="New user", section="users", error=exc.message,
                            values={"displayName": name, "userPrincipalName": upn})
    if typed:
        return redirect(f"{visitor.base}/users/{user.id}?done=created")
    return visitor.page("password_once.html", title="User created", section="users", user=user, password=password,
                        created=True)


@portal_page
async def show_user(visitor: Visitor) -> Response:
    directory = await visitor.require(READ_ONE, USER_READ)
    tid = visitor.tenant.id
    user = await run_in_threadpool(directory.user, tid, visitor.request.path_params["id"])
    groups = transitive = None
    if visitor.may(can.GROUPS_READ):
        await visitor.require(READ_ONE, USER_MEMBERSHIP_READ)
        groups = await run_in_threadpool(lambda: directory.member_of(tid, user.id, transitive=False))
        transitive = await run_in_threadpool(lambda: directory.member_of(tid, user.id, transitive=True))
    held = await run_in_threadpool(lambda: directory.directory_role_assignments(tid, principal_id=user.id))
    roles = [BY_TEMPLATE_ID[a.role_definition_id] for a in held if a.role_definition_id in BY_TEMPLATE_ID]
    target = Target(is_self=user.id == visitor.session.user_id, roles=frozenset(r.template_id for r in roles))
    direct_ids = {g.id for g in groups or ()}
    return visitor.page(
        "user.html", title=user.display_name, section="users", user=user, groups=groups,
        inherited=[g for g in transitive or () if g.id not in direct_ids], roles=roles,
        assignable=[r for r in BUILT_IN if r not in roles],
        notice=NOTICES.get(visitor.request.query_params.get("done", "")),
        may_update=visitor.may(can.USERS_UPDATE, target), may_revoke=visitor.may(can.USERS_REVOKE, target),
        may_roles=visitor.may(can.ROLES_WRITE))


def routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(prefix + "/users", list_users, methods=["GET"]),
        Route(prefix + "/users", create_user, methods=["POST"]),
        Route(prefix + "/users/new", new_user, methods=["GET"]),
        Route(prefix + "/users/{id}", show_user, methods=["GET"]),
    ]
