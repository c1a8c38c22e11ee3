from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantd import bootstrap
from tenantd.runtime import Runtime, open_runtime, sqlite_url
from tenantd.tenantfile import ApplyResult, apply_document, load_text
from tenantd.tenantfile.snapshot import Snapshot, read_snapshot


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime = open_runtime(sqlite_url(tmp_path), tmp_path, None, default_public_url="https://localhost:1")
    yield runtime
    runtime.store.dispose()


@pytest.fixture
def tenant_id(rt: Runtime) -> str:
    """The default tenant, with its admin app, as `tenantd up` leaves it."""
    tenant = bootstrap.default_tenant(rt)
    bootstrap.admin_app_id(rt, tenant.id)
    return tenant.id


def apply(rt: Runtime, tenant_id: str, text: str, **options: bool) -> ApplyResult:
    return apply_document(rt.store, rt.directory, tenant_id, load_text(text, "tenant.yaml"), **options)


def snapshot(rt: Runtime, tenant_id: str) -> Snapshot:
    with rt.store.read() as tx:
        return read_snapshot(tx, tenant_id)
