"""``tenantd logs``: the sign-in log, newest first, read from Graph's ``/auditLogs/signIns``; with ``--audit``,
the directory audit log from ``/auditLogs/directoryAudits``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import typer

from ..domain.ids import is_guid
from .client import Client, connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, table
from .resolve import Resolver, literal

_DURATION = re.compile(r"(\d{1,6})([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_KINDS = {"client_credentials": "app", "managed_identity": "managed identity", "authorization_code": "code",
          "refresh_token": "refresh", "device_code": "device code", "interactive": "sign-in page",
          "jwt-bearer": "on-behalf-of"}
MAX_PAGE = 999


def since_literal(text: str, now: datetime) -> str:
    """``--since`` as an OData DateTimeOffset: a duration back from ``now`` (30m, 1h, 7d) or a date/time."""
    match = _DURATION.fullmatch(text.strip())
    if match:
        moment = now - timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise CliError(f"--since takes a duration (30s, 15m, 1h, 7d, 2w) or an ISO date/time, not "
                           f"'{text}'.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _app_id(client: Client, key: str) -> str:
    """The appId an app or managed identity is known by; a GUID nothing answers to is taken as an appId,
    since the log outlives the apps it names."""
    try:
        return str(Resolver(client).service_principal(key)["appId"])
    except CliError:
        if is_guid(key):
            return key.lower()
        raise


def fetch(client: Client, params: dict[str, str], limit: int, path: str = "/auditLogs/signIns") -> list[dict[str, Any]]:
    """Up to ``limit`` entries, following ``@odata.nextLink`` page by page."""
    page = client.graph("GET", path, params={**params, "$top": str(min(limit, MAX_PAGE))})
    entries: list[dict[str, Any]] = list(page.get("value", []))
    while len(entries) < limit and page.get("@odata.nextLink"):
        link = urlsplit(page["@odata.nextLink"])
        page = client.graph("GET", f"{link.path.split('/v1.0', 1)[1]}?{link.query}")
        entries.extend(page.get("value", []))
    return entries[:limit]


def _when(entry: dict[str, Any]) -> str:
    return str(entry.get("createdDateTime") or "")[:19].replace("T", " ")


def _count(entry: dict[str, Any]) -> str:
    """How many identical sign-ins the entry stands for, and until when when more than one."""
    count = int(entry.get("tenantdCount") or 1)
    return str(count) if count == 1 else f"{count} until {str(entry.get('tenantdLastDateTime') or '')[11:19]}"


def _result(entry: dict[str, Any]) -> str:
    code = (entry.get("status") or {}).get("errorCode", 0)
    return "ok" if code == 0 else f"AADSTS{code}" if code > 0 else "refused"


def _reason(entry: dict[str, Any]) -> str:
    reason = str((entry.get("status") or {}).get("failureReason") or "")
    first = reason.split(". ", 1)[0]
    return first if len(first) <= 100 else first[:97] + "..."


def _show(entries: list[dict[str, Any]]) -> None:
    failures = any(_result(e) != "ok" for e in entries)
    columns = ["TIME (UTC)", "RESULT", "COUNT", "KIND", "APP", "USER", "RESOURCE", "ROLES", "IP",
               *(["REASON"] if failures else [])]
    rows = [
        [_when(e), _result(e), _count(e), _KINDS.get(str(e.get("tenantdKind")), e.get("tenantdKind")),
         e.get("appDisplayName") or e.get("appId") or "-", e.get("userPrincipalName") or "-",
         e.get("resourceDisplayName") or "-",
         ", ".join(e.get("tenantdRoles") or []) or "-", e.get("ipAddress") or "-",
         *([_reason(e)] if failures else [])]
        for e in entries
    ]
    table(columns, rows, empty="no sign-ins")


def _target(target: dict[str, Any]) -> str:
    changed = [str(p.get("displayName")) for p in target.get("modifiedProperties") or []]
    shown = str(target.get("displayName") or target.get("id") or "-")
    return f"{shown} ({', '.join(changed)})" if changed else shown


def _show_audits(entries: list[dict[str, Any]]) -> None:
    rows = [
        [str(e.get("activityDateTime") or "")[:19].replace("T", " "), e.get("result") or "-",
         e.get("activityDisplayName") or "-", ((e.get("initiatedBy") or {}).get("app") or {}).get("displayName") or "-",
         "; ".join(_target(t) for t in e.get("targetResources") or []) or "-"]
        for e in entries
    ]
    table(["TIME (UTC)", "RESULT", "ACTIVITY", "BY", "TARGETS (CHANGED PROPERTIES)"], rows,
          empty="no directory changes")


def logs(
    ctx: typer.Context,
    since: str = typer.Option(None, "--since", help="Only sign-ins this recent (30m, 1h, 7d) or since a date/time."),
    app: str = typer.Option(None, "--app", help="Only this app or managed identity: name, appId or object id."),
    failed: bool = typer.Option(False, "--failed", help="Only refused requests."),
    limit: int = typer.Option(50, "--limit", min=1, max=100_000, help="At most this many entries."),
    audit: bool = typer.Option(False, "--audit", help="The directory audit log instead: every change, who made "
                               "it (--app: made by this app) and what it changed."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the sign-in log, newest first: every token issued or refused (managed identity cache hits are
    not sign-ins), with the app, resource, roles, AADSTS code and client IP. Identical sign-ins within a
    minute are one entry: COUNT says how many, and until when. With --audit, the directory
    audit log: every change to the directory and every token minted as another principal."""
    clauses: list[str] = []
    if since:
        moment = since_literal(since, datetime.now(UTC))
        clauses.append(f"{'activityDateTime' if audit else 'createdDateTime'} ge {moment}")
    with connect(ctx) as client:
        if app:
            clauses.append(f"{'initiatedBy/app/appId' if audit else 'appId'} eq {literal(_app_id(client, app))}")
        if failed:
            clauses.append("result eq 'failure'" if audit else "status/errorCode ne 0")
        params = {"$filter": " and ".join(clauses)} if clauses else {}
        entries = fetch(client, params, limit, "/auditLogs/directoryAudits" if audit else "/auditLogs/signIns")
    if as_json:
        emit_json(entries)
    elif audit:
        _show_audits(entries)
    else:
        _show(entries)


def register(root: typer.Typer) -> None:
    root.command("logs")(logs)
