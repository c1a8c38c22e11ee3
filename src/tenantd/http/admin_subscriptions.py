"""Subscription routes under /_tenantd (Graph has no call for Azure subscriptions): list, declare or change
(PUT, idempotent), remove. Viewers travel as object ids; the CLI resolves names to them first."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain.errors import BadRequest
from ..domain.subscriptions import Subscription
from .auth import admin_caller, directory
from .graph import payload

ADMIN = "Tenantd.Admin"


def subscription_json(sub: Subscription) -> dict[str, Any]:
    return {"id": sub.id, "displayName": sub.display_name, "visibleToAll": sub.visible_to_all,
            "viewers": list(sub.viewers), "createdDateTime": sub.created}


async def subscriptions(request: Request) -> Response:
    caller = await admin_caller(request, ADMIN)
    found = await run_in_threadpool(directory(request).subscriptions, caller.tenant_id)
    return JSONResponse({"value": [subscription_json(s) for s in found]})


async def subscription(request: Request) -> Response:
    caller = await admin_caller(request, ADMIN)
    key = request.path_params["id"]
    if request.method == "DELETE":
        await run_in_threadpool(directory(request).remove_subscription, caller.tenant_id, key)
        return Response(status_code=204)
    body = await payload.json_object(request)
    payload.only(body, ("displayName", "visibleToAll", "viewers"), "subscription")
    visible_to_all = payload.boolean(body.get("visibleToAll", False), "visibleToAll")
    viewers = [payload.guid(v, "viewers") for v in _list(body.get("viewers", []))]
    name = payload.string(payload.required(body, "displayName"), "displayName")
    put = directory(request).put_subscription
    saved = await run_in_threadpool(lambda: put(caller.tenant_id, key, name,
                                                visible_to_all=visible_to_all, viewers=viewers))
    return JSONResponse(subscription_json(saved))


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise BadRequest("Invalid value specified for property 'viewers': a list of object ids is required.")
    return value


routes: list[BaseRoute] = [
    Route("/subscriptions", subscriptions, methods=["GET"]),
    Route("/subscriptions/{id}", subscription, methods=["PUT", "DELETE"]),
]
