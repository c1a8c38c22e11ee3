"""Pages of a directory collection, filtered and keyset-paged in SQL: what Graph's list calls read.

A :class:`Condition` tests one stored field; a page is the rows after a key, in key order, that meet every
condition. The key is ``(created, id)``, or ``(name_key, id)`` when a condition tests the name. Names are
matched on their ``name_key`` (the case-folded display name) so a case-insensitive ``eq`` is an index
lookup and ``startswith`` an index range; the range's upper bound is the prefix with its last character's
code point raised by one, which (compared bytewise) admits exactly the keys that start with the prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from . import schema as t

Kind = Literal["applications", "service_principals", "users", "groups", "assignments", "grants"]
Order = Literal["created", "name"]
TABLES: dict[str, sa.Table] = {
    "applications": t.applications, "service_principals": t.service_principals, "users": t.users,
    "groups": t.groups, "assignments": t.app_role_assignments, "grants": t.oauth2_permission_grants,
}
# Fields a condition may name, per collection; "identifier_uri" is a join to the application's URIs.
FIELDS: dict[str, frozenset[str]] = {
    "applications": frozenset({"id", "app_id", "name_key", "identifier_uri"}),
    "service_principals": frozenset({"id", "app_id", "name_key", "service_principal_type"}),
    "users": frozenset({"id", "name_key", "upn_key"}),
    "groups": frozenset({"id", "name_key"}),
    "assignments": frozenset({"principal_id", "resource_id", "app_role_id"}),   # ids: case-sensitive text
    "grants": frozenset({"client_id", "resource_id", "principal_id"}),
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: Literal["eq", "prefix"]
    value: str

    def pushable(self, kind: str) -> bool:
        """Whether SQL can test this exactly (a prefix needs a last character that has a successor)."""
        if self.field not in FIELDS[kind]:
            return False
        return self.op == "eq" or (self.field == "name_key" and bool(self.value) and ord(self.value[-1]) < 0x10FFFF)


def _test(table: sa.Table, tenant_id: str, condition: Condition) -> Any:
    if condition.field == "identifier_uri":   # an uncorrelated subquery: the URI's row, then its application
        uris = t.identifier_uris
        return table.c.id.in_(sa.select(uris.c.application_id).where(uris.c.tenant_id == tenant_id,
                                                                    uris.c.uri_key == condition.value))
    column = table.c[condition.field]
    if condition.op == "eq":
        return column == condition.value
    value = condition.value
    return sa.and_(column >= value, column < value[:-1] + _successor(value[-1]))


def _successor(char: str) -> str:
    """The next character in code point order that text can hold (surrogates cannot be in valid text)."""
    following = ord(char) + 1
    return chr(0xE000 if 0xD800 <= following <= 0xDFFF else following)


def order(conditions: Sequence[Condition]) -> Order:
    """A page's order: by name when a condition tests the name (its index then serves the filter and the
    order at once, and a prefix matching most names needs no sort), else by creation."""
    return "name" if any(c.field == "name_key" for c in conditions) else "created"


def key_columns(kind: str, by: Order) -> tuple[Any, Any]:
    table = TABLES[kind]
    return (table.c.name_key if by == "name" else table.c.created), table.c.id


def where(kind: str, tenant_id: str, conditions: Sequence[Condition],
          after: tuple[str, str] | None = None) -> Any:
    """The WHERE clause of a page: the tenant, every condition, and past the keyset ``after`` (in the
    page's :func:`order`)."""
    table = TABLES[kind]
    clauses = [table.c.tenant_id == tenant_id, *(_test(table, tenant_id, c) for c in conditions)]
    if after is not None:
        clauses.append(sa.tuple_(*key_columns(kind, order(conditions))) > sa.tuple_(*after))   # an index range
    return sa.and_(*clauses)


def count(conn: sa.Connection, kind: str, tenant_id: str, conditions: Sequence[Condition]) -> int:
    table = TABLES[kind]
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)
                            .where(where(kind, tenant_id, conditions))).scalar_one())
