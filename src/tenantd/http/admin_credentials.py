"""Federated identity credentials of user-assigned managed identities, under /_tenantd/identities/{id}.

Azure manages these through ARM, not Graph; tenantd offers them on its admin API in Graph's shape (id, name,
issuer, subject, audiences, description), with the rules applications' credentials follow.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..directory import Directory
from ..domain import rules
from .auth import admin_caller, directory
from .graph import payload

ADMIN = "Tenantd.Admin"
OWNER = "managedIdentity"
_FIELDS = {"name", "issuer", "subject", "audiences", "description"}


def _directory(request: Request) -> Directory:
    return directory(request)


async def collection(request: Request) -> Response:
    caller = await admin_caller(request, ADMIN)
    identity = rules.object_id(request.path_params["id"], "id")
    d = _directory(request)
    if request.method == "GET":
        found = await run_in_threadpool(d.federated_credentials, caller.tenant_id, identity, OWNER)
        return JSONResponse({"value": [c.to_graph() for c in found]})
    body = await payload.json_object(request)
    payload.only(body, _FIELDS, "microsoft.graph.federatedIdentityCredential")
    created = await run_in_threadpool(
        lambda: d.add_federated_credential(caller.tenant_id, identity, OWNER, payload.required(body, "name"),
                                           payload.required(body, "issuer"), payload.required(body, "subject"),
                                           body.get("audiences"), body.get("description")))
    return JSONResponse(created.to_graph(), status_code=201)


async def one(request: Request) -> Response:
    caller = await admin_caller(request, ADMIN)
    identity = rules.object_id(request.path_params["id"], "id")
    key, d = str(request.path_params["fid"]), _directory(request)
    if request.method == "DELETE":
        await run_in_threadpool(d.remove_federated_credential, caller.tenant_id, identity, OWNER, key)
        return Response(status_code=204)
    found = await run_in_threadpool(d.federated_credential, caller.tenant_id, identity, OWNER, key)
    return JSONResponse(found.to_graph())


routes: list[BaseRoute] = [
    Route("/identities/{id}/federatedIdentityCredentials", collection, methods=["GET", "POST"]),
    Route("/identities/{id}/federatedIdentityCredentials/{fid}", one, methods=["GET", "DELETE"]),
]
