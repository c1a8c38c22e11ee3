"""App role assignments, reached from the object they hang from.

``servicePrincipals/{id}/appRoleAssignedTo`` lists who holds the resource's roles; ``appRoleAssignments``
under a service principal, user or group lists what that principal holds. A POST's body must name the
URL's object in the matching field (``resourceId`` or ``principalId``). A signed-in user's change is decided on
the resource's facts, whichever object the URL names (SECURITY item 51).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain import user_permissions as can
from ...domain.errors import BadRequest, NotFound
from ...domain.model import AppRoleAssignment
from ...store.listing import Condition
from ..auth import graph_caller
from . import acts, groups, odata, payload, responses, serialize, service_principals, users
from .access import (
    APPLICATION_READ,
    ASSIGNMENT_WRITE,
    GROUP_READ,
    USER_READ,
    assignment_read,
    directory,
)
from .acts import Act
from .serialize import APP_ROLE_ASSIGNMENT

_FIELDS = ("appRoleId", "principalId", "resourceId")


@dataclass(frozen=True)
class Owner:
    """Where a collection of assignments hangs: the object's collection, the navigation, and its body field."""

    collection: str                                     # servicePrincipals | users | groups
    navigation: str                                     # appRoleAssignedTo | appRoleAssignments
    field: str                                          # resourceId | principalId
    read: tuple[str, ...]                               # permissions that may list it
    find: Callable[[Request, str], Awaitable[str]]      # the URL's object id; 404 if unknown
    read_act: Act                                       # a signed-in user's read of it
    write_act: Act                                      # her change of it: the resource's facts decide

    def path(self, object_id: str) -> str:
        return f"{self.collection}('{object_id}')/{self.navigation}"


async def _sp_id(request: Request, tenant_id: str) -> str:
    return (await service_principals.find(request, tenant_id)).id


async def _user_id(request: Request, tenant_id: str) -> str:
    return (await users.find(request, tenant_id)).id


async def _group_id(request: Request, tenant_id: str) -> str:
    return (await groups.find(request, tenant_id)).id


_BY_PRINCIPAL = Act(can.SPS_ASSIGN, acts.resource_of_assignment)
ASSIGNED_TO = Owner("servicePrincipals", "appRoleAssignedTo", "resourceId", assignment_read(APPLICATION_READ), _sp_id,
                    Act(can.SPS_READ), Act(can.SPS_ASSIGN, acts.service_principal))
SP_ASSIGNMENTS = Owner("servicePrincipals", "appRoleAssignments", "principalId", assignment_read(APPLICATION_READ),
                       _sp_id, Act(can.SPS_READ), _BY_PRINCIPAL)
USER_ASSIGNMENTS = Owner("users", "appRoleAssignments", "principalId", assignment_read(USER_READ), _user_id,
                         Act(can.USERS_READ, acts.user), _BY_PRINCIPAL)
GROUP_ASSIGNMENTS = Owner("groups", "appRoleAssignments", "principalId", assignment_read(GROUP_READ), _group_id,
                          Act(can.GROUPS_READ), _BY_PRINCIPAL)


def _belongs(owner: Owner, assignment: AppRoleAssignment, object_id: str) -> bool:
    held = assignment.resource_id if owner.field == "resourceId" else assignment.principal_id
    return held == object_id


async def list_(owner: Owner, request: Request) -> Response:
    caller = await graph_caller(request, *owner.read, action=owner.read_act)
    options = odata.parse_options(request.url.query, APP_ROLE_ASSIGNMENT, collection=True)
    object_id = await owner.find(request, caller.tenant_id)
    scope = Condition("resource_id" if owner.field == "resourceId" else "principal_id", "eq", object_id)
    return await responses.listed(request, owner.path(object_id), APP_ROLE_ASSIGNMENT, options, "assignments",
                                  caller.tenant_id, serialize.assignment, (scope,))


async def create(owner: Owner, request: Request) -> Response:
    caller = await graph_caller(request, *ASSIGNMENT_WRITE, action=owner.write_act)
    object_id = await owner.find(request, caller.tenant_id)
    body = await payload.json_object(request)
    payload.only(body, _FIELDS, APP_ROLE_ASSIGNMENT.type_name)
    ids = {field: payload.guid(payload.required(body, field), field) for field in _FIELDS}
    if ids[owner.field] != object_id:
        raise BadRequest(f"The '{owner.field}' in the request body must be the object of the request URL "
                         f"('{object_id}').")
    created = await run_in_threadpool(directory(request).assign, caller.tenant_id, ids["principalId"],
                                      ids["resourceId"], ids["appRoleId"])
    return responses.created(request, owner.path(object_id), serialize.assignment(created), APP_ROLE_ASSIGNMENT,
                             f"{owner.collection}/{object_id}/{owner.navigation}/{created.id}")


async def get(owner: Owner, request: Request) -> Response:
    caller = await graph_caller(request, *owner.read, action=owner.read_act)
    options = odata.parse_options(request.url.query, APP_ROLE_ASSIGNMENT, collection=False)
    object_id = await owner.find(request, caller.tenant_id)
    assignment_id = payload.assignment_id(request.path_params["assignment_id"])
    found = await run_in_threadpool(directory(request).assignment, caller.tenant_id, assignment_id)
    if not _belongs(owner, found, object_id):
        raise NotFound(f"Resource '{assignment_id}' does not exist or one of its queried reference-property "
                       "objects are not present.")
    return responses.entity(request, owner.path(object_id), serialize.assignment(found), APP_ROLE_ASSIGNMENT,
                            options)


async def delete(owner: Owner, request: Request) -> Response:
    caller = await graph_caller(request, *ASSIGNMENT_WRITE, action=owner.write_act)
    object_id = await owner.find(request, caller.tenant_id)
    assignment_id = payload.assignment_id(request.path_params["assignment_id"])
    scope = {"resource_id" if owner.field == "resourceId" else "principal_id": object_id}
    await run_in_threadpool(partial(directory(request).unassign, caller.tenant_id, assignment_id, **scope))
    return responses.no_content()
