from ..tenantfile.conftest import rt, tenant_id

__all__ = ["rt", "tenant_id"]
