"""Tenant file routes under /_tenantd: apply a document (already parsed from YAML by the client) and export.

The server validates the document against the schema itself; line numbers come only from a client that
read the YAML and sent its ``lines`` along. Export streams: the JSON document as it is read, or, for
``Accept: application/x-ndjson``, one ``[section, entry]`` line per entry (the CLI writes its file from
those as they come), so neither end holds a large tenant whole.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..domain.errors import BadRequest
from ..runtime import Runtime
from .auth import admin_caller, directory
from .bodies import BodyTooLarge, read_limited
from .text import refuse_unstorable

MAX_DOCUMENT = 16 * 1024 * 1024   # a tenant file of tens of thousands of objects (10,000: 2.7 MB), with its line map
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
    except (ValueError, RecursionError):   # RecursionError: arrays or objects nested a thousand deep
        raise BadRequest("Unable to read JSON request payload. Please ensure Content-Type header is set and "
                         "payload is of valid JSON format.") from None
    if not isinstance(body, dict) or "document" not in body:
        raise BadRequest("The request body must be a JSON object with a 'document'.")
    refuse_unstorable(body)
    return body


async def apply(request: Request) -> Response:
    # The tenant file package (and jsonschema) is imported when first used, not at every server start.
    from ..tenantfile import TenantFileError, apply_document, document_from_json

    caller = await admin_caller(request, "Tenantd.Admin")
    body = await _body(request)
    prune, dry_run = _flag(body, "prune"), _flag(body, "dryRun")
    source = body.get("source")
    source = source[:256] if isinstance(source, str) and source else "tenant.yaml"
    rt, acting = _rt(request), directory(request)

    def run() -> dict[str, Any]:
        doc = document_from_json(body["document"], source, body.get("lines"), body.get("passwords"))
        return apply_document(rt.store, acting, caller.tenant_id, doc, prune=prune, dry_run=dry_run).to_json()

    try:
        result = await run_in_threadpool(run)
    except TenantFileError as exc:
        raise BadRequest(str(exc), code="TenantFile_Invalid") from None
    if result["applied"] and result["changes"]:
        audit.info("tenant file applied to tenant %s by app %s: %d changes%s", caller.tenant_id, caller.app_id,
                   len(result["changes"]), " (with prune)" if prune else "")
    return JSONResponse(result, headers=NO_STORE)


async def export(request: Request) -> Response:
    from ..tenantfile.export import stream_tenant

    caller = await admin_caller(request, "Tenantd.Admin")
    rt = _rt(request)
    items = stream_tenant(rt.store, caller.tenant_id)
    total = await run_in_threadpool(next, items)   # a missing tenant fails here, before the 200
    if "application/x-ndjson" in request.headers.get("accept", ""):
        return StreamingResponse(_chunks(_ndjson(total, items)), media_type="application/x-ndjson")
    return StreamingResponse(_chunks(_document(items)), media_type="application/json")


def _ndjson(first: tuple[str, Any], items: Iterator[tuple[str, Any]]) -> Iterator[str]:
    yield json.dumps(list(first)) + "\n"
    for item in items:
        yield json.dumps(list(item), ensure_ascii=False) + "\n"


def _document(items: Iterator[tuple[str, Any]]) -> Iterator[str]:
    """The export document as JSON text, section by section as the entries come."""
    from ..tenantfile.export import SECTIONS

    pending = list(SECTIONS)
    current: str | None = None
    for section, value in items:
        if section == "tenant":
            yield '{"tenant":' + json.dumps(value, ensure_ascii=False)
            continue
        if section != current:
            if current:
                yield "]"
            while pending[0] != section:
                yield f',"{pending.pop(0)}":[]'
            yield f',"{pending.pop(0)}":[' + json.dumps(value, ensure_ascii=False)
            current = section
            continue
        yield "," + json.dumps(value, ensure_ascii=False)
    yield ("]" if current else "") + "".join(f',"{name}":[]' for name in pending) + "}"


def _chunks(parts: Iterator[str], size: int = 64 * 1024) -> Iterator[bytes]:
    """Pieces joined into chunks of about ``size`` bytes (a sync iterator: Starlette runs it in a thread)."""
    buffer: list[str] = []
    held = 0
    for part in parts:
        buffer.append(part)
        held += len(part)
        if held >= size:
            yield "".join(buffer).encode()
            buffer, held = [], 0
    yield "".join(buffer).encode()


routes: list[BaseRoute] = [
    Route("/apply", apply, methods=["POST"]),
    Route("/export", export, methods=["GET"]),
]
