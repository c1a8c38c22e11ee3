"""Tenant file: export (the YAML ``tenantd export`` writes) and apply with a preview. Applying is two POSTs: the
first plans (the apply's own dry run: every check, every change, rolled back) and shows the changes; the second,
"Apply these changes", applies the same text only if the plan it computes again is the one she confirmed (else
the new plan is shown to confirm). A Global Administrator's only, audited with her as the actor.

The YAML is read from the form as text: a user's password reference (``{env: ...}``, ``{file: ...}``) is never
resolved on the server (it would read the server's environment or files), so such a file is refused with the
CLI to use instead. Secrets the apply generates are shown once."""

from __future__ import annotations

import hashlib

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...directory import Directory
from ...tenantfile import ApplyResult, TenantFileError, apply_document, dump_yaml, export_tenant
from ...tenantfile.document import Document
from ...tenantfile.load import parse_yaml, validate
from ..pages.render import NO_CACHE
from .guard import Visitor, portal_page
from .tenant_roles import require_admin

MAX_FILE = 2 * 1024 * 1024   # a form holding a tenant file of thousands of objects
SOURCE = "tenant.yaml"


def _document(text: str) -> Document:
    data, lines = parse_yaml(text, SOURCE)
    doc = validate(Document(data, SOURCE, lines))
    refs = [i for i, user in enumerate(doc.data.get("users") or []) if isinstance(user, dict) and "password" in user]
    if refs:
        raise TenantFileError([f"{SOURCE}: users[{i}] has a password reference, which the portal does not read; "
                               "apply this file with `tenantd apply`." for i in refs])
    return doc


def digest(result: ApplyResult) -> str:
    return hashlib.sha256("\n".join(result.changes).encode()).hexdigest()


def _run(visitor: Visitor, directory: Directory, text: str, prune: bool, dry_run: bool) -> ApplyResult:
    store = visitor.request.app.state.runtime.store
    return apply_document(store, directory, visitor.tenant.id, _document(text), prune=prune, dry_run=dry_run)


@portal_page
async def tenant_file(visitor: Visitor) -> Response:
    require_admin(visitor)
    return visitor.page("tenant_file.html", title="Tenant file", section="tenant-file", text="", problems=[],
                        plan=None, prune=False)


@portal_page
async def export(visitor: Visitor) -> Response:
    require_admin(visitor)
    store = visitor.request.app.state.runtime.store
    text = dump_yaml(await run_in_threadpool(export_tenant, store, visitor.tenant.id))
    return Response(text, media_type="application/yaml; charset=utf-8", headers={
        **NO_CACHE, "Content-Disposition": 'attachment; filename="tenant.yaml"', "X-Content-Type-Options": "nosniff"})


@portal_page
async def plan(visitor: Visitor) -> Response:
    form = await visitor.form(MAX_FILE)
    directory = require_admin(visitor)
    return await _planned(visitor, directory, form.get("file", ""), form.get("prune") == "on")


async def _planned(visitor: Visitor, directory: Directory, text: str, prune: bool, note: str | None = None
                   ) -> Response:
    try:
        result = await run_in_threadpool(_run, visitor, directory, text, prune, True)
    except TenantFileError as exc:
        return visitor.page("tenant_file.html", 400, title="Tenant file", section="tenant-file", text=text,
                            problems=exc.problems, plan=None, prune=prune)
    return visitor.page("tenant_file.html", title="Tenant file", section="tenant-file", text=text, problems=[],
                        plan=result, digest=digest(result), prune=prune, note=note)


@portal_page
async def apply(visitor: Visitor) -> Response:
    form = await visitor.form(MAX_FILE)
    directory = require_admin(visitor)
    text, prune = form.get("file", ""), form.get("prune") == "on"
    try:
        planned = await run_in_threadpool(_run, visitor, directory, text, prune, True)
    except TenantFileError:
        return await _planned(visitor, directory, text, prune)
    if digest(planned) != form.get("plan", ""):
        return await _planned(visitor, directory, text, prune,
                              note="The tenant changed since the plan you confirmed: review these changes again.")
    try:
        result = await run_in_threadpool(_run, visitor, directory, text, prune, False)
    except TenantFileError as exc:
        return visitor.page("tenant_file.html", 400, title="Tenant file", section="tenant-file", text=text,
                            problems=exc.problems, plan=None, prune=prune)
    return visitor.page("tenant_file_applied.html", title="Tenant file applied", section="tenant-file", result=result)


def routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(prefix + "/tenant-file", tenant_file, methods=["GET"]),
        Route(prefix + "/tenant-file/export", export, methods=["GET"]),
        Route(prefix + "/tenant-file/plan", plan, methods=["POST"]),
        Route(prefix + "/tenant-file/apply", apply, methods=["POST"]),
    ]
