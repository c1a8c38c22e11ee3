"""The tenant file's ``consents``: delegated permission grants by name (clients, APIs of the file or the tenant,
Microsoft Graph, users), applied in one transaction with the applications whose scopes they name, set exactly,
pruned when asked, refused whole when wrong, and exported back unchanged."""

from __future__ import annotations

import pytest

from tenantd.runtime import Runtime
from tenantd.tenantfile import TenantFileError, load_text
from tenantd.tenantfile.export import dump_yaml, export_tenant

from .conftest import apply, snapshot

SCOPES = """
    api:
      oauth2PermissionScopes:
        - {id: 7b9c6d1e-2f3a-4b5c-8d7e-6f5a4b3c2d1e, value: Orders.Read, type: User, isEnabled: true,
           adminConsentDisplayName: Read orders, adminConsentDescription: Read orders}
        - {id: 8c0d7e2f-3a4b-4c5d-9e8f-7a6b5c4d3e2f, value: Orders.Write, type: Admin, isEnabled: true,
           adminConsentDisplayName: Write orders, adminConsentDescription: Write orders}"""
TENANT = f"""
applications:
  - displayName: Orders web
  - displayName: Orders API
    identifierUris: [api://orders]{SCOPES}
users:
  - {{userPrincipalName: alice@contoso.test, displayName: Alice}}
consents:
  - {{client: Orders web, resource: Orders API, scopes: [Orders.Read], consentType: AllPrincipals}}
  - {{client: Orders web, resource: Microsoft Graph, scopes: [User.Read, openid], principal: alice@contoso.test}}
"""


def _grants(rt: Runtime, tenant_id: str) -> dict[tuple[str, str, str | None], tuple[str, ...]]:
    snap = snapshot(rt, tenant_id)
    names = {sp.id: sp.display_name for sp in snap.service_principals}
    names.update({u.id: u.user_principal_name for u in snap.users})
    return {(names[g.client_id], names[g.resource_id], names.get(g.principal_id or "")): g.scopes
            for g in snap.grants}


def test_apply_grants_by_name_and_a_second_apply_changes_nothing(rt: Runtime, tenant_id: str) -> None:
    first = apply(rt, tenant_id, TENANT)
    assert first.changes[-2:] == [
        "grant Orders.Read on 'Orders API' to 'Orders web' for every user",
        "grant User.Read openid on 'Microsoft Graph' to 'Orders web' for user 'alice@contoso.test'"]
    assert _grants(rt, tenant_id) == {("Orders web", "Orders API", None): ("Orders.Read",),
                                      ("Orders web", "Microsoft Graph", "alice@contoso.test"): ("User.Read", "openid")}
    assert apply(rt, tenant_id, TENANT).changes == []


def test_a_declared_grant_is_set_exactly_and_prune_removes_the_others(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    widened = TENANT.replace("scopes: [Orders.Read]", "scopes: [Orders.Write, orders.read]")
    assert apply(rt, tenant_id, widened).changes == [
        "set the grant on 'Orders API' to 'Orders web' for every user to Orders.Write Orders.Read (was Orders.Read)"]
    assert _grants(rt, tenant_id)[("Orders web", "Orders API", None)] == ("Orders.Write", "Orders.Read")
    alone = widened.split("  - {client: Orders web, resource: Microsoft Graph")[0]
    assert apply(rt, tenant_id, alone).changes == []   # without prune, links are only added or changed
    pruned = apply(rt, tenant_id, alone, prune=True)
    assert pruned.changes == ["remove the grant of User.Read openid on service principal 'Microsoft Graph' to "
                              "application 'Orders web' for user 'alice@contoso.test'"]
    assert list(_grants(rt, tenant_id)) == [("Orders web", "Orders API", None)]


def test_export_writes_consents_that_apply_back_unchanged(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    document = export_tenant(rt.store, tenant_id)
    assert document["consents"] == [
        {"client": "Orders web", "resource": "Microsoft Graph", "scopes": ["User.Read", "openid"],
         "principal": "alice@contoso.test"},
        {"client": "Orders web", "resource": "Orders API", "scopes": ["Orders.Read"], "consentType": "AllPrincipals"}]
    assert apply(rt, tenant_id, dump_yaml(document)).changes == []
    assert apply(rt, tenant_id, dump_yaml(document), prune=True).changes == []


@pytest.mark.parametrize(("entry", "problem"), [
    ("{client: Orders web, resource: Orders API, scopes: [Orders.Delete], principal: alice@contoso.test}",
     "consents[2].scopes: Invalid value specified for property 'scope' of resource 'OAuth2PermissionGrant'. "
     "'Orders.Delete' is not a delegated permission that 'Orders API' offers."),
    ("{client: Nobody, resource: Orders API, scopes: []}", "consents[2].client: no client 'Nobody'"),
    ("{client: Orders web, resource: alice@contoso.test, scopes: []}", "consents[2].resource: no resource"),
    ("{client: alice@contoso.test, resource: Orders API, scopes: []}",
     "is not a client: a client is an application or a service principal"),
    ("{client: Orders web, resource: Orders API, scopes: [], principal: Orders API}",
     "consents[2].principal: application 'Orders API'"),
    ("{client: Orders web, resource: Orders API, scopes: [], consentType: Principal}",
     "consents[2]: 'principal' is a required property"),
    ("{client: Orders web, resource: Orders API, scopes: [], consentType: AllPrincipals, "
     "principal: alice@contoso.test}",
     "consents[2].principal: not allowed here: An AllPrincipals grant is for every user and names no principal."),
    ("{client: Orders web, resource: Orders API, scopes: [Orders.Read Orders.Write]}",
     "consents[2].scopes[0]: 'Orders.Read Orders.Write' is not a scope value (one word, no spaces)"),
    ("{client: Orders web, resource: Orders API, scopes: []}", "consents[2]: the same client, resource and user "
                                                             "as tenant.yaml:15: consents[0]"),
])
def test_a_wrong_consent_changes_nothing(rt: Runtime, tenant_id: str, entry: str, problem: str) -> None:
    with pytest.raises(TenantFileError) as refused:
        apply(rt, tenant_id, TENANT + f"  - {entry}\n")
    assert any(problem in p for p in refused.value.problems), refused.value.problems
    assert snapshot(rt, tenant_id).grants == []
    assert load_text(TENANT, "tenant.yaml").data["consents"][0]["scopes"] == ["Orders.Read"]
