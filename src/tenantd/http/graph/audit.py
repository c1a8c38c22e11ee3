"""``/auditLogs/signIns``: the sign-in log in Graph's signIn shape, newest first.

``$filter`` here is its own small language, because the log is filtered and paged in SQL (it can be large)
and needs comparisons the directory's filter does not: a conjunction (``and``, parentheses) of

    createdDateTime ge|gt|le|lt 2024-05-01T00:00:00Z      (unquoted, as OData writes DateTimeOffset)
    appId | servicePrincipalId | ipAddress eq|ne '...'
    status/errorCode eq|ne 0

``$top`` (1..999), ``$skiptoken`` and ``$select`` work as on every collection; anything else is Graph's 400.
A person's sign-in names her in ``userId`` and ``userPrincipalName`` (and, as before, in
``servicePrincipalId``/``servicePrincipalName``, which hold every row's principal); ``isInteractive`` is true
for the grants where she gave her password (authorization code, device code, password), false for refreshes
and apps. Besides Graph's properties each entry has ``tenantdRoles`` (the roles the token carried),
``tenantdKind`` (the grant type, ``managed_identity`` or ``impersonation``), ``tenantdCount`` (how many
identical sign-ins the entry stands for: the log keeps one row for those within a minute, see
tokens/signins.py) and ``tenantdLastDateTime`` (when the last of them was; ``createdDateTime`` is the
first). Graph's signIn has no count, so an aggregated entry is one signIn that says how many it is, rather
than copies under invented ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain import user_permissions as can
from ...domain.errors import BadRequest, NotFound
from ...domain.ids import is_guid
from ...tokens.signins import INTERACTIVE_KINDS, USER_GRANT_KINDS, SignInLog
from ..auth import graph_caller
from . import odata, payload, responses
from .acts import Act

AUDIT_READ = ("AuditLog.Read.All", "Directory.Read.All", "Directory.ReadWrite.All")
PATH = "auditLogs/signIns"

Condition = tuple[str, str, Any]


def sign_in(row: dict[str, Any]) -> dict[str, Any]:
    """One row as Graph's signIn plus tenantd's own. A person's sign-in (a user grant that issued a token, or
    a refusal on the sign-in page) names her in ``userId``/``userPrincipalName`` and its client app in
    ``appDisplayName``; a token endpoint's refusal names the client only, as an app's sign-in does."""
    failed = row["error_code"] != 0
    user = (not failed and row["kind"] in USER_GRANT_KINDS) or row["kind"] == "interactive"
    return {
        "id": row["id"],
        "createdDateTime": row["created"],
        "appId": row["app_id"],
        "appDisplayName": (row.get("app_display_name") or row["app_id"]) if user else row["principal_name"],
        "servicePrincipalId": row["principal_id"],
        "servicePrincipalName": row["principal_name"],
        "userId": row["principal_id"] if user else None,
        "userPrincipalName": row["principal_name"] if user else None,
        "resourceDisplayName": row.get("resource_display_name") or row["resource"],
        "resourceId": row["resource_id"],
        "ipAddress": row["client_ip"],
        "isInteractive": row["kind"] in INTERACTIVE_KINDS,
        "status": {"errorCode": row["error_code"], "failureReason": row["error"] if failed else None,
                   "additionalDetails": None},
        "tenantdRoles": list(row["roles"] or []),
        "tenantdKind": row["kind"],
        "tenantdCount": row["count"],
        "tenantdLastDateTime": row["last_created"] or row["created"],
    }


SIGN_IN = odata.Entity("microsoft.graph.signIn", frozenset(sign_in({
    "id": "", "created": "", "app_id": None, "principal_name": None, "principal_id": None, "resource": None,
    "resource_id": None, "client_ip": None, "error_code": 0, "error": None, "roles": [], "kind": "",
    "count": 1, "last_created": None,
})), {})


# -- $filter ----------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"(?P<space>\s+)|(?P<string>'(?:[^']|'')*')|(?P<punct>[()])|(?P<word>[^\s()']+)")
_FRACTION = re.compile(r"(\.\d{6})\d+")


@dataclass(frozen=True)
class FilterProperty:
    column: str
    ops: frozenset[str]
    kind: str   # "time", "text" or "int"


_PROPERTIES = {
    "createddatetime": FilterProperty("created", frozenset({"ge", "gt", "le", "lt"}), "time"),
    "appid": FilterProperty("app_id", frozenset({"eq", "ne"}), "text"),
    "serviceprincipalid": FilterProperty("principal_id", frozenset({"eq", "ne"}), "text"),
    "ipaddress": FilterProperty("client_ip", frozenset({"eq", "ne"}), "text"),
    "status/errorcode": FilterProperty("error_code", frozenset({"eq", "ne"}), "int"),
}


class _Parser:
    def __init__(self, text: str, properties: dict[str, FilterProperty], resource: str) -> None:
        self.properties = properties
        self.resource = resource
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:  # an unterminated string literal
                raise odata.syntax_error(f"unexpected character at position {pos}.")
            if match.lastgroup != "space":
                self.tokens.append((match.lastgroup or "", match.group()))
            pos = match.end()
        self.index = 0

    def next(self, what: str) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise odata.syntax_error(f"expected {what} at the end of the clause.")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> list[Condition]:
        conditions = self.conjunction(0)
        if self.index < len(self.tokens):
            raise odata.syntax_error(f"unexpected '{odata.shown(self.tokens[self.index][1], 40)}'.")
        return conditions

    def conjunction(self, depth: int) -> list[Condition]:
        if depth > odata.MAX_DEPTH:
            raise odata.unsupported(f"The filter clause is nested more than {odata.MAX_DEPTH} levels deep.")
        conditions = self.term(depth)
        while self.index < len(self.tokens) and self.tokens[self.index][1].lower() in ("and", "or"):
            if self.tokens[self.index][1].lower() == "or":
                raise odata.unsupported(f"Only 'and' can combine clauses in a $filter on {self.resource}.")
            self.index += 1
            conditions += self.term(depth)
        return conditions

    def term(self, depth: int) -> list[Condition]:
        kind, text = self.next("a property")
        if text == "(":
            conditions = self.conjunction(depth + 1)
            if self.next("')'") != ("punct", ")"):
                raise odata.syntax_error("expected ')'.")
            return conditions
        if kind != "word":
            raise odata.syntax_error(f"expected a property, found '{odata.shown(text, 40)}'.")
        prop = self.properties.get(text.lower())
        if prop is None:
            raise odata.unsupported(f"Unsupported or invalid query filter clause specified for property "
                                    f"'{odata.shown(text, 64)}' of resource '{self.resource}'.")
        op = self.next("an operator")[1].lower()
        if op not in prop.ops:
            raise odata.unsupported(f"The operator '{odata.shown(op, 20)}' is not supported on '{text}'; use "
                                    f"{' or '.join(sorted(prop.ops))}.")
        return [(prop.column, op, _value(text, prop.kind, *self.next("a value")))]


def _value(name: str, kind: str, token_kind: str, text: str) -> Any:
    invalid = BadRequest(f"Invalid value in $filter for property '{name}': '{odata.shown(text, 64)}'.",
                         code="BadRequest")
    if kind == "time":
        if token_kind != "word":
            raise invalid
        try:
            moment = datetime.fromisoformat(_FRACTION.sub(r"\1", text))
            utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
        except (ValueError, OverflowError):   # not a date, or one whose UTC time is before year 1 or after 9999
            raise invalid from None
        # The log's own text form (timestamp()), with the year always four digits so that text order is time order.
        return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    if kind == "int":
        if token_kind != "word" or not re.fullmatch(r"-?\d{1,10}", text):
            raise invalid
        return int(text)
    if token_kind == "string":
        value = text[1:-1].replace("''", "'")
    elif token_kind == "word" and is_guid(text):
        value = text
    else:
        raise invalid
    return value.lower() if is_guid(value) else value


def parse_filter(text: str, properties: dict[str, FilterProperty] = _PROPERTIES,
                 resource: str = "SignIn") -> list[Condition]:
    """The conditions of a ``$filter`` on a log (signIns unless ``properties`` say otherwise): (column,
    operator, value), all of which must hold."""
    if len(text) > odata.MAX_FILTER_LENGTH:
        raise odata.unsupported(f"The filter clause is longer than {odata.MAX_FILTER_LENGTH} characters.")
    if not text.strip():
        raise odata.syntax_error("the clause is empty.")
    return _Parser(text, properties, resource).parse()


# -- the endpoints ----------------------------------------------------------------------------------------
def _log(request: Request) -> SignInLog:
    log: SignInLog = request.app.state.runtime.sign_ins
    return log


def split_filter(query: str) -> tuple[str | None, str]:
    """(``$filter``, the other options) from a query string; the other options go to the shared parser."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=odata.MAX_QUERY_OPTIONS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("The query string could not be parsed.", code="BadRequest") from None
    filters = [value for name, value in pairs if name.lower() == "$filter"]
    if len(filters) > 1:
        raise BadRequest("Query option '$filter' was specified more than once.", code="BadRequest")
    rest = urlencode([(name, value) for name, value in pairs if name.lower() != "$filter"])
    return (filters[0] if filters else None), rest


