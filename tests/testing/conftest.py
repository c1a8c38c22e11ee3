from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "things"


@pytest.fixture(scope="session")
def tenantd_tenant_file() -> Path:
    """The plugin's tenants here hold the example's tenant file (as a user's conftest would say)."""
    return EXAMPLE / "tenant.yaml"
