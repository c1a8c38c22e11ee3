"""What each Graph call asks of a signed-in user: an :class:`Act` names Entra's resource action and how to read
the facts of the object it touches, and decides a delegated call (SECURITY item 51): her token's ``scp`` must
hold a delegated permission the call takes (access.delegated), and domain/user_permissions.py must allow the
action to her, on the object's facts, her directory roles and her tenant's authorization policy. App-only calls
never get here: their application permissions decide alone, as before.

The facts are read through the directory without an actor (nothing is changed before the call is decided):
who owns the object, whether it is she, the roles of a user acted on, whether a resource manages the directory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ...directory import Directory
from ...domain import builtins, user_permissions
from ...domain.errors import Forbidden, NotFound
from ...domain.ids import is_guid
from ...domain.model import ServicePrincipal
from ...domain.user_permissions import NOTHING, Target
from ..auth import Caller
from . import access, payload

Facts = Callable[[Request, Caller], Awaitable[Target]]
DENIED = "Insufficient privileges to complete the operation."


@dataclass(frozen=True)
class Act:
    """A call's action (``microsoft.directory/...``), the facts of what it acts on, and whether the user's own
    objects take the smaller permissions of ``access.OWN`` (User.Read for ``/me``)."""

    action: str
    facts: Callable[[Request, Caller], Awaitable[Target]] | None = None
    own: bool = False

    async def decide(self, request: Request, caller: Caller, permissions: tuple[str, ...]) -> None:
        accepted = access.delegated(permissions)
        if self.own and _names_her(request, caller):
            accepted |= set(access.OWN)
        if not caller.scopes & accepted:
            raise Forbidden(f"{DENIED} The call needs one of these delegated permissions: "
                            f"{', '.join(sorted(accepted))}.")
        target = await self.facts(request, caller) if self.facts is not None else NOTHING
        assert caller.user_id is not None
        subject = await run_in_threadpool(_reader(request).signed_in_subject, caller.tenant_id, caller.user_id)
        if subject is None or not user_permissions.allowed(self.action, subject, target):
            raise Forbidden(DENIED)


def _reader(request: Request) -> Directory:
    """The directory, to read facts with (it changes nothing here)."""
    found: Directory = request.app.state.runtime.directory
    return found


def _names_her(request: Request, caller: Caller) -> bool:
    key = str(request.path_params.get("id", "")).casefold()
    return key in (caller.user_id, (caller.user_name or "").casefold())


async def _owned(request: Request, caller: Caller, object_id: str, *, directory_api: bool = False) -> Target:
    assert caller.user_id is not None
    owned = await run_in_threadpool(_reader(request).owns, caller.user_id, object_id)
    return Target(owned=owned, directory_api=directory_api)


def _directory_api(sp: ServicePrincipal) -> bool:
    return sp.app_id in builtins.DIRECTORY_API_APP_IDS


# -- facts of the object a URL names ------------------------------------------------------------------------
async def application(request: Request, caller: Caller) -> Target:
    d = _reader(request)
    if "app_id" in request.path_params:
        app = await run_in_threadpool(d.application_by_app_id, caller.tenant_id,
                                      payload.object_id(request.path_params["app_id"]))
    else:
        app = await run_in_threadpool(d.application, caller.tenant_id, payload.object_id(request.path_params["id"]))
    return await _owned(request, caller, app.id)


async def service_principal(request: Request, caller: Caller) -> Target:
    d = _reader(request)
    if "app_id" in request.path_params:
        sp = await run_in_threadpool(d.service_principal_by_app_id, caller.tenant_id,
                                     payload.object_id(request.path_params["app_id"]))
    else:
        sp = await run_in_threadpool(d.service_principal, caller.tenant_id,
                                     payload.object_id(request.path_params["id"]))
    return await _owned(request, caller, sp.id, directory_api=_directory_api(sp))


async def group(request: Request, caller: Caller) -> Target:
    found = await run_in_threadpool(_reader(request).group, caller.tenant_id,
                                    payload.object_id(request.path_params["id"]))
    return await _owned(request, caller, found.id)


async def user(request: Request, caller: Caller) -> Target:
    d = _reader(request)
    found = await run_in_threadpool(d.user, caller.tenant_id, payload.user_key(request.path_params["id"]))
    roles = await run_in_threadpool(d.directory_roles_of, caller.tenant_id, found.id)
    return Target(is_self=found.id == caller.user_id, roles=roles)


async def application_in_body(request: Request, caller: Caller) -> Target:
    """A service principal to create: whether she owns the application its ``appId`` names."""
    app_id = (await payload.json_object(request)).get("appId")
    if not is_guid(app_id):
        return NOTHING   # the call refuses it, if she may create service principals at all
    try:
        app = await run_in_threadpool(_reader(request).application_by_app_id, caller.tenant_id, str(app_id).lower())
    except NotFound:
        return NOTHING
    return await _owned(request, caller, app.id)


async def resource_of_assignment(request: Request, caller: Caller) -> Target:
    """An app role assignment made or removed under a principal: its resource, named by the body's
    ``resourceId`` (a POST) or by the assignment the URL names (a DELETE)."""
    d = _reader(request)
    if request.method == "POST":
        resource_id = (await payload.json_object(request)).get("resourceId")
        if not is_guid(resource_id):
            return NOTHING
    else:
        found = await run_in_threadpool(d.assignment, caller.tenant_id,
                                        payload.assignment_id(request.path_params["assignment_id"]))
        resource_id = found.resource_id
    sp = await run_in_threadpool(d.service_principal, caller.tenant_id, str(resource_id).lower())
    return await _owned(request, caller, sp.id, directory_api=_directory_api(sp))


def owner_facts(collection: str) -> Facts:
    """The facts of the object whose ``owners`` a URL names."""
    return {"applications": application, "servicePrincipals": service_principal, "groups": group}[collection]
