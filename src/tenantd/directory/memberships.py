"""Memberships as Graph reads them: the groups an object is in (directly, or through nested groups too), the
members of a group and of the groups nested in it, and the membership checks.

Only groups hold members in tenantd, so every membership is a group's: Graph's ``memberOf`` and its actions
also answer with directory roles and administrative units, which join these answers where they exist.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..domain.errors import BadRequest
from ..domain.model import Group, ServicePrincipal, User
from .unit import UnitOfWork

# getMemberGroups answers at most this many ids; past it, Graph refuses (Directory_ResultSizeLimitExceeded).
MAX_MEMBER_GROUPS = 11_000
MAX_CHECKED_IDS = 20   # checkMemberGroups and checkMemberObjects take at most 20 ids


class Memberships(UnitOfWork):
    """The use cases of reading memberships (changing them is People's)."""

    def member_of(self, tenant_id: str, object_id: str, *, transitive: bool) -> list[Group]:
        """The groups ``object_id`` (a user, group or service principal of the tenant) is a member of."""
        with self.store.read() as tx:
            return tx.member_of(tenant_id, object_id, transitive=transitive)

    def transitive_members(self, tenant_id: str, group_id: str) -> list[User | Group | ServicePrincipal]:
        """The members of ``group_id`` and of every group nested in it, each once."""
        with self.store.read() as tx:
            return tx.transitive_members(tenant_id, group_id)

    def member_group_ids(self, tenant_id: str, object_id: str, *, limit: int | None = None) -> list[str]:
        """Ids of every group ``object_id`` is in, directly or through nested groups (getMemberObjects and
        getMemberGroups); more than ``limit`` is refused as Graph refuses it."""
        with self.store.read() as tx:
            found = [g.id for g in tx.member_of(tenant_id, object_id, transitive=True)]
        if limit is not None and len(found) > limit:
            raise BadRequest(f"The results could not be returned because they exceed the limit of {limit} "
                             "objects. Use the List transitive memberOf API instead.",
                             code="Directory_ResultSizeLimitExceeded")
        return found

    def checked_memberships(self, tenant_id: str, object_id: str, ids: Sequence[str]) -> list[str]:
        """Those of ``ids`` (at most 20) that ``object_id`` is a member of, directly or not, in the order given."""
        if len(ids) > MAX_CHECKED_IDS:
            raise BadRequest(f"Too many ids: at most {MAX_CHECKED_IDS} can be checked in one request.")
        with self.store.read() as tx:
            held = set(tx.transitive_group_ids(object_id))
        return [i for i in dict.fromkeys(ids) if i in held]
