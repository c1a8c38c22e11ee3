"""``/groups`` (security groups): create, get, list, delete, and members added and removed by ``$ref``."""

from __future__ import annotations

import re
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain import user_permissions as can
from ...domain.errors import BadRequest
from ...domain.model import Group
from ..auth import graph_caller
from . import acts, odata, payload, responses, serialize
from .access import GROUP_READ, GROUP_WRITE, MEMBER_READ, MEMBER_WRITE, directory
from .acts import Act
from .serialize import DIRECTORY_OBJECT, GROUP

READ, MEMBERS = Act(can.GROUPS_READ), Act(can.GROUPS_MEMBERS, acts.group)
_CREATE = {"displayName", "description", "mailNickname", "securityEnabled", "mailEnabled", "groupTypes"}
# Only security groups exist here: these properties must say so when they are sent at all.
_FIXED: dict[str, Any] = {"securityEnabled": True, "mailEnabled": False, "groupTypes": []}
_REFERENCE = re.compile(r"/(?:directoryObjects|users|groups|servicePrincipals)/([^/]+)$")


async def find(request: Request, tenant_id: str) -> Group:
    group_id = payload.object_id(request.path_params["id"])
    return await run_in_threadpool(directory(request).group, tenant_id, group_id)


async def list_(request: Request) -> Response:
    caller = await graph_caller(request, *GROUP_READ, action=READ)
    options = odata.parse_options(request.url.query, GROUP, collection=True)
    return await responses.listed(request, "groups", GROUP, options, "groups", caller.tenant_id, serialize.group)


async def create(request: Request) -> Response:
    caller = await graph_caller(request, *GROUP_WRITE, action=Act(can.GROUPS_CREATE))
    body = await payload.json_object(request)
    payload.only(body, _CREATE, GROUP.type_name)
    for key, value in _FIXED.items():
        if key in body and (type(body[key]) is not type(value) or body[key] != value):
            raise BadRequest(f"Invalid value specified for property '{key}': only security groups are supported "
                             f"({key} must be {value!r}).")
    create_group = partial(
        directory(request).create_group, caller.tenant_id,
        payload.string(payload.required(body, "displayName"), "displayName"),
        description=payload.optional_string(body.get("description"), "description"),
        mail_nickname=payload.optional_string(body.get("mailNickname"), "mailNickname"),
    )
    group = await run_in_threadpool(create_group)
    return responses.created(request, "groups", serialize.group(group), GROUP, f"groups/{group.id}")


async def get(request: Request) -> Response:
    caller = await graph_caller(request, *GROUP_READ, action=READ)
    options = odata.parse_options(request.url.query, GROUP, collection=False)
    group = await find(request, caller.tenant_id)
    return responses.entity(request, "groups", serialize.group(group), GROUP, options)


async def delete(request: Request) -> Response:
    caller = await graph_caller(request, *GROUP_WRITE, action=Act(can.GROUPS_DELETE, acts.group))
    group = await find(request, caller.tenant_id)
    await run_in_threadpool(directory(request).delete_group, caller.tenant_id, group.id)
    return responses.no_content()


async def members(request: Request) -> Response:
    caller = await graph_caller(request, *MEMBER_READ, action=READ)
    options = odata.parse_options(request.url.query, DIRECTORY_OBJECT, collection=True)
    group_id = payload.object_id(request.path_params["id"])
    found = await run_in_threadpool(directory(request).members, caller.tenant_id, group_id)
    rows = [((m.created, m.id), serialize.directory_object(m)) for m in found]
    return responses.collection(request, "directoryObjects", rows, DIRECTORY_OBJECT, options)


def referenced_id(body: dict[str, Any]) -> str:
    payload.only(body, {"@odata.id"}, "microsoft.graph.referenceCreate")
    reference = payload.string(payload.required(body, "@odata.id"), "@odata.id")
    match = _REFERENCE.search(urlsplit(reference).path)
    if match is None:
        raise BadRequest(f"Invalid URL format specified in @odata.id: '{odata.shown(reference)}'.")
    return payload.object_id(match.group(1))


async def add_member(request: Request) -> Response:
    caller = await graph_caller(request, *MEMBER_WRITE, action=MEMBERS)
    group_id = payload.object_id(request.path_params["id"])
    member_id = referenced_id(await payload.json_object(request))
    if member_id == group_id:
        raise BadRequest("A group cannot be a member of itself.")
    await run_in_threadpool(directory(request).add_member, caller.tenant_id, group_id, member_id)
    return responses.no_content()


async def remove_member(request: Request) -> Response:
    caller = await graph_caller(request, *MEMBER_WRITE, action=MEMBERS)
    group_id = payload.object_id(request.path_params["id"])
    member_id = payload.object_id(request.path_params["member_id"])
    await run_in_threadpool(directory(request).remove_member, caller.tenant_id, group_id, member_id)
    return responses.no_content()
