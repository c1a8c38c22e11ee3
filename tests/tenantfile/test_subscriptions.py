"""tenant.subscriptions in a tenant file: declared with who sees each, exported and applied back unchanged,
updated, pruned, and refused where they name nothing, a group, another tenant's subscription or bad values."""

from __future__ import annotations

import pytest
import yaml

from tenantd.runtime import Runtime
from tenantd.tenantfile import TenantFileError, load_text
from tenantd.tenantfile.export import export_tenant, stream_tenant
from tenantd.tenantfile.schema import schema
from tenantd.testing.tenant import with_new_ids

from .conftest import apply, snapshot

DEV = "00000000-0000-0000-0000-0000000000d1"
SHARED = "00000000-0000-0000-0000-0000000000d2"
FILE = f"""
tenant:
  subscriptions:
    - {{id: {DEV}, displayName: Dev, visibleTo: [alice@contoso.test, orders-worker, ci-app]}}
    - {{id: {SHARED.upper()}, displayName: Shared, visibleTo: everyone}}
applications:
  - displayName: ci-app
managedIdentities:
  - name: orders-worker
    type: UserAssigned
users:
  - userPrincipalName: alice@contoso.test
    displayName: Alice
  - userPrincipalName: bob@contoso.test
    displayName: Bob
groups:
  - displayName: Readers
"""


def _visible(rt: Runtime, tenant_id: str, principal_id: str) -> list[str]:
    return [s.display_name for s in rt.directory.visible_subscriptions(tenant_id, principal_id)]


def test_subscriptions_are_declared_exported_and_applied_back_unchanged(rt: Runtime, tenant_id: str) -> None:
    first = apply(rt, tenant_id, FILE)
    assert first.changes[-2:] == [f"declare subscription 'Dev' ({DEV})", f"declare subscription 'Shared' ({SHARED})"]
    snap = snapshot(rt, tenant_id)
    alice, bob = sorted(snap.users, key=lambda u: u.user_principal_name)
    ci = next(sp for sp in snap.service_principals if sp.display_name == "ci-app")
    worker = snap.identities[0]
    assert _visible(rt, tenant_id, alice.id) == ["Dev", "Shared"]
    assert _visible(rt, tenant_id, bob.id) == ["Shared"]
    assert _visible(rt, tenant_id, ci.id) == _visible(rt, tenant_id, worker.id) == ["Dev", "Shared"]
    assert apply(rt, tenant_id, FILE).changes == []

    exported = export_tenant(rt.store, tenant_id)
    assert exported["tenant"]["subscriptions"] == [
        {"id": DEV, "displayName": "Dev", "visibleTo": ["alice@contoso.test", "ci-app", "orders-worker"]},
        {"id": SHARED, "displayName": "Shared", "visibleTo": "everyone"}]
    assert dict(stream_tenant(rt.store, tenant_id, small=0))["tenant"] == exported["tenant"]   # the batched export
    assert apply(rt, tenant_id, yaml.safe_dump(exported)).changes == []


def test_a_changed_declaration_updates_and_prune_removes(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, FILE)
    changed = FILE.replace("displayName: Dev, visibleTo: [alice@contoso.test, orders-worker, ci-app]",
                           "displayName: Development, visibleTo: [bob@contoso.test]")
    assert apply(rt, tenant_id, changed).changes == [f"update subscription 'Development' ({DEV})"]
    bob = next(u for u in snapshot(rt, tenant_id).users if u.user_principal_name == "bob@contoso.test")
    assert _visible(rt, tenant_id, bob.id) == ["Development", "Shared"]
    only_shared = changed.replace(f"    - {{id: {DEV}, displayName: Development, visibleTo: [bob@contoso.test]}}\n", "")
    assert apply(rt, tenant_id, only_shared).changes == []   # nothing removed without prune
    assert apply(rt, tenant_id, only_shared, prune=True).changes == [
        f"remove subscription 'Development' ({DEV})"]
    assert [s.display_name for s in snapshot(rt, tenant_id).subscriptions] == ["Shared"]


def test_a_deleted_viewer_leaves_the_subscription_without_it(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, FILE)
    pruned = apply(rt, tenant_id, FILE.replace("visibleTo: [alice@contoso.test, orders-worker, ci-app]",
                                               "visibleTo: [alice@contoso.test]")
                   .replace("applications:\n  - displayName: ci-app\n", "applications: []\n"), prune=True)
    assert "delete application 'ci-app'" in " ".join(pruned.changes)
    [dev] = [s for s in snapshot(rt, tenant_id).subscriptions if s.id == DEV]
    assert len(dev.viewers) == 1


@pytest.mark.parametrize(("entry", "problem"), [
    (f"{{id: {DEV}, displayName: Dev, visibleTo: [carol@contoso.test]}}",
     "tenant.subscriptions[0].visibleTo[0]: no user, application or managed identity 'carol@contoso.test'"),
    (f"{{id: {DEV}, displayName: Dev, visibleTo: [Readers]}}", "is a group: list its members instead"),
    (f"{{id: {DEV}, displayName: Dev, visibleTo: [alice@contoso.test, ALICE@contoso.test]}}", "is listed twice"),
    (f"{{id: {DEV}, displayName: Dev, visibleTo: all}}", "visibleTo"),
    ("{id: nope, displayName: Dev}", "is not a GUID"),
    (f"{{id: {DEV}}}", "'displayName' is a required property"),
    (f"{{id: {DEV}, displayName: '{'x' * 65}'}}", "is too long"),
    (f"{{id: {DEV}, displayName: Dev, owner: alice}}", "owner"),
])
def test_malformed_subscriptions_are_refused_with_their_line(rt: Runtime, tenant_id: str, entry: str,
                                                             problem: str) -> None:
    with pytest.raises(TenantFileError) as refused:
        apply(rt, tenant_id, FILE.replace(
            f"    - {{id: {DEV}, displayName: Dev, visibleTo: [alice@contoso.test, orders-worker, ci-app]}}",
            f"    - {entry}"))
    assert problem in str(refused.value)
    assert snapshot(rt, tenant_id).users == []   # nothing written


def test_the_same_id_twice_and_another_tenants_subscription_are_refused(rt: Runtime, tenant_id: str) -> None:
    with pytest.raises(TenantFileError) as refused:
        apply(rt, tenant_id, FILE.replace(SHARED.upper(), DEV))
    assert f"tenant.subscriptions[1].id: subscription {DEV} is also at tenant.yaml:4" in str(refused.value)
    other = rt.directory.create_tenant("fabrikam")
    rt.directory.put_subscription(other.id, DEV, "Theirs", visible_to_all=True, viewers=[])
    with pytest.raises(TenantFileError) as refused:
        apply(rt, tenant_id, FILE)
    assert f"subscription {DEV} belongs to another tenant" in str(refused.value)
    assert snapshot(rt, tenant_id).subscriptions == []


def test_the_schema_describes_subscriptions_and_test_tenants_get_new_ids() -> None:
    entry = schema()["properties"]["tenant"]["properties"]["subscriptions"]["items"]
    assert entry["required"] == ["id", "displayName"]
    doc = with_new_ids(load_text(FILE, "tenant.yaml"))
    ids = [s["id"] for s in doc.data["tenant"]["subscriptions"]]
    assert DEV not in ids and SHARED not in [i.upper() for i in ids] and len(set(ids)) == 2
