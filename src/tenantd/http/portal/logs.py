"""Sign-in logs and audit logs: newest first, filtered by app, principal, result and time (a GET form), paged
by keyset. Each refused sign-in shows its AADSTS code and what it means in words (domain/aadsts.py). The rows
are read with the store's log queries and shaped as Graph's ``auditLogs`` endpoints shape them, and reading
them is decided as those endpoints decide it (AuditLog.Read.All and the signInReports / auditLogs reads)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...directory import Directory
from ...domain import aadsts
from ...domain import user_permissions as can
from ..graph.acts import Act
from ..graph.audit import AUDIT_READ, sign_in
from ..graph.directory_audits import directory_audit
from .guard import Visitor, portal_page
from .listing import name_prefix
from .log_filters import PAGE_SIZE, RESULTS, Condition, LogFilter, guid_or_none, read_filter, time_conditions

SIGN_INS, AUDITS = Act(can.SIGN_INS_READ), Act(can.AUDIT_READ)


async def _app_id(directory: Directory, tenant_id: str, text: str) -> str | None:
    """The appId the form's app names: an appId, or an application's display name (any case)."""
    if not text:
        return None
    found = guid_or_none(text)
    if found:
        return found
    rows = await run_in_threadpool(directory.page, "service_principals", tenant_id, name_prefix(text), None, 20)
    exact = [sp for sp in rows if sp.display_name.casefold() == text.casefold()]
    return exact[0].app_id if exact else ""   # "": no such app, so no row matches


def _result(found: LogFilter, column: str, success: Any, failure: Any) -> list[Condition]:
    if found.result == "success":
        return [(column, "eq", success)]
    if found.result == "failure":
        return [(column, "ne", success)] if failure is None else [(column, "eq", failure)]
    return []


def explained(entry: dict[str, Any]) -> dict[str, Any]:
    code = entry["status"]["errorCode"]
    return {**entry, "explanation": aadsts.explain(code) if code else None}


@portal_page
async def sign_ins(visitor: Visitor) -> Response:
    await visitor.require(SIGN_INS, AUDIT_READ)
    directory: Directory = visitor.request.app.state.runtime.directory
    found = read_filter(visitor.request)
    rows: list[dict[str, Any]] = []
    if not found.errors:
        conditions = time_conditions(found) + _result(found, "error_code", 0, None)
        app = await _app_id(directory, visitor.tenant.id, found.app)
        if app is not None:
            conditions.append(("app_id", "eq", app))
        if found.principal:
            principal = guid_or_none(found.principal)
            conditions.append(("principal_id", "eq", principal) if principal else
                              ("principal_name", "eq", found.principal))
        log = visitor.request.app.state.runtime.sign_ins
        rows = await run_in_threadpool(lambda: log.query(visitor.tenant.id, conditions, before=found.before,
                                                         limit=PAGE_SIZE + 1))
    next_url = found.next_url(visitor.request.url.path, rows[PAGE_SIZE - 1]) if len(rows) > PAGE_SIZE else None
    return visitor.page("sign_ins.html", 400 if found.errors else 200, title="Sign-in logs", section="sign-ins",
                        filter=found, results=RESULTS, entries=[explained(sign_in(r)) for r in rows[:PAGE_SIZE]],
                        next_url=next_url)


@portal_page
async def audit_logs(visitor: Visitor) -> Response:
    directory = await visitor.require(AUDITS, AUDIT_READ)
    found = read_filter(visitor.request)
    rows: list[dict[str, Any]] = []
    if not found.errors:
        conditions = time_conditions(found) + _result(found, "result", "success", "failure")
        app = await _app_id(directory, visitor.tenant.id, found.app)
        if app is not None:
            conditions.append(("initiator_app_id", "eq", app))
        if found.principal:
            principal = guid_or_none(found.principal)
            conditions.append(("initiator_id", "eq", principal) if principal else
                              ("initiator_name", "eq", found.principal))
        rows = await run_in_threadpool(lambda: directory.audits(visitor.tenant.id, conditions, before=found.before,
                                                                limit=PAGE_SIZE + 1))
    next_url = found.next_url(visitor.request.url.path, rows[PAGE_SIZE - 1]) if len(rows) > PAGE_SIZE else None
    return visitor.page("audit_logs.html", 400 if found.errors else 200, title="Audit logs", section="audit-logs",
                        filter=found, results=RESULTS, entries=[directory_audit(r) for r in rows[:PAGE_SIZE]],
                        next_url=next_url)


def routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(prefix + "/sign-ins", sign_ins, methods=["GET"]),
        Route(prefix + "/audit-logs", audit_logs, methods=["GET"]),
    ]
