"""``/applications/{id}/federatedIdentityCredentials``: list, create, get, update and delete an application's
federated identity credentials, by id or as ``(name='...')`` (where PATCH creates the credential when it
does not exist, as Graph's upsert does). Certificates travel in the application's own ``keyCredentials``."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain import user_permissions as can
from ...domain.errors import BadRequest, NotFound
from ...domain.model import Application, FederatedCredential
from ..auth import graph_caller
from . import acts, odata, payload, responses
from .access import APPLICATION_READ, APPLICATION_WRITE, directory
from .acts import Act

OWNER = "application"
READ, WRITE = Act(can.APPS_READ), Act(can.APPS_CREDENTIALS, acts.application)
_FIELDS = {"name", "issuer", "subject", "audiences", "description"}
_SAMPLE = FederatedCredential("", "", "", OWNER, "", "", "", (), None, "")
FEDERATED_CREDENTIAL = odata.Entity("microsoft.graph.federatedIdentityCredential", frozenset(_SAMPLE.to_graph()), {
    "id": "guid", "name": "string", "issuer": "string", "subject": "string",
})


async def _application(request: Request, tenant_id: str) -> Application:
    d = directory(request)
    if "app_id" in request.path_params:
        app_id = payload.object_id(request.path_params["app_id"])
        return await run_in_threadpool(d.application_by_app_id, tenant_id, app_id)
    return await run_in_threadpool(d.application, tenant_id, payload.object_id(request.path_params["id"]))


def _key(request: Request) -> str:
    """The credential's id or name: Graph takes either as the key segment (the Azure CLI's
    ``federated-credential show --federated-credential-id`` sends a name there), or a name as ``(name='...')``."""
    if "name" in request.path_params:
        return str(request.path_params["name"])
    return str(request.path_params["fid"])


def _collection_path(app: Application) -> str:
    return f"applications('{app.id}')/federatedIdentityCredentials"


def _body(body: dict[str, Any]) -> dict[str, Any]:
    payload.only(body, _FIELDS, FEDERATED_CREDENTIAL.type_name)
    return body


async def list_(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_READ, action=READ)
    options = odata.parse_options(request.url.query, FEDERATED_CREDENTIAL, collection=True)
    app = await _application(request, caller.tenant_id)
    found = await run_in_threadpool(directory(request).federated_credentials, caller.tenant_id, app.id, OWNER)
    rows = [((c.created, c.id), c.to_graph()) for c in found]
    return responses.collection(request, _collection_path(app), rows, FEDERATED_CREDENTIAL, options)


async def create(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_WRITE, action=WRITE)
    app = await _application(request, caller.tenant_id)
    body = _body(await payload.json_object(request))
    created = await _add(request, caller.tenant_id, app, body)
    return responses.created(request, _collection_path(app), created.to_graph(), FEDERATED_CREDENTIAL,
                             f"applications/{app.id}/federatedIdentityCredentials/{created.id}")


async def _add(request: Request, tenant_id: str, app: Application, body: dict[str, Any]) -> FederatedCredential:
    add = partial(directory(request).add_federated_credential, tenant_id, app.id, OWNER,
                  payload.required(body, "name"), payload.required(body, "issuer"), payload.required(body, "subject"),
                  body.get("audiences"), body.get("description"))
    created: FederatedCredential = await run_in_threadpool(add)
    return created


async def get(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_READ, action=READ)
    options = odata.parse_options(request.url.query, FEDERATED_CREDENTIAL, collection=False)
    app = await _application(request, caller.tenant_id)
    found = await run_in_threadpool(directory(request).federated_credential, caller.tenant_id, app.id, OWNER,
                                    _key(request))
    return responses.entity(request, _collection_path(app), found.to_graph(), FEDERATED_CREDENTIAL, options)


async def update(request: Request) -> Response:
    """Change a credential; addressed by name, a credential that does not exist yet is created."""
    caller = await graph_caller(request, *APPLICATION_WRITE, action=WRITE)
    app = await _application(request, caller.tenant_id)
    body = _body(await payload.json_object(request))
    d, key = directory(request), _key(request)
    if "name" in request.path_params:
        try:
            await run_in_threadpool(d.federated_credential, caller.tenant_id, app.id, OWNER, key)
        except NotFound:
            if body.get("name", key) != key:
                raise BadRequest("Property 'name' must be the name the URL addresses.") from None
            created = await _add(request, caller.tenant_id, app, {**body, "name": key})
            return responses.created(request, _collection_path(app), created.to_graph(), FEDERATED_CREDENTIAL,
                                     f"applications/{app.id}/federatedIdentityCredentials/{created.id}")
    await run_in_threadpool(d.update_federated_credential, caller.tenant_id, app.id, OWNER, key, body)
    return responses.no_content()


async def delete(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_WRITE, action=WRITE)
    app = await _application(request, caller.tenant_id)
    await run_in_threadpool(directory(request).remove_federated_credential, caller.tenant_id, app.id, OWNER,
                            _key(request))
    return responses.no_content()
