"""``/directoryRoles`` and ``/directoryRoleTemplates``, Graph's older API for the same directory roles.

Every built-in role is activated in every tenant here: each has its directoryRole (an object id of its own
in the tenant, found by that id or by its template id) whose ``members`` are the principals holding the role
tenant-wide; adding a member (``members/$ref``) assigns the role, removing one takes it away.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...directory.roles import role_definition
from ...domain import user_permissions as can
from ...domain.directory_roles import BUILT_IN, BY_TEMPLATE_ID, RoleDefinition, directory_role_id
from ...domain.errors import NotFound
from ..auth import graph_caller
from . import odata, payload, responses, serialize
from .access import ROLE_READ, ROLE_WRITE, directory
from .acts import Act
from .groups import referenced_id
from .role_serialize import DIRECTORY_ROLE, DIRECTORY_ROLE_TEMPLATE, directory_role, directory_role_template
from .serialize import DIRECTORY_OBJECT

READ, WRITE = Act(can.ROLES_READ), Act(can.ROLES_WRITE)


def find(tenant_id: str, key: str) -> RoleDefinition:
    """The role a URL names by its directoryRole's object id or by its template id."""
    role_id = payload.object_id(key)
    role = BY_TEMPLATE_ID.get(role_id) or next(
        (r for r in BUILT_IN if directory_role_id(tenant_id, r.template_id) == role_id), None)
    if role is None:
        raise NotFound(f"Resource '{role_id}' does not exist or one of its queried reference-property objects are "
                       "not present.")
    return role


async def list_roles(request: Request) -> Response:
    caller = await graph_caller(request, *ROLE_READ, action=READ)
    options = odata.parse_options(request.url.query, DIRECTORY_ROLE, collection=True)
    rows = [((role.display_name.casefold(), role.template_id), directory_role(caller.tenant_id, role))
            for role in BUILT_IN]
    return responses.collection(request, "directoryRoles", rows, DIRECTORY_ROLE, options)


async def get_role(request: Request) -> Response:
    caller = await graph_caller(request, *ROLE_READ, action=READ)
    options = odata.parse_options(request.url.query, DIRECTORY_ROLE, collection=False)
    role = find(caller.tenant_id, request.path_params["id"])
    return responses.entity(request, "directoryRoles", directory_role(caller.tenant_id, role), DIRECTORY_ROLE,
                            options)


async def members(request: Request) -> Response:
    caller = await graph_caller(request, *ROLE_READ, action=READ)
    options = odata.parse_options(request.url.query, DIRECTORY_OBJECT, collection=True)
    role = find(caller.tenant_id, request.path_params["id"])
    d = directory(request)
    held = await run_in_threadpool(d.directory_role_assignments, caller.tenant_id,
                                   role_definition_id=role.template_id)
    found = await run_in_threadpool(d.directory_role_principals, caller.tenant_id, [a.principal_id for a in held])
    rows = [((a.created, a.principal_id), serialize.directory_object(found[a.principal_id]))
            for a in held if a.principal_id in found]
    return responses.collection(request, "directoryObjects", rows, DIRECTORY_OBJECT, options)


async def add_member(request: Request) -> Response:
    caller = await graph_caller(request, *ROLE_WRITE, action=WRITE)
    body = await payload.json_object(request)   # first: an oversized body is 413 whatever the path names
    role = find(caller.tenant_id, request.path_params["id"])
    member_id = referenced_id(body)
    await run_in_threadpool(directory(request).add_directory_role_member, caller.tenant_id, role.template_id,
                            member_id)
    return responses.no_content()


async def remove_member(request: Request) -> Response:
    caller = await graph_caller(request, *ROLE_WRITE, action=WRITE)
    role = find(caller.tenant_id, request.path_params["id"])
    member_id = payload.object_id(request.path_params["member_id"])
    await run_in_threadpool(directory(request).remove_directory_role_member, caller.tenant_id, role.template_id,
                            member_id)
    return responses.no_content()


async def list_templates(request: Request) -> Response:
    await graph_caller(request, *ROLE_READ, action=READ)
    options = odata.parse_options(request.url.query, DIRECTORY_ROLE_TEMPLATE, collection=True)
    rows = [((role.display_name.casefold(), role.template_id), directory_role_template(role)) for role in BUILT_IN]
    return responses.collection(request, "directoryRoleTemplates", rows, DIRECTORY_ROLE_TEMPLATE, options)


async def get_template(request: Request) -> Response:
    await graph_caller(request, *ROLE_READ, action=READ)
    options = odata.parse_options(request.url.query, DIRECTORY_ROLE_TEMPLATE, collection=False)
    role = role_definition(payload.object_id(request.path_params["id"]))
    return responses.entity(request, "directoryRoleTemplates", directory_role_template(role),
                            DIRECTORY_ROLE_TEMPLATE, options)