async def list_(request: Request) -> Response:
    caller = await graph_caller(request, *AUDIT_READ, action=Act(can.SIGN_INS_READ))
    filter_text, rest = split_filter(request.url.query)
    options = odata.parse_options(rest, SIGN_IN, collection=True)
    if options.count:
        raise odata.unsupported("Query option '$count' is not supported on signIns.")
    conditions = parse_filter(filter_text) if filter_text is not None else []
    size = options.top or odata.DEFAULT_PAGE_SIZE
    rows = await run_in_threadpool(lambda: _log(request).query(caller.tenant_id, conditions, before=options.after,
                                                               limit=size + 1))
    return responses.log_page(request, PATH, rows, size, filter_text, options, sign_in, SIGN_IN)


async def get(request: Request) -> Response:
    caller = await graph_caller(request, *AUDIT_READ, action=Act(can.SIGN_INS_READ))
    options = odata.parse_options(request.url.query, SIGN_IN, collection=False)
    sign_in_id = payload.object_id(request.path_params["id"])
    rows = await run_in_threadpool(_log(request).query, caller.tenant_id, [("id", "eq", sign_in_id)])
    if not rows:
        raise NotFound(f"No sign-in with id '{sign_in_id}' was found.")
    return responses.entity(request, PATH, sign_in(rows[0]), SIGN_IN, options)
