"""Verified domains as the directory keeps them, on SQLite and PostgreSQL: the initial domain of every tenant
(old ones included), one tenant per domain, and the removals Entra refuses."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tenantd import bootstrap
from tenantd.directory.people import PasswordProfile
from tenantd.domain.errors import BadRequest, NotFound
from tenantd.runtime import Runtime


def _names(rt: Runtime, tenant_id: str) -> list[tuple[str, bool, bool]]:
    return [(d.name, d.is_initial, d.is_default) for d in rt.directory.domains(tenant_id)]


def test_a_new_tenant_is_born_with_its_initial_domain_as_default(rt: Runtime) -> None:
    tenant = rt.directory.create_tenant("Contoso Ltd")
    assert _names(rt, tenant.id) == [("contosoltd.onmicrosoft.test", True, True)]
    twin = rt.directory.create_tenant("contoso-ltd")   # the same letters: the next free name
    assert _names(rt, twin.id) == [("contosoltd2.onmicrosoft.test", True, True)]
    audits = rt.directory.audits(tenant.id)
    assert [a["activity"] for a in audits][-2:] == ["Add verified domain", "Add tenant"]   # newest first


def test_a_tenant_older_than_domains_gets_its_initial_domain_at_start(rt: Runtime) -> None:
    tenant = bootstrap.default_tenant(rt, "fabrikam")
    with rt.store.write() as tx:   # as migration 0011 leaves a tenant made before it
        tx.delete_domain("fabrikam.onmicrosoft.test")
    bootstrap.ensure_builtins(rt)
    assert _names(rt, tenant.id) == [("fabrikam.onmicrosoft.test", True, True)]
    bootstrap.ensure_builtins(rt)   # a second start (or another replica) changes nothing
    assert _names(rt, tenant.id) == [("fabrikam.onmicrosoft.test", True, True)]


def test_a_custom_domain_is_verified_at_once_and_belongs_to_one_tenant(rt: Runtime) -> None:
    contoso, fabrikam = rt.directory.create_tenant("contoso"), rt.directory.create_tenant("fabrikam")
    added = rt.directory.add_domain(contoso.id, "Contoso.Test")
    assert (added.name, added.is_initial, added.is_default) == ("contoso.test", False, False)
    assert rt.directory.verified_domain("CONTOSO.test") == added
    with pytest.raises(BadRequest, match="already a domain of this tenant") as same:
        rt.directory.add_domain(contoso.id, "contoso.test")
    assert same.value.code == "Request_MultipleObjectsWithSameKeyValue"
    with pytest.raises(BadRequest, match="verified by another tenant"):
        rt.directory.add_domain(fabrikam.id, "contoso.TEST")
    with pytest.raises(NotFound):   # another tenant's domain is not this tenant's to read or remove
        rt.directory.domain(fabrikam.id, "contoso.test")
    with pytest.raises(NotFound):
        rt.directory.remove_domain(fabrikam.id, "contoso.test")
    rt.directory.remove_domain(contoso.id, "contoso.test")
    assert rt.directory.add_domain(fabrikam.id, "contoso.test").tenant_id == fabrikam.id   # free again


@pytest.mark.parametrize("name", ["contoso", "contoso..test", "-contoso.test", "contoso.test.", "1.2.3.4",
                                  "con toso.test", "contoso.test\n", "bücher.test", "a" * 64 + ".test",
                                  "contoso.onmicrosoft.test", "onmicrosoft.test"])
def test_a_domain_name_must_be_a_dns_name_outside_the_initial_domains(rt: Runtime, name: str) -> None:
    tenant = rt.directory.create_tenant("contoso")
    with pytest.raises(BadRequest):
        rt.directory.add_domain(tenant.id, name)
    assert len(rt.directory.domains(tenant.id)) == 1


def test_the_initial_domain_and_a_domain_in_use_cannot_be_removed(rt: Runtime) -> None:
    tenant = rt.directory.create_tenant("contoso")
    with pytest.raises(BadRequest, match="initial domain 'contoso.onmicrosoft.test' cannot be removed"):
        rt.directory.remove_domain(tenant.id, "contoso.onmicrosoft.test")
    rt.directory.add_domain(tenant.id, "contoso.test")
    for n in range(5):
        rt.directory.create_user(tenant.id, f"user{n}@Contoso.Test", f"User {n}",
                                 password=PasswordProfile("Str0ng-enough") if n == 0 else None)
    rt.directory.create_user(tenant.id, "bob@sub.contoso.test", "Bob")   # another domain, if a longer one
    with pytest.raises(BadRequest, match=r"\(user0@Contoso.Test, user1@Contoso.Test, user2@Contoso.Test, \.\.\.\)"):
        rt.directory.remove_domain(tenant.id, "contoso.test")
    for n in range(5):
        rt.directory.delete_user(tenant.id, f"user{n}@contoso.test")
    assert rt.directory.remove_domain(tenant.id, "CONTOSO.TEST").name == "contoso.test"
    assert _names(rt, tenant.id) == [("contoso.onmicrosoft.test", True, True)]
    assert rt.directory.audits(tenant.id)[0]["activity"] == "Remove verified domain"


def test_of_tenants_racing_for_a_domain_exactly_one_wins(rt: Runtime) -> None:
    tenants = [rt.directory.create_tenant(f"racer{n}").id for n in range(8)]

    def claim(tenant_id: str) -> str:
        try:
            return rt.directory.add_domain(tenant_id, "race.test").tenant_id
        except BadRequest as exc:
            assert "verified by another tenant" in exc.message
            return ""

    with ThreadPoolExecutor(max_workers=8) as pool:
        winners = [w for w in pool.map(claim, tenants) if w]
    assert len(winners) == 1 and rt.directory.verified_domain("race.test").tenant_id == winners[0]
