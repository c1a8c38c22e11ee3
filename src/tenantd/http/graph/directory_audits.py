"""``/auditLogs/directoryAudits``: the directory audit log in Graph's directoryAudit shape, newest first.

Every directory change is here (written in the change's own transaction), with who made it
(``initiatedBy.app``: the calling app, or "tenantd" for what it does itself; ``initiatedBy.user``: a person
who consented on tenantd's pages, or who was signed in to the app that called), the objects it changed and their
changed properties' old and new values. Tokens minted as another principal and host sessions are here too,
under the category ``Impersonation``.

``$filter`` is a conjunction (``and``, parentheses) of

    activityDateTime ge|gt|le|lt 2024-05-01T00:00:00Z
    activityDisplayName | category | operationType | result | correlationId eq|ne '...'
    initiatedBy/app/appId | initiatedBy/app/servicePrincipalId | initiatedBy/user/id eq|ne '...'

``$top`` (1..999), ``$skiptoken`` and ``$select`` work as on every collection.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain import user_permissions as can
from ...domain.errors import NotFound
from ..auth import graph_caller
from . import odata, payload, responses
from .access import directory
from .acts import Act
from .audit import AUDIT_READ, FilterProperty, parse_filter, split_filter

PATH = "auditLogs/directoryAudits"
_TEXT = frozenset({"eq", "ne"})
_PROPERTIES = {
    "activitydatetime": FilterProperty("created", frozenset({"ge", "gt", "le", "lt"}), "time"),
    "activitydisplayname": FilterProperty("activity", _TEXT, "text"),
    "category": FilterProperty("category", _TEXT, "text"),
    "operationtype": FilterProperty("operation_type", _TEXT, "text"),
    "result": FilterProperty("result", _TEXT, "text"),
    "correlationid": FilterProperty("correlation_id", _TEXT, "text"),
    "initiatedby/app/appid": FilterProperty("initiator_app_id", _TEXT, "text"),
    "initiatedby/app/serviceprincipalid": FilterProperty("initiator_id", _TEXT, "text"),
    "initiatedby/user/id": FilterProperty("initiator_id", _TEXT, "text"),   # object ids are unique: hers alone
}


def initiated_by(row: dict[str, Any]) -> dict[str, Any]:
    """An app (tenantd itself too), or a person who acted on tenantd's pages: no app, her object id and user
    principal name (``audit.person``)."""
    if row["initiator_app_id"] is None and row["initiator_id"] is not None:
        return {"app": None, "user": {"id": row["initiator_id"], "displayName": None, "ipAddress": None,
                                      "userPrincipalName": row["initiator_name"]}}
    return {"app": {"appId": row["initiator_app_id"], "displayName": row["initiator_name"],
                    "servicePrincipalId": row["initiator_id"], "servicePrincipalName": None}, "user": None}


def directory_audit(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "category": row["category"],
        "correlationId": row["correlation_id"],
        "result": row["result"],
        "resultReason": row["result_reason"] or "",
        "activityDisplayName": row["activity"],
        "activityDateTime": row["created"],
        "loggedByService": "Core Directory",
        "operationType": row["operation_type"],
        "initiatedBy": initiated_by(row),
        "targetResources": row["targets"],
        "additionalDetails": [],
    }


DIRECTORY_AUDIT = odata.Entity("microsoft.graph.directoryAudit", frozenset(directory_audit({
    "id": "", "category": "", "correlation_id": "", "result": "", "result_reason": None, "activity": "",
    "created": "", "operation_type": "", "initiator_app_id": None, "initiator_name": "", "initiator_id": None,
    "targets": [],
})), {})


async def list_(request: Request) -> Response:
    caller = await graph_caller(request, *AUDIT_READ, action=Act(can.AUDIT_READ))
    filter_text, rest = split_filter(request.url.query)
    options = odata.parse_options(rest, DIRECTORY_AUDIT, collection=True)
    if options.count:
        raise odata.unsupported("Query option '$count' is not supported on directoryAudits.")
    conditions = parse_filter(filter_text, _PROPERTIES, "directoryAudit") if filter_text is not None else []
    size = options.top or odata.DEFAULT_PAGE_SIZE
    d = directory(request)
    rows = await run_in_threadpool(lambda: d.audits(caller.tenant_id, conditions, before=options.after,
                                                    limit=size + 1))
    return responses.log_page(request, PATH, rows, size, filter_text, options, directory_audit, DIRECTORY_AUDIT)


async def get(request: Request) -> Response:
    caller = await graph_caller(request, *AUDIT_READ, action=Act(can.AUDIT_READ))
    options = odata.parse_options(request.url.query, DIRECTORY_AUDIT, collection=False)
    audit_id = payload.object_id(request.path_params["id"])
    rows = await run_in_threadpool(directory(request).audits, caller.tenant_id, [("id", "eq", audit_id)])
    if not rows:
        raise NotFound(f"No directory audit with id '{audit_id}' was found.")
    return responses.entity(request, PATH, directory_audit(rows[0]), DIRECTORY_AUDIT, options)
