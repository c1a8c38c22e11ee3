"""Certificates and federated identity credentials in the tenant file: apply adds and updates them, says so,
changes nothing the second time, removes only with prune, and refuses (whole) what the directory would."""

from __future__ import annotations

import base64

import pytest
import yaml

from tenantd.runtime import Runtime
from tenantd.tenantfile import TenantFileError, export_tenant
from tenantd.tenantfile.snapshot import Snapshot

from ..tokens.support import certificate, der_b64, new_key
from .conftest import apply, snapshot

CERT = der_b64(certificate(new_key(), "ci-cert"))
ISSUER = "https://token.actions.githubusercontent.com"
TENANT = f"""
applications:
  - displayName: deployer
    keyCredentials:
      - displayName: ci
        key: {CERT}
    federatedIdentityCredentials:
      - name: main
        issuer: {ISSUER}
        subject: repo:contoso/things:ref:refs/heads/main
        description: pushes to main
managedIdentities:
  - name: orders-worker
    type: UserAssigned
    federatedIdentityCredentials:
      - name: aks
        issuer: https://oidc.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/
        subject: system:serviceaccount:orders:worker
"""


def _app(snap: Snapshot) -> tuple[str, str]:
    app = next(a for a in snap.applications if a.display_name == "deployer")
    ua = next(sp for sp in snap.identities if sp.managed_identity_name == "orders-worker")
    return app.id, ua.id


def problems(rt: Runtime, tenant_id: str, text: str, **options: bool) -> list[str]:
    before = snapshot(rt, tenant_id)
    with pytest.raises(TenantFileError) as caught:
        apply(rt, tenant_id, text, **options)
    assert snapshot(rt, tenant_id) == before, "a file with an error must change nothing"
    return caught.value.problems


def test_apply_adds_them_once_and_the_export_applies_unchanged(rt: Runtime, tenant_id: str) -> None:
    first = apply(rt, tenant_id, TENANT)
    assert [c for c in first.changes if "certificate" in c or "federated" in c] == [
        "add certificate 'ci' to application 'deployer'",
        "add federated credential 'main' to application 'deployer'",
        "add federated credential 'aks' to managed identity 'orders-worker'",
    ]
    snap = snapshot(rt, tenant_id)
    app_id, ua_id = _app(snap)
    [key] = next(a for a in snap.applications if a.id == app_id).key_credentials
    assert key.display_name == "ci" and key.usage == "Verify" and base64.b64encode(key.certificate).decode() == CERT
    [main] = snap.federated[app_id]
    assert (main.issuer, main.audiences, main.description) == (ISSUER, ("api://AzureADTokenExchange",),
                                                               "pushes to main")
    assert [c.subject for c in snap.federated[ua_id]] == ["system:serviceaccount:orders:worker"]
    assert apply(rt, tenant_id, TENANT).changes == []
    exported = yaml.safe_dump(export_tenant(rt.store, tenant_id))
    assert apply(rt, tenant_id, exported).changes == []
    assert snapshot(rt, tenant_id) == snap


def test_a_changed_credential_is_updated_in_place(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    before = snapshot(rt, tenant_id).federated
    changed = TENANT.replace("refs/heads/main", "refs/heads/release")
    assert apply(rt, tenant_id, changed).changes == ["update federated credential 'main' of application 'deployer': "
                                                     "subject"]
    app_id, _ = _app(snapshot(rt, tenant_id))
    [main] = snapshot(rt, tenant_id).federated[app_id]
    assert main.subject.endswith("release") and main.id == before[app_id][0].id


def test_undeclared_credentials_stay_unless_pruned(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    app_id, _ = _app(snapshot(rt, tenant_id))
    [key_id] = [k.key_id for a in snapshot(rt, tenant_id).applications if a.id == app_id for k in a.key_credentials]
    bare = "applications:\n  - displayName: deployer\n    keyCredentials: []\n    federatedIdentityCredentials: []\n"
    assert apply(rt, tenant_id, bare).changes == []
    pruned = apply(rt, tenant_id, bare + "managedIdentities:\n  - {name: orders-worker, type: UserAssigned}\n",
                   prune=True)
    assert sorted(c for c in pruned.changes if "deployer" in c) == [
        f"remove certificate 'ci' ({key_id}) from application 'deployer'",
        "remove federated credential 'main' from application 'deployer'",
    ]
    snap = snapshot(rt, tenant_id)
    app_id, ua_id = _app(snap)
    assert app_id not in snap.federated and next(a for a in snap.applications if a.id == app_id).key_credentials == ()
    assert ua_id in snapshot(rt, tenant_id).federated  # the identity's entry declared no credentials list


def test_the_directorys_rules_are_checked_before_any_write(rt: Runtime, tenant_id: str) -> None:
    apply(rt, tenant_id, TENANT)
    twice = TENANT.replace("        description: pushes to main\n",
                           f"      - name: again\n        issuer: {ISSUER}\n"
                           "        subject: repo:contoso/things:ref:refs/heads/main\n")
    assert any("the same issuer and subject" in p for p in problems(rt, tenant_id, twice))
    renamed = TENANT.replace("name: main", "name: renamed")
    assert any("same issuer and subject twice" in p for p in problems(rt, tenant_id, renamed))
    expired = TENANT.replace(CERT, der_b64(certificate(new_key(), "old", days=-1)))
    assert any("keyCredentials[0].key" in p and "expired" in p for p in problems(rt, tenant_id, expired))
    system = ("managedIdentities:\n  - name: site\n    type: SystemAssigned\n    host: /subscriptions/0/"
              "resourceGroups/rg/providers/Microsoft.Web/sites/site\n    federatedIdentityCredentials:\n"
              f"      - {{name: x12, issuer: {ISSUER}, subject: s}}\n")
    assert problems(rt, tenant_id, system)
    many = "applications:\n  - displayName: many\n    federatedIdentityCredentials:\n" + "".join(
        f"      - {{name: fic-{i}, issuer: {ISSUER}, subject: s{i}}}\n" for i in range(21))
    assert problems(rt, tenant_id, many)
    plain_http = TENANT.replace(ISSUER, "http://issuer.example")
    assert any("https" in p for p in problems(rt, tenant_id, plain_http))
