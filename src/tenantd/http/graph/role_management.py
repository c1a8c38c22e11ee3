"""``/roleManagement/directory``, Graph's unified RBAC for directory roles: the built-in ``roleDefinitions``
(list, get; ``$filter`` on displayName, templateId, isBuiltIn ...) and ``roleAssignments`` (list with
``$filter`` on principalId and roleDefinitionId, create with the tenant's scope ``/``, get, delete;
``$expand`` of ``principal`` and ``roleDefinition``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...directory.roles import role_definition
from ...domain import user_permissions as can
from ...domain.directory_roles import BUILT_IN, BY_TEMPLATE_ID, RoleAssignment, is_role_assignment_id
from ...domain.errors import BadRequest, NotFound
from ..auth import graph_caller
from . import odata, payload, responses, serialize
from .access import ROLE_READ, ROLE_WRITE, directory
from .acts import Act
from .role_serialize import EXPANDABLE, ROLE_ASSIGNMENT, ROLE_DEFINITION

DEFINITIONS = "roleManagement/directory/roleDefinitions"
ASSIGNMENTS = "roleManagement/directory/roleAssignments"
_CREATE = {"principalId", "roleDefinitionId", "directoryScopeId"}

READ, WRITE = Act(can.ROLES_READ), Act(can.ROLES_WRITE)


async def list_definitions(request: Request) -> Response:
    await graph_caller(request, *ROLE_READ, action=READ)
    options = odata.parse_options(request.url.query, ROLE_DEFINITION, collection=True)
    rows = [((role.display_name.casefold(), role.template_id), role.to_graph()) for role in BUILT_IN]
    return responses.collection(request, DEFINITIONS, rows, ROLE_DEFINITION, options)


async def get_definition(request: Request) -> Response:
    await graph_caller(request, *ROLE_READ, action=READ)
    options = odata.parse_options(request.url.query, ROLE_DEFINITION, collection=False)
    role = role_definition(payload.object_id(request.path_params["id"]))
    return responses.entity(request, DEFINITIONS, role.to_graph(), ROLE_DEFINITION, options)


async def list_assignments(request: Request) -> Response:
    caller = await graph_caller(request, *ROLE_READ, action=READ)
    options, expand = _options(request, collection=True)
    found = await run_in_threadpool(directory(request).directory_role_assignments, caller.tenant_id)
    shown = await _shown(request, caller.tenant_id, found, expand)
    rows = [((a.created, a.id), obj) for a, obj in zip(found, shown, strict=True)]
    return responses.collection(request, ASSIGNMENTS, rows, ROLE_ASSIGNMENT, options)


async def create_assignment(request: Request) -> Response:
    caller = await graph_caller(request, *ROLE_WRITE, action=WRITE)
    body = await payload.json_object(request)
    payload.only(body, _CREATE, ROLE_ASSIGNMENT.type_name)
    principal_id = payload.guid(payload.required(body, "principalId"), "principalId")
    role_id = payload.guid(payload.required(body, "roleDefinitionId"), "roleDefinitionId")
    created = await run_in_threadpool(directory(request).assign_directory_role, caller.tenant_id, principal_id,
                                      role_id, body.get("directoryScopeId"))
    return responses.created(request, ASSIGNMENTS, created.to_graph(), ROLE_ASSIGNMENT,
                             f"{ASSIGNMENTS}/{created.id}")


async def get_assignment(request: Request) -> Response:
    caller = await graph_caller(request, *ROLE_READ, action=READ)
    options, expand = _options(request, collection=False)
    found = await run_in_threadpool(directory(request).directory_role_assignment, caller.tenant_id,
                                    _assignment_id(request))
    [shown] = await _shown(request, caller.tenant_id, [found], expand)
    return responses.entity(request, ASSIGNMENTS, shown, ROLE_ASSIGNMENT, options)


async def delete_assignment(request: Request) -> Response:
    caller = await graph_caller(request, *ROLE_WRITE, action=WRITE)
    await run_in_threadpool(directory(request).unassign_directory_role, caller.tenant_id, _assignment_id(request))
    return responses.no_content()


def _assignment_id(request: Request) -> str:
    """The URL's assignment id; one of another shape names no assignment."""
    text = request.path_params["id"]
    if not is_role_assignment_id(text):
        raise _missing(text)
    return str(text)


def _options(request: Request, *, collection: bool) -> tuple[odata.Options, tuple[str, ...]]:
    """The query options, and what ``$expand`` adds (kept in a ``$select``, and in the next page's link)."""
    query, expand = expand_option(request.url.query)
    options = odata.parse_options(query, ROLE_ASSIGNMENT, collection=collection)
    if not expand:
        return options, expand
    select = (*options.select, *(e for e in expand if e not in options.select)) if options.select else None
    return replace(options, select=select, pairs=(*options.pairs, ("$expand", ",".join(expand)))), expand


def expand_option(query: str) -> tuple[str, tuple[str, ...]]:
    """The query without ``$expand``, and the navigation properties it names (``principal``,
    ``roleDefinition``, in any case); Graph's 400 for any other."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=odata.MAX_QUERY_OPTIONS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("The query string could not be parsed.", code="BadRequest") from None
    values = [value for name, value in pairs if name.lower() == "$expand"]
    if len(values) > 1:
        raise BadRequest("Query option '$expand' was specified more than once.", code="BadRequest")
    expand: list[str] = []
    for name in (values[0].split(",") if values else []):
        known = next((p for p in EXPANDABLE if p.lower() == name.strip().lower()), None)
        if known is None:
            raise BadRequest(f"Parsing OData Select and Expand failed: Could not find a property named "
                             f"'{odata.shown(name.strip(), 64)}' on type '{ROLE_ASSIGNMENT.type_name}'.",
                             code="BadRequest")
        if known not in expand:
            expand.append(known)
    rest = urlencode([(name, value) for name, value in pairs if name.lower() != "$expand"])
    return rest, tuple(expand)


async def _shown(request: Request, tenant_id: str, found: list[RoleAssignment],
                 expand: tuple[str, ...]) -> list[dict[str, Any]]:
    """The assignments in Graph's shape, with the navigation properties ``expand`` names."""
    shown = [a.to_graph() for a in found]
    if "principal" in expand:
        principals = await run_in_threadpool(directory(request).directory_role_principals, tenant_id,
                                             [a.principal_id for a in found])
        for a, obj in zip(found, shown, strict=True):
            principal = principals.get(a.principal_id)
            obj["principal"] = serialize.directory_object(principal) if principal is not None else None
    if "roleDefinition" in expand:
        for a, obj in zip(found, shown, strict=True):
            obj["roleDefinition"] = BY_TEMPLATE_ID[a.role_definition_id].to_graph()
    return shown


def _missing(key: str) -> NotFound:
    return NotFound(f"Resource '{odata.shown(key)}' does not exist or one of its queried reference-property objects "
                    "are not present.")
