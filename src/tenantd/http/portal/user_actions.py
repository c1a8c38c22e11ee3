"""What the Users pages change: reset a password (a new one shown once, on a page that is never cached),
enable or disable the account, revoke her sessions, assign and remove directory roles. Each is a POST with
the session's CSRF token, decided as the Graph call that makes the same change is decided."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...directory.people import PasswordProfile
from ...directory.roles import role_definition
from ...domain import passwords
from ...domain import user_permissions as can
from ...domain.errors import BadRequest
from ..graph import acts
from ..graph.access import ROLE_WRITE, USER_WRITE
from ..graph.acts import Act
from .guard import Handler, Visitor, portal_page
from .render import redirect

UPDATE, REVOKE = Act(can.USERS_UPDATE, acts.user), Act(can.USERS_REVOKE, acts.user)
ROLES = Act(can.ROLES_WRITE)


def _user_id(visitor: Visitor) -> str:
    return str(visitor.request.path_params["id"])


@portal_page
async def reset_password(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(UPDATE, USER_WRITE)
    typed = form.get("password", "")
    password = typed or passwords.generate()
    user = await run_in_threadpool(directory.set_password, visitor.tenant.id, _user_id(visitor),
                                   PasswordProfile(password, form.get("forceChange") == "on"))
    return visitor.page("password_once.html", title="Password reset", section="users", user=user,
                        password=None if typed else password, created=False)


@portal_page
async def set_enabled(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(UPDATE, USER_WRITE)
    if form.get("enabled") not in ("true", "false"):
        raise BadRequest("Choose whether the account is enabled.")
    enabled = form["enabled"] == "true"
    user = await run_in_threadpool(directory.update_user, visitor.tenant.id, _user_id(visitor),
                                   {"accountEnabled": enabled})
    return redirect(f"{visitor.base}/users/{user.id}?done={'enabled' if enabled else 'disabled'}")


@portal_page
async def revoke_sessions(visitor: Visitor) -> Response:
    await visitor.form()
    directory = await visitor.require(REVOKE, USER_WRITE)
    user = await run_in_threadpool(directory.revoke_sign_in_sessions, visitor.tenant.id, _user_id(visitor))
    return redirect(f"{visitor.base}/users/{user.id}?done=revoked")


def _role_change(add: bool) -> Handler:
    """A route that gives her user a directory role (``add``) or takes it away."""
    @portal_page
    async def route(visitor: Visitor) -> Response:
        form = await visitor.form()
        directory = await visitor.require(ROLES, ROLE_WRITE)
        role = role_definition(form.get("role", ""))
        user = await run_in_threadpool(directory.user, visitor.tenant.id, _user_id(visitor))
        change = directory.add_directory_role_member if add else directory.remove_directory_role_member
        await run_in_threadpool(change, visitor.tenant.id, role.template_id, user.id)
        return redirect(f"{visitor.base}/users/{user.id}?done=role-{'added' if add else 'removed'}")
    return route


def routes(prefix: str) -> list[BaseRoute]:
    user = prefix + "/users/{id}"
    return [
        Route(user + "/password", reset_password, methods=["POST"]),
        Route(user + "/enabled", set_enabled, methods=["POST"]),
        Route(user + "/revoke", revoke_sessions, methods=["POST"]),
        Route(user + "/roles", _role_change(add=True), methods=["POST"]),
        Route(user + "/roles/remove", _role_change(add=False), methods=["POST"]),
    ]
