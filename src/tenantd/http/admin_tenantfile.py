"""Tenant file routes under /_tenantd: apply a document (already parsed from YAML by the client) and export.

The server validates the document against the schema itself; line numbers come only from a client that
read the YAML and sent its ``lines`` along.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain.errors import BadRequest
from ..runtime import Runtime
from ..tenantfile import TenantFileError, apply_document, document_from_json, export_tenant
from .auth import admin_caller
from .bodies import BodyTooLarge, read_limited

MAX_DOCUMENT = 2 * 1024 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
audit = logging.getLogger("tenantd.audit")


def _rt(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise BadRequest(f"Invalid value specified for property '{key}': a boolean is required.")
    return value


async def _body(request: Request) -> dict[str, Any]:
    try:
        raw = await read_limited(request, MAX_DOCUMENT)
    except BodyTooLarge:
        raise BadRequest("The request body is too large.", status=413) from None
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadRequest("Unable to read JSON request payload. Please ensure Content-Type header is set and "
                         "payload is of valid JSON format.") from None
    if not isinstance(body, dict) or "document" not in body:
        raise BadRequest("The request body must be a JSON object with a 'document'.")
    return body


async def apply(request: Request) -> Response:
    caller = await admin_caller(request, "Tenantd.Admin")
    body = await _body(request)
    prune, dry_run = _flag(body, "prune"), _flag(body, "dryRun")
    source = body.get("source")
    source = source[:256] if isinstance(source, str) and source else "tenant.yaml"
    rt = _rt(request)

    def run() -> dict[str, Any]:
        doc = document_from_json(body["document"], source, body.get("lines"))
        return apply_document(rt.store, rt.directory, caller.tenant_id, doc, prune=prune, dry_run=dry_run).to_json()

    try:
        result = await run_in_threadpool(run)
    except TenantFileError as exc:
        raise BadRequest(str(exc), code="TenantFile_Invalid") from None
    if result["applied"] and result["changes"]:
        audit.info("tenant file applied to tenant %s by app %s: %d changes%s", caller.tenant_id, caller.app_id,
                   len(result["changes"]), " (with prune)" if prune else "")
    return JSONResponse(result, headers=NO_STORE)


async def export(request: Request) -> Response:
    caller = await admin_caller(request, "Tenantd.Admin")
    rt = _rt(request)
    document = await run_in_threadpool(export_tenant, rt.store, caller.tenant_id)
    return JSONResponse(document)


routes: list[BaseRoute] = [
    Route("/apply", apply, methods=["POST"]),
    Route("/export", export, methods=["GET"]),
]
