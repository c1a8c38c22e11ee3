"""``/users``: create, get (by id or userPrincipalName), list, update, delete; ``revokeSignInSessions``.

``passwordProfile`` (``password``, ``forceChangePasswordNextSignIn``, ``forceChangePasswordNextSignInWithMfa``)
on create and on PATCH sets the password the user signs in with, checked against Entra's policy; it is never
returned. Graph requires it on create; tenantd also takes a user without one, who cannot sign in with a
password until one is set. ``mailNickname`` is accepted and not kept.
"""

from __future__ import annotations

from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...directory.people import PasswordProfile
from ...domain import passwords
from ...domain import user_permissions as can
from ...domain.errors import BadRequest
from ...domain.model import User
from ..auth import graph_caller
from . import acts, odata, payload, responses, serialize
from .access import USER_READ, USER_WRITE, directory
from .acts import Act
from .serialize import USER

_CREATE = {"userPrincipalName", "displayName", "accountEnabled", "mail", "mailNickname", "passwordProfile"}
_UPDATE = {"displayName", "accountEnabled", "passwordProfile"}
_PROFILE = {"password", "forceChangePasswordNextSignIn", "forceChangePasswordNextSignInWithMfa"}


def password_profile(value: object) -> PasswordProfile:
    """Graph's ``passwordProfile``: an object with a password (the MFA variant of the flag counts as the flag)."""
    if not isinstance(value, dict):
        raise BadRequest("Invalid value specified for property 'passwordProfile' of resource 'User'.")
    payload.only(value, _PROFILE, "microsoft.graph.passwordProfile")
    password = value.get("password")
    if not isinstance(password, str):
        raise BadRequest("Invalid value specified for property 'passwordProfile' of resource 'User'.")
    force = [payload.boolean(value.get(name, False), name)
             for name in ("forceChangePasswordNextSignIn", "forceChangePasswordNextSignInWithMfa")]
    return PasswordProfile(passwords.check_complexity(password), any(force))


async def find(request: Request, tenant_id: str) -> User:
    key = payload.user_key(request.path_params["id"])
    return await run_in_threadpool(directory(request).user, tenant_id, key)


async def list_(request: Request) -> Response:
    caller = await graph_caller(request, *USER_READ, action=Act(can.USERS_READ))
    options = odata.parse_options(request.url.query, USER, collection=True)
    return await responses.listed(request, "users", USER, options, "users", caller.tenant_id, serialize.user)


async def create(request: Request) -> Response:
    caller = await graph_caller(request, *USER_WRITE, action=Act(can.USERS_CREATE))
    body = await payload.json_object(request)
    payload.only(body, _CREATE, USER.type_name)
    profile = body.get("passwordProfile")
    payload.optional_string(body.get("mailNickname"), "mailNickname")
    create_user = partial(
        directory(request).create_user, caller.tenant_id,
        payload.string(payload.required(body, "userPrincipalName"), "userPrincipalName"),
        payload.string(payload.required(body, "displayName"), "displayName"),
        account_enabled=payload.boolean(body.get("accountEnabled", True), "accountEnabled"),
        mail=payload.optional_string(body.get("mail"), "mail"),
        password=None if profile is None else password_profile(profile),
    )
    user = await run_in_threadpool(create_user)
    return responses.created(request, "users", serialize.user(user), USER, f"users/{user.id}")


async def get(request: Request) -> Response:
    caller = await graph_caller(request, *USER_READ, action=Act(can.USERS_READ, acts.user, own=True))
    options = odata.parse_options(request.url.query, USER, collection=False)
    user = await find(request, caller.tenant_id)
    return responses.entity(request, "users", serialize.user(user), USER, options)


async def update(request: Request) -> Response:
    caller = await graph_caller(request, *USER_WRITE, action=Act(can.USERS_UPDATE, acts.user))
    user = await find(request, caller.tenant_id)
    body = await payload.json_object(request)
    payload.only(body, _UPDATE, USER.type_name)
    profile = password_profile(body.pop("passwordProfile")) if "passwordProfile" in body else None
    await run_in_threadpool(directory(request).update_user, caller.tenant_id, user.id, body)
    if profile is not None:
        await run_in_threadpool(directory(request).set_password, caller.tenant_id, user.id, profile)
    return responses.no_content()


async def delete(request: Request) -> Response:
    caller = await graph_caller(request, *USER_WRITE, action=Act(can.USERS_DELETE, acts.user))
    user = await find(request, caller.tenant_id)
    await run_in_threadpool(directory(request).delete_user, caller.tenant_id, user.id)
    return responses.no_content()


async def revoke_sign_in_sessions(request: Request) -> Response:
    """``POST /users/{id}/revokeSignInSessions``: end the user's refresh tokens and browser sessions."""
    caller = await graph_caller(request, *USER_WRITE, action=Act(can.USERS_REVOKE, acts.user))
    user = await find(request, caller.tenant_id)
    await run_in_threadpool(directory(request).revoke_sign_in_sessions, caller.tenant_id, user.id)
    return JSONResponse({"@odata.context": responses.context(request, "Edm.Boolean"), "value": True})
