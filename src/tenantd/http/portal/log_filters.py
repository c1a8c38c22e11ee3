"""The filters of the portal's log pages, read from a GET form: app, principal, result and a time range, and the
keyset of the page before; turned into the (column, operator, value) conditions the store's log queries take
(store/logs.py, the same queries Graph's ``auditLogs`` endpoints run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from ...domain.ids import is_guid
from .listing import MAX_QUERY

PAGE_SIZE = 50
RESULTS = {"": "Any result", "success": "Success", "failure": "Failure"}
Condition = tuple[str, str, Any]


@dataclass(frozen=True)
class LogFilter:
    """What the form asked for, as typed (to show it again), and the keyset of the page it continues."""

    app: str = ""
    principal: str = ""
    result: str = ""
    since: str = ""
    until: str = ""
    before: tuple[str, str] | None = None
    errors: list[str] = field(default_factory=list)

    def pairs(self) -> dict[str, str]:
        return {k: v for k, v in (("app", self.app), ("principal", self.principal), ("result", self.result),
                                  ("from", self.since), ("to", self.until)) if v}

    def next_url(self, path: str, last: dict[str, Any]) -> str:
        return f"{path}?{urlencode({**self.pairs(), 'before': last['created'], 'before_id': last['id']})}"


def read_filter(request: Request) -> LogFilter:
    q = request.query_params
    text = {name: q.get(name, "").strip()[:MAX_QUERY] for name in ("app", "principal", "result", "from", "to")}
    errors = []
    if text["result"] not in RESULTS:
        errors.append("Choose a result: any, success or failure.")
        text["result"] = ""
    for name in ("from", "to"):
        if text[name] and moment(text[name]) is None:
            errors.append(f"'{text[name]}' is not a time: write it as 2026-12-05T14:30 (UTC).")
            text[name] = ""
    before, before_id = q.get("before", "")[:40], q.get("before_id", "")[:64]
    return LogFilter(text["app"], text["principal"], text["result"], text["from"], text["to"],
                     (before, before_id) if before and before_id else None, errors)


def moment(text: str) -> str | None:
    """A time typed in the form (a datetime-local value, read as UTC, or ISO 8601 with an offset) in the logs'
    own text form (fixed width, so text order is time order); None when it is not a time."""
    try:
        found = datetime.fromisoformat(text)
        utc = found.astimezone(UTC) if found.tzinfo else found.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def time_conditions(found: LogFilter) -> list[Condition]:
    conditions: list[Condition] = []
    if found.since:
        conditions.append(("created", "ge", moment(found.since)))
    if found.until:
        conditions.append(("created", "le", moment(found.until)))
    return conditions


def guid_or_none(text: str) -> str | None:
    return text.lower() if is_guid(text) else None
