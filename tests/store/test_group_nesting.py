"""Groups in groups, on SQLite and PostgreSQL: a membership that would close a cycle is refused (and writes
nothing), memberships are followed through any depth of nesting in one query each way, and a cycle already
in a database (written before the refusal existed) ends the walk instead of looping."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest

from tenantd import bootstrap
from tenantd.domain import builtins
from tenantd.domain.errors import BadRequest
from tenantd.runtime import Runtime


@pytest.fixture
def tenant_id(rt: Runtime) -> str:
    return rt.directory.create_tenant("contoso").id


def _groups(rt: Runtime, tenant_id: str, count: int) -> list[str]:
    return [rt.directory.create_group(tenant_id, f"g{i}").id for i in range(count)]


def _chain(rt: Runtime, tenant_id: str, groups: list[str]) -> None:
    """groups[0] in groups[1] in groups[2] ..."""
    for inner, outer in pairwise(groups):
        rt.directory.add_member(tenant_id, outer, inner)


def _members(rt: Runtime, group_id: str) -> list[str]:
    with rt.store.read() as tx:
        return [m for m, _ in tx.group_members(group_id)]


def test_a_membership_that_closes_a_cycle_is_refused_and_writes_nothing(rt: Runtime, tenant_id: str) -> None:
    a, b, c = _groups(rt, tenant_id, 3)
    _chain(rt, tenant_id, [a, b, c])            # a in b, b in c
    with rt.store.read() as tx:
        version = tx.directory_version()
    for group, member in ((a, c), (b, c), (a, b)):   # c in a: a -> b -> c -> a; the shorter ones too
        with pytest.raises(BadRequest, match="circular membership") as refused:
            rt.directory.add_member(tenant_id, group, member)
        assert refused.value.code == "Request_BadRequest" and refused.value.status == 400
    with pytest.raises(BadRequest, match="member of itself"):
        rt.directory.add_member(tenant_id, a, a)
    assert (_members(rt, a), _members(rt, b), _members(rt, c)) == ([], [a], [b])
    with rt.store.read() as tx:
        assert tx.directory_version() == version     # nothing was written, not even the version


def test_the_same_group_may_sit_in_two_branches(rt: Runtime, tenant_id: str) -> None:
    """A diamond is no cycle: d in b and in c, both in a."""
    a, b, c, d = _groups(rt, tenant_id, 4)
    for group, member in ((a, b), (a, c), (b, d), (c, d)):
        rt.directory.add_member(tenant_id, group, member)
    user = rt.directory.create_user(tenant_id, "ada@contoso.test", "Ada")
    rt.directory.add_member(tenant_id, d, user.id)
    assert {g.id for g in rt.directory.member_of(tenant_id, user.id, transitive=True)} == {a, b, c, d}
    assert [g.id for g in rt.directory.member_of(tenant_id, user.id, transitive=False)] == [d]
    below = [m.id for m in rt.directory.transitive_members(tenant_id, a)]
    assert sorted(below) == sorted([b, c, d, user.id])     # d once, though two branches hold it


def test_memberships_follow_deep_nesting_both_ways(rt: Runtime, tenant_id: str) -> None:
    chain = _groups(rt, tenant_id, 40)
    _chain(rt, tenant_id, chain)
    user = rt.directory.create_user(tenant_id, "deep@contoso.test", "Deep")
    app = rt.directory.create_application(tenant_id, "worker", with_service_principal=True)
    sp = rt.directory.service_principal_by_app_id(tenant_id, app.app_id)
    rt.directory.add_member(tenant_id, chain[0], user.id)
    rt.directory.add_member(tenant_id, chain[5], sp.id)
    above = [g.id for g in rt.directory.member_of(tenant_id, user.id, transitive=True)]
    assert sorted(above) == sorted(chain)
    assert sorted(rt.directory.member_group_ids(tenant_id, sp.id)) == sorted(chain[5:])
    assert rt.directory.checked_memberships(tenant_id, user.id, [chain[39], chain[0], sp.id]) == [chain[39], chain[0]]
    below = rt.directory.transitive_members(tenant_id, chain[39])
    assert sorted(m.id for m in below) == sorted([*chain[:39], user.id, sp.id])
    with pytest.raises(BadRequest, match="Directory_ResultSizeLimitExceeded|exceed the limit") as too_many:
        rt.directory.member_group_ids(tenant_id, user.id, limit=39)
    assert too_many.value.code == "Directory_ResultSizeLimitExceeded"
    with pytest.raises(BadRequest, match="at most 20"):
        rt.directory.checked_memberships(tenant_id, user.id, chain[:21])


def test_a_cycle_already_stored_ends_the_walk(rt: Runtime, tenant_id: str) -> None:
    a, b, c = _groups(rt, tenant_id, 3)
    _chain(rt, tenant_id, [a, b, c])
    with rt.store.write() as tx:                 # as a database written before the refusal could hold
        tx.add_group_member(a, c, "group")
    user = rt.directory.create_user(tenant_id, "loop@contoso.test", "Loop")
    rt.directory.add_member(tenant_id, b, user.id)
    assert {g.id for g in rt.directory.member_of(tenant_id, user.id, transitive=True)} == {a, b, c}
    assert {m.id for m in rt.directory.transitive_members(tenant_id, a)} == {b, c, user.id}


def test_memberships_stay_in_their_tenant(rt: Runtime, tenant_id: str) -> None:
    other = rt.directory.create_tenant("fabrikam").id
    mine, theirs = _groups(rt, tenant_id, 1)[0], _groups(rt, other, 1)[0]
    with pytest.raises(BadRequest, match="does not exist"):
        rt.directory.add_member(tenant_id, mine, theirs)
    assert rt.directory.member_of(other, mine, transitive=True) == []


def test_an_older_tenants_graph_gains_group_member_read_all_and_its_admin_holds_it(rt: Runtime) -> None:
    """GroupMember.Read.All reads memberships; a tenant made before Graph offered it gets it at the next start."""
    tenant_id = bootstrap.default_tenant(rt).id
    admin = rt.directory.service_principal_by_app_id(tenant_id, bootstrap.admin_app_id(rt, tenant_id))
    graph = rt.directory.service_principal_by_app_id(tenant_id, builtins.GRAPH_APP_ID)
    role_id = builtins.GRAPH_ROLES["GroupMember.Read.All"]
    held = next(a for a in rt.directory.assignments_of(tenant_id, admin.id) if a.app_role_id == role_id)
    rt.directory.unassign(tenant_id, held.id)
    with rt.store.write() as tx:                     # the Graph of an older version, without the role
        tx.update_service_principal(replace(graph, app_roles=tuple(r for r in graph.app_roles if r.id != role_id)))
    bootstrap.ensure_builtins(rt)
    graph = rt.directory.service_principal_by_app_id(tenant_id, builtins.GRAPH_APP_ID)
    assert "GroupMember.Read.All" in {r.value for r in graph.app_roles}
    assert role_id in {a.app_role_id for a in rt.directory.assignments_of(tenant_id, admin.id)}
    with rt.store.read() as tx:
        version = tx.directory_version()
    bootstrap.ensure_builtins(rt)                    # a second start changes nothing
    with rt.store.read() as tx:
        assert tx.directory_version() == version
