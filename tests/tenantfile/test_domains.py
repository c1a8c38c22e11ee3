"""tenant.domains in a tenant file: added verified, exported, pruned, and refused where the directory would
refuse (another tenant's domain, a malformed or reserved name, a domain a kept user is named in)."""

from __future__ import annotations

import pytest

from tenantd.runtime import Runtime
from tenantd.tenantfile import TenantFileError, load_text
from tenantd.tenantfile.export import export_tenant, stream_tenant
from tenantd.tenantfile.schema import schema
from tenantd.testing.tenant import with_new_ids

from .conftest import apply, snapshot

FILE = """
tenant:
  domains: [contoso.test, Fabrikam.Test]
users:
  - userPrincipalName: alice@contoso.test
    displayName: Alice
"""


def _custom(rt: Runtime, tenant_id: str) -> list[str]:
    return [d.name for d in snapshot(rt, tenant_id).domains if not d.is_initial]


def test_domains_are_added_once_exported_and_applied_back_unchanged(rt: Runtime, tenant_id: str) -> None:
    preview = apply(rt, tenant_id, FILE, dry_run=True)
    assert preview.changes[:2] == ["add domain 'contoso.test'", "add domain 'fabrikam.test'"]
    assert not preview.applied and _custom(rt, tenant_id) == []
    first = apply(rt, tenant_id, FILE)
    assert first.changes == ["add domain 'contoso.test'", "add domain 'fabrikam.test'",
                             "create user 'alice@contoso.test'"]
    assert _custom(rt, tenant_id) == ["contoso.test", "fabrikam.test"]
    assert apply(rt, tenant_id, FILE).changes == []
    exported = export_tenant(rt.store, tenant_id)
    assert exported["tenant"]["domains"] == ["contoso.test", "fabrikam.test"]
    assert dict(stream_tenant(rt.store, tenant_id, small=0))["tenant"] == exported["tenant"]   # the batched export
    reordered = FILE.replace("contoso.test, Fabrikam.Test", "fabrikam.test, CONTOSO.test")
    assert apply(rt, tenant_id, reordered).changes == []


def test_prune_removes_undeclared_domains_after_the_users_named_in_them(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, FILE)
    pruned = apply(rt, tenant_id, "users: []\n", prune=True)
    assert pruned.changes == ["delete user 'alice@contoso.test'", "remove domain 'contoso.test'",
                              "remove domain 'fabrikam.test'"]
    assert _custom(rt, tenant_id) == []
    assert [d.is_initial for d in snapshot(rt, tenant_id).domains] == [True]   # the initial domain stays


def test_prune_refuses_to_remove_a_domain_a_declared_user_is_named_in(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, FILE)
    kept = FILE.replace("[contoso.test, Fabrikam.Test]", "[fabrikam.test]")
    with pytest.raises(TenantFileError) as refused:
        apply(rt, tenant_id, kept, prune=True)
    assert "tenant.yaml:5: users[0].userPrincipalName: user 'alice@contoso.test' is in the domain 'contoso.test'" \
        in str(refused.value)
    assert _custom(rt, tenant_id) == ["contoso.test", "fabrikam.test"]   # nothing changed
    assert apply(rt, tenant_id, kept).changes == []   # without prune nothing is removed


def test_another_tenants_domain_is_refused_before_anything_is_written(rt: Runtime, tenant_id: str) -> None:
    other = rt.directory.create_tenant("fabrikam")
    rt.directory.add_domain(other.id, "fabrikam.test")
    with pytest.raises(TenantFileError) as refused:
        apply(rt, tenant_id, FILE)
    assert ("tenant.yaml:3: tenant.domains[1]: domain 'fabrikam.test' is verified by another tenant"
            in str(refused.value))
    assert _custom(rt, tenant_id) == [] and snapshot(rt, tenant_id).users == []


@pytest.mark.parametrize(("domains", "problem"), [
    ("[contoso]", "tenant.domains[0]: 'contoso' is not a domain name"),
    ("[contoso.test.]", "is not a domain name"),
    ("[a.onmicrosoft.test]", "holds tenants' initial domains only"),
    ("[default.onmicrosoft.test]", "holds tenants' initial domains only"),
    ("[contoso.test, Contoso.Test]", "domains[1]: domain 'contoso.test' is also at tenant.yaml:2: tenant.domains[0]"),
    ("[contoso.test, contoso.test]", "has non-unique elements"),
    ("contoso.test", "is not of type 'array'"),
])
def test_malformed_domains_are_refused_with_their_line(rt: Runtime, tenant_id: str, domains: str,
                                                       problem: str) -> None:
    with pytest.raises(TenantFileError) as refused:
        apply(rt, tenant_id, f"tenant:\n  domains: {domains}\n")
    assert problem in str(refused.value)


def test_the_schema_describes_domains_and_fresh_test_tenants_leave_them_out() -> None:
    tenant = schema()["properties"]["tenant"]["properties"]
    assert tenant["domains"]["items"]["maxLength"] == 253
    doc = with_new_ids(load_text(FILE, "tenant.yaml"))
    assert doc.data["tenant"] == {} and doc.data["users"][0]["userPrincipalName"] == "alice@contoso.test"
