"""The store's unique keys under the directory's own checks: a write that skips the checks (as a concurrent
twin would, were writes not serialised) still cannot make a second holder of an identifier URI or a second
federated credential for one issuer and subject, on both databases."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tenantd.domain.ids import new_guid
from tenantd.runtime import Runtime
from tenantd.store.sql import DuplicateKey

ISSUER = "https://token.actions.githubusercontent.com"
SUBJECT = "repo:contoso/api:ref:refs/heads/main"


def test_the_store_refuses_a_second_holder_of_an_identifier_uri(rt: Runtime) -> None:
    tenant = rt.directory.create_tenant("contoso")
    holder = rt.directory.create_application(tenant.id, "API", identifier_uris=["api://taken"])
    other = rt.directory.create_application(tenant.id, "Other")
    with pytest.raises(DuplicateKey), rt.store.write() as tx:
        tx.set_identifier_uris(tenant.id, other.id, ["API://Taken"])  # the key is case-insensitive
    assert rt.directory.application(tenant.id, holder.id).identifier_uris == ("api://taken",)
    assert rt.directory.application(tenant.id, other.id).identifier_uris == ()


def test_the_store_refuses_a_federated_credential_twin(rt: Runtime) -> None:
    tenant = rt.directory.create_tenant("contoso")
    app = rt.directory.create_application(tenant.id, "API")
    first = rt.directory.add_federated_credential(tenant.id, app.id, "application", "first", ISSUER, SUBJECT)
    with pytest.raises(DuplicateKey), rt.store.write() as tx:
        tx.insert_federated_credential(replace(first, id=new_guid(), name="twin"))
    assert rt.directory.federated_credentials(tenant.id, app.id, "application") == [first]
