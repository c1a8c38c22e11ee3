"""What an object is a member of, read from the object: ``memberOf`` (direct) and ``transitiveMemberOf``
(through nested groups too) of users, groups and service principals, a group's ``transitiveMembers``, and the
actions ``getMemberObjects``, ``getMemberGroups``, ``checkMemberGroups`` and ``checkMemberObjects``.

Each handler reads its subject through a :class:`Subject`: how the URL names the object, who may read its
memberships and how the caller is authorized, so another address of the same object (a signed-in user's
``/me``) is one more Subject, not more handlers. The collections are directoryObject collections (each group
typed ``#microsoft.graph.group``) paged with ``$top`` and ``@odata.nextLink``; the actions answer a
``Collection(Edm.String)`` of ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...directory.memberships import MAX_MEMBER_GROUPS
from ...domain import user_permissions as can
from ...domain.errors import BadRequest
from ..auth import Caller, graph_caller
from . import acts, groups, odata, payload, responses, serialize, service_principals, users
from .access import (
    APPLICATION_READ,
    GROUP_MEMBERSHIP_READ,
    USER_MEMBERSHIP_READ,
    USER_READ,
    directory,
)
from .acts import Act
from .serialize import DIRECTORY_OBJECT

Authorize = Callable[..., Awaitable[Caller]]


@dataclass(frozen=True)
class Subject:
    """The object whose memberships a request reads, and who may read them."""

    collection: str                                     # users | groups | servicePrincipals
    read: tuple[str, ...]                               # permissions that list memberOf and transitiveMemberOf
    check: tuple[str, ...]                              # permissions that run the four actions
    find: Callable[[Request, str], Awaitable[str]]      # the object's id (in the caller's tenant); 404 if unknown
    authorize: Authorize = graph_caller                 # (request, *permissions) -> the verified caller


async def _user_id(request: Request, tenant_id: str) -> str:
    return (await users.find(request, tenant_id)).id


async def _group_id(request: Request, tenant_id: str) -> str:
    return (await groups.find(request, tenant_id)).id


async def _sp_id(request: Request, tenant_id: str) -> str:
    return (await service_principals.find(request, tenant_id)).id


# A signed-in user reads memberships as she reads their objects; her own (``/me/memberOf``) with User.Read.
USER = Subject("users", USER_MEMBERSHIP_READ, USER_READ, _user_id,
               partial(graph_caller, action=Act(can.USERS_READ, acts.user, own=True)))
GROUP = Subject("groups", GROUP_MEMBERSHIP_READ, GROUP_MEMBERSHIP_READ, _group_id,
                partial(graph_caller, action=Act(can.GROUPS_READ)))
SERVICE_PRINCIPAL = Subject("servicePrincipals", APPLICATION_READ, APPLICATION_READ, _sp_id,
                            partial(graph_caller, action=Act(can.SPS_READ)))


async def _subject(subject: Subject, request: Request, permissions: tuple[str, ...]) -> tuple[Caller, str]:
    caller = await subject.authorize(request, *permissions)
    return caller, await subject.find(request, caller.tenant_id)


async def member_of(subject: Subject, transitive: bool, request: Request) -> Response:
    """GET ``memberOf`` or ``transitiveMemberOf``: the groups the subject is in."""
    caller = await subject.authorize(request, *subject.read)
    options = odata.parse_options(request.url.query, DIRECTORY_OBJECT, collection=True)
    object_id = await subject.find(request, caller.tenant_id)
    found = await run_in_threadpool(partial(directory(request).member_of, caller.tenant_id, object_id,
                                            transitive=transitive))
    rows = [((g.created, g.id), serialize.directory_object(g)) for g in found]
    return responses.collection(request, "directoryObjects", rows, DIRECTORY_OBJECT, options)


async def transitive_members(request: Request) -> Response:
    """GET ``groups/{id}/transitiveMembers``: the group's members and its nested groups' members."""
    caller = await GROUP.authorize(request, *GROUP.read)
    options = odata.parse_options(request.url.query, DIRECTORY_OBJECT, collection=True)
    group_id = await GROUP.find(request, caller.tenant_id)
    found = await run_in_threadpool(directory(request).transitive_members, caller.tenant_id, group_id)
    rows = [((m.created, m.id), serialize.directory_object(m)) for m in found]
    return responses.collection(request, "directoryObjects", rows, DIRECTORY_OBJECT, options)


async def get_member_objects(subject: Subject, request: Request) -> Response:
    """POST ``getMemberObjects``: ids of every group (directory role, administrative unit) the subject is in."""
    return await _member_groups(subject, request, "getMemberObjects", None)


async def get_member_groups(subject: Subject, request: Request) -> Response:
    """POST ``getMemberGroups``: ids of every group the subject is in (at most 11,000, as Graph answers)."""
    return await _member_groups(subject, request, "getMemberGroups", MAX_MEMBER_GROUPS)


async def _member_groups(subject: Subject, request: Request, action: str, limit: int | None) -> Response:
    caller, object_id = await _subject(subject, request, subject.check)
    body = await payload.json_object(request)
    payload.only(body, {"securityEnabledOnly"}, f"microsoft.graph.{action}")
    if body.get("securityEnabledOnly") is not None:   # every group here is a security group: either answer
        payload.boolean(body["securityEnabledOnly"], "securityEnabledOnly")
    found = await run_in_threadpool(partial(directory(request).member_group_ids, caller.tenant_id, object_id,
                                            limit=limit))
    return _strings(request, found)


async def check_member_groups(subject: Subject, request: Request) -> Response:
    """POST ``checkMemberGroups``: which of ``groupIds`` (at most 20) the subject is in, nested or not."""
    return await _checked(subject, request, "checkMemberGroups", "groupIds")


async def check_member_objects(subject: Subject, request: Request) -> Response:
    """POST ``checkMemberObjects``: which of ``ids`` (groups; at most 20) the subject is in, nested or not."""
    return await _checked(subject, request, "checkMemberObjects", "ids")


async def _checked(subject: Subject, request: Request, action: str, field: str) -> Response:
    caller, object_id = await _subject(subject, request, subject.check)
    body = await payload.json_object(request)
    payload.only(body, {field}, f"microsoft.graph.{action}")
    ids = _guids(payload.required(body, field), field)
    found = await run_in_threadpool(directory(request).checked_memberships, caller.tenant_id, object_id, ids)
    return _strings(request, found)


def _guids(value: Any, field: str) -> list[str]:
    if not isinstance(value, list):
        raise BadRequest(f"Invalid value specified for property '{field}': a collection of ids is required.")
    return [payload.guid(item, field) for item in value]


def _strings(request: Request, values: list[str]) -> JSONResponse:
    return JSONResponse({"@odata.context": responses.context(request, "Collection(Edm.String)"), "value": values})
