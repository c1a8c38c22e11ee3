"""A read transaction sees one state of the database throughout, on both databases: a Graph page reads the
page's ids and then its objects in two statements, and an object deleted in between must not vanish from
between them (PostgreSQL's default isolation gives each statement the commits made before it)."""

from __future__ import annotations

from tenantd.runtime import Runtime


def test_a_read_transaction_does_not_see_commits_made_after_its_first_statement(rt: Runtime) -> None:
    d = rt.directory
    tenant_id = d.create_tenant("snapshots").id
    apps = [d.create_application(tenant_id, f"app {n}") for n in range(3)]
    with rt.store.read() as tx:
        before = tx.page("applications", tenant_id, [], None, 10)
        d.delete_application(tenant_id, apps[1].id)   # another connection, committed
        again = tx.page("applications", tenant_id, [], None, 10)
    assert [a.id for a in again] == [a.id for a in before] and {a.id for a in before} == {a.id for a in apps}
    with rt.store.read() as tx:
        assert {a.id for a in tx.page("applications", tenant_id, [], None, 10)} == {apps[0].id, apps[2].id}
