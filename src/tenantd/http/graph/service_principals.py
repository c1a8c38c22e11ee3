"""``/servicePrincipals``: create from an appId, get (by id or ``(appId='...')``), list, update, delete."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain import user_permissions as can
from ...domain.model import ServicePrincipal
from ..auth import graph_caller
from . import acts, odata, payload, responses, serialize
from .access import APPLICATION_READ, APPLICATION_WRITE, directory
from .acts import Act
from .serialize import SERVICE_PRINCIPAL

READ = Act(can.SPS_READ)
_FLAGS = ("appRoleAssignmentRequired", "accountEnabled")


async def find(request: Request, tenant_id: str) -> ServicePrincipal:
    """The service principal the URL names, by object id or as ``servicePrincipals(appId='...')``."""
    d = directory(request)
    if "app_id" in request.path_params:
        app_id = payload.object_id(request.path_params["app_id"])
        return await run_in_threadpool(d.service_principal_by_app_id, tenant_id, app_id)
    return await run_in_threadpool(d.service_principal, tenant_id, payload.object_id(request.path_params["id"]))


async def list_(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_READ, action=READ)
    options = odata.parse_options(request.url.query, SERVICE_PRINCIPAL, collection=True)
    return await responses.listed(request, "servicePrincipals", SERVICE_PRINCIPAL, options, "service_principals",
                                  caller.tenant_id, serialize.service_principal)


async def create(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_WRITE, action=Act(can.SPS_CREATE, acts.application_in_body))
    body = await payload.json_object(request)
    payload.only(body, {"appId", *_FLAGS}, SERVICE_PRINCIPAL.type_name)
    app_id = payload.guid(payload.required(body, "appId"), "appId")
    flags: dict[str, Any] = {k: payload.boolean(body[k], k) for k in _FLAGS if k in body}
    sp = await run_in_threadpool(partial(directory(request).create_service_principal, caller.tenant_id, app_id,
                                         None, **flags))
    return responses.created(request, "servicePrincipals", serialize.service_principal(sp), SERVICE_PRINCIPAL,
                             f"servicePrincipals/{sp.id}")


async def get(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_READ, action=READ)
    options = odata.parse_options(request.url.query, SERVICE_PRINCIPAL, collection=False)
    sp = await find(request, caller.tenant_id)
    return responses.entity(request, "servicePrincipals", serialize.service_principal(sp), SERVICE_PRINCIPAL,
                            options)


async def update(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_WRITE, action=Act(can.SPS_UPDATE, acts.service_principal))
    sp = await find(request, caller.tenant_id)
    body = await payload.json_object(request)
    payload.only(body, _FLAGS, SERVICE_PRINCIPAL.type_name)
    changes = {k: payload.boolean(body[k], k) for k in _FLAGS if k in body}
    await run_in_threadpool(directory(request).update_service_principal, caller.tenant_id, sp.id, changes)
    return responses.no_content()


async def delete(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_WRITE, action=Act(can.SPS_DELETE, acts.service_principal))
    sp = await find(request, caller.tenant_id)
    await run_in_threadpool(directory(request).delete_service_principal, caller.tenant_id, sp.id)
    return responses.no_content()
