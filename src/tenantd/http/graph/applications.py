"""``/applications``: create, get (by id or ``(appId='...')``), list, update, delete, add and remove passwords."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...domain import registration, rules
from ...domain import user_permissions as can
from ...domain.errors import BadRequest
from ...domain.model import Application
from ..auth import graph_caller
from . import acts, application_body, odata, payload, responses, serialize
from .access import APPLICATION_READ, APPLICATION_WRITE, directory
from .acts import Act
from .serialize import APPLICATION

READ, CREDENTIALS = Act(can.APPS_READ), Act(can.APPS_CREDENTIALS, acts.application)
_PASSWORD_FIELDS = {"displayName", "endDateTime", "startDateTime"}
_YEARS = (1900, 9000)


async def find(request: Request, tenant_id: str) -> Application:
    d = directory(request)
    if "app_id" in request.path_params:
        app_id = payload.object_id(request.path_params["app_id"])
        return await run_in_threadpool(d.application_by_app_id, tenant_id, app_id)
    return await run_in_threadpool(d.application, tenant_id, payload.object_id(request.path_params["id"]))


async def list_(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_READ, action=READ)
    options = odata.parse_options(request.url.query, APPLICATION, collection=True)
    return await responses.listed(request, "applications", APPLICATION, options, "applications", caller.tenant_id,
                                  serialize.application)


async def create(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_WRITE, action=Act(can.APPS_CREATE))
    changes = application_body.changes(await payload.json_object(request))
    if "displayName" not in changes:
        raise BadRequest("Property 'displayName' is required.")
    create_application = partial(
        directory(request).create_application, caller.tenant_id, changes["displayName"],
        identifier_uris=rules.identifier_uris(changes.get("identifierUris", [])),
        app_roles=rules.app_roles(changes.get("appRoles", [])),
        requested_access_token_version=changes.get("requestedAccessTokenVersion"),
        key_credentials=changes.get("keyCredentials") or [],
        settings={k: v for k, v in changes.items() if k in registration.CHANGES},
    )
    app = await run_in_threadpool(create_application)
    return responses.created(request, "applications", serialize.application(app), APPLICATION,
                             f"applications/{app.id}")


async def get(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_READ, action=READ)
    options = odata.parse_options(request.url.query, APPLICATION, collection=False)
    app = await find(request, caller.tenant_id)
    return responses.entity(request, "applications", serialize.application(app), APPLICATION, options)


async def update(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_WRITE, action=Act(can.APPS_UPDATE, acts.application))
    app = await find(request, caller.tenant_id)
    changes = application_body.changes(await payload.json_object(request))
    await run_in_threadpool(directory(request).update_application, caller.tenant_id, app.id, changes)
    return responses.no_content()


async def delete(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_WRITE, action=Act(can.APPS_DELETE, acts.application))
    app = await find(request, caller.tenant_id)
    await run_in_threadpool(directory(request).delete_application, caller.tenant_id, app.id)
    return responses.no_content()


def _moment(value: Any, key: str) -> datetime | None:
    if value is None:
        return None
    text = payload.string(value, key)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    # Bounded so that UTC conversion, the default lifetime and four-digit years never overflow.
    if moment is None or not _YEARS[0] <= moment.year <= _YEARS[1]:
        raise BadRequest(f"Invalid value specified for property '{key}': '{odata.shown(text)}' is not an "
                         f"ISO 8601 date and time between the years {_YEARS[0]} and {_YEARS[1]}.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def add_password(request: Request) -> Response:
    """A new client secret; its text is in this answer and nowhere else, ever."""
    caller = await graph_caller(request, *APPLICATION_WRITE, action=CREDENTIALS)
    app = await find(request, caller.tenant_id)
    body = await payload.json_object(request)
    payload.only(body, {"passwordCredential"}, "microsoft.graph.addPasswordPostRequestBody")
    spec = body.get("passwordCredential") or {}
    if not isinstance(spec, dict):
        raise BadRequest("Invalid value specified for property 'passwordCredential': an object is required.")
    payload.only(spec, _PASSWORD_FIELDS, "microsoft.graph.passwordCredential")
    add = partial(directory(request).add_password, caller.tenant_id, app.id,
                  display_name=payload.optional_string(spec.get("displayName"), "displayName"),
                  end=_moment(spec.get("endDateTime"), "endDateTime"),
                  start=_moment(spec.get("startDateTime"), "startDateTime"))
    cred, secret = await run_in_threadpool(add)
    body = {"@odata.context": responses.context(request, "microsoft.graph.passwordCredential"),
            **serialize.password_credential(cred, secret)}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


async def remove_password(request: Request) -> Response:
    caller = await graph_caller(request, *APPLICATION_WRITE, action=CREDENTIALS)
    app = await find(request, caller.tenant_id)
    body = await payload.json_object(request)
    payload.only(body, {"keyId"}, "microsoft.graph.removePasswordPostRequestBody")
    key_id = payload.guid(payload.required(body, "keyId"), "keyId")
    await run_in_threadpool(directory(request).remove_password, caller.tenant_id, app.id, key_id)
    return responses.no_content()
