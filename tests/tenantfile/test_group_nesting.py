"""Groups nested in a tenant file: members that are groups are applied through the directory's rules, so
a file that nests groups in a circle is refused at the change that would close it, and nothing is written."""

from __future__ import annotations

import pytest

from tenantd.runtime import Runtime
from tenantd.tenantfile import TenantFileError

from .conftest import apply, snapshot

NESTED = """
groups:
  - displayName: Outer
    members: [Middle]
  - displayName: Middle
    members: [Inner]
  - displayName: Inner
"""


def test_nested_groups_apply_and_their_memberships_are_transitive(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, NESTED)
    by_name = {g.display_name: g.id for g in snapshot(rt, tenant_id).groups}
    above = {g.display_name for g in rt.directory.member_of(tenant_id, by_name["Inner"], transitive=True)}
    assert above == {"Middle", "Outer"}


def test_a_circle_of_groups_is_refused_and_nothing_is_written(rt: Runtime, tenant_id: str) -> None:
    before = snapshot(rt, tenant_id)
    circle = NESTED.replace("  - displayName: Inner\n", "  - displayName: Inner\n    members: [Outer]\n")
    with pytest.raises(TenantFileError) as refused:
        apply(rt, tenant_id, circle)
    assert "circular membership" in str(refused.value)
    assert snapshot(rt, tenant_id) == before
